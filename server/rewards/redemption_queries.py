"""The statements of reserve, cancel and verify, built once per dialect and run as Core.

They are the rewards' busiest requests: building a statement costs more CPU than the database
spends running it, so each is built here once with binds (`p_` prefixed: in INSERT and UPDATE,
names equal to column names are reserved) and run on the session's connection, in its
transaction. Only the dialect's `insert` differs (for ON CONFLICT); the rules themselves are
the gates of server/rewards/gates.py.
"""

from functools import cache
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite

from server.auth.models import User
from server.community.models import Membership, Merchant, RoleGrant
from server.db.session import db
from server.db.types import UTCDateTime
from server.points import ledger
from server.points.ledger import Account
from server.rewards import gates
from server.rewards.models import Offer, Redemption, RedemptionCounter

USERS = User.__table__
MEMBERS = Membership.__table__
GRANTS = RoleGrant.__table__
ACCOUNTS = Account.__table__
MERCHANTS = Merchant.__table__
OFFERS = Offer.__table__
REDEMPTIONS = Redemption.__table__
COUNTERS = RedemptionCounter.__table__


def session_queries():
    """The session's connection (joining its transaction) and the statements for its dialect."""
    conn = db.session.connection()
    return conn, queries(conn.dialect.name)


@cache
def queries(dialect: str) -> SimpleNamespace:
    """Every statement of reserve, cancel and verify for one dialect, built on first use."""
    module = postgresql if dialect == "postgresql" else sqlite
    r, c = REDEMPTIONS.c, COUNTERS.c
    counter_key = (c.user_id, c.offer_id, c.period_key)
    now = bindparam("p_now", type_=UTCDateTime())
    # Verification's exactly-once guard: one conditional UPDATE under the verifiable gate.
    redeem = (
        update(REDEMPTIONS)
        .where(r.id == bindparam("p_id"), gates.verifiable(now))
        .values(status="redeemed", redeemed_at=now, redeemed_by=bindparam("p_staff_id"))
        .returning(r.hold_id)
    )
    return SimpleNamespace(
        user_active=select(USERS.c.is_active).where(USERS.c.id == bindparam("p_user_id")),
        reserve_context=_reserve_context(),
        # The status comes from the column's default; the double tap's guard is the unique
        # (user_id, client_key): nothing comes back when the key was used before.
        insert_redemption=module.insert(REDEMPTIONS)
        .on_conflict_do_nothing(index_elements=[r.user_id, r.client_key])
        .returning(r.id, r.status),
        reservation_by_key=_reservation().where(
            r.user_id == bindparam("p_user_id"), r.client_key == bindparam("p_client_key")
        ),
        take_limit_slot=_take_limit_slot(module),
        give_back_limit_slot=update(COUNTERS)
        .where(
            *(col == bindparam(f"p_{col.key}") for col in counter_key),
            c.used > 0,
        )
        .values(used=c.used - 1),
        link_hold=update(REDEMPTIONS)
        .where(r.id == bindparam("p_id"))
        .values(hold_id=bindparam("p_hold_id")),
        # PostgreSQL: the ledger's hold, then the stock gate and the link, one statement.
        hold_and_take=ledger.hold_then(_take_and_link) if dialect == "postgresql" else None,
        scan=_scan(),
        redeem=redeem,
        # PostgreSQL: the same gate with the ledger's settle behind it, one statement.
        redeem_and_settle=ledger.settle_behind(
            lambda entry_id: redeem.values(debit_entry_id=entry_id)
        )
        if dialect == "postgresql"
        else None,
        link_debit=update(REDEMPTIONS)
        .where(r.id == bindparam("p_id"))
        .values(debit_entry_id=bindparam("p_entry_id")),
    )


def _take_and_link(hold_id):
    """After the hold: one unit of stock through the reservable gate, then the redemption's
    link to its hold; neither writes without a hold (binds p_offer_id, p_delta, p_today, p_id)."""
    r = REDEMPTIONS.c
    # updated_at bound here: a write inside a CTE gets no Python-side onupdate value.
    take = gates.stock_change_statement("take").where(hold_id.is_not(None))
    take = take.values(updated_at=bindparam("p_now", type_=UTCDateTime()))
    link = update(REDEMPTIONS).where(r.id == bindparam("p_id"), hold_id.is_not(None))
    return (take.returning(OFFERS.c.stock.label("passed")), link.values(hold_id=hold_id))


def _reserve_context():
    """What reserve needs before it writes, in one row keyed by the caller (none: no such user).

    The caller's active flag and community, the offer with its merchant (what the answer
    shows), and the caller's account id in the offer's community (none: not made yet).
    """
    o, m, a = OFFERS.c, MERCHANTS.c, ACCOUNTS.c
    users = USERS
    return (
        select(
            users.c.is_active,
            MEMBERS.c.community_id.label("member_community_id"),
            o.id.label("offer_id"),
            o.community_id,
            o.merchant_id,
            o.title,
            o.image_url,
            o.points_cost,
            o.limit_per_person,
            o.limit_period,
            m.name.label("merchant_name"),
            m.address.label("merchant_address"),
            a.id.label("account_id"),
        )
        .select_from(
            users.outerjoin(MEMBERS, MEMBERS.c.user_id == users.c.id)
            .outerjoin(OFFERS, o.id == bindparam("p_offer_id"))
            .outerjoin(MERCHANTS, m.id == o.merchant_id)
            .outerjoin(
                ACCOUNTS,
                and_(
                    a.community_id == o.community_id,
                    a.holder_type == "user",
                    a.holder_id == users.c.id,
                ),
            )
        )
        .where(users.c.id == bindparam("p_user_id"))
    )


def _reservation():
    """A redemption with what its owner's view shows of the offer and merchant."""
    r, o, m = REDEMPTIONS.c, OFFERS.c, MERCHANTS.c
    return select(
        r.id,
        r.offer_id,
        o.title.label("offer_title"),
        o.image_url.label("offer_image_url"),
        r.merchant_id,
        m.name.label("merchant_name"),
        m.address.label("merchant_address"),
        r.points,
        r.status,
        r.created_at,
        r.expires_at,
        r.redeemed_at,
        r.closed_at,
        r.period_key,
    ).select_from(
        REDEMPTIONS.join(OFFERS, o.id == r.offer_id).join(MERCHANTS, m.id == o.merchant_id)
    )


def _take_limit_slot(module):
    """Count one reservation against the person's limit in one upsert.

    A first reservation inserts used = 1 (every limit is at least 1); later ones add 1 only
    while under the limit, and no row comes back once it is reached. The conflicting row is
    locked, so one person's concurrent reservations are serialised here.
    """
    c = COUNTERS.c
    upsert = module.insert(COUNTERS).values(
        user_id=bindparam("p_user_id"),
        offer_id=bindparam("p_offer_id"),
        period_key=bindparam("p_period_key"),
        used=1,
    )
    return upsert.on_conflict_do_update(
        index_elements=[c.user_id, c.offer_id, c.period_key],
        set_={"used": c.used + 1},
        where=c.used < bindparam("p_limit"),
    ).returning(c.used)


def _scan():
    """A scanned redemption with everything verification shows, checks and refuses with.

    `is_staff`: a merchant_staff grant of the caller in the redemption's community for its
    merchant; `staff_active`: the caller's own is_active (what current_user() checks);
    `verifiable`: the verifiable gate at :p_now, evaluated by the database.
    """
    r, o, m = REDEMPTIONS.c, OFFERS.c, MERCHANTS.c
    resident, verifier = USERS.alias("resident"), USERS.alias("verifier")
    g = GRANTS.c
    is_staff = exists().where(
        g.user_id == bindparam("p_staff_id"),
        g.community_id == r.community_id,
        g.role == "merchant_staff",
        g.merchant_id == r.merchant_id,
    )
    return (
        select(
            r.id,
            r.community_id,
            r.user_id,
            r.offer_id,
            r.merchant_id,
            r.points,
            r.status,
            r.created_at,
            r.expires_at,
            r.redeemed_at,
            r.redeemed_by,
            o.title.label("offer_title"),
            o.image_url.label("offer_image_url"),
            m.name.label("merchant_name"),
            resident.c.id.label("resident_id"),
            resident.c.real_name.label("resident_real_name"),
            resident.c.nickname.label("resident_nickname"),
            verifier.c.id.label("verifier_id"),
            verifier.c.real_name.label("verifier_real_name"),
            verifier.c.nickname.label("verifier_nickname"),
            is_staff.label("is_staff"),
            select(USERS.c.is_active)
            .where(USERS.c.id == bindparam("p_staff_id"))
            .scalar_subquery()
            .label("staff_active"),
            gates.verifiable(bindparam("p_now", type_=UTCDateTime())).label("verifiable"),
        )
        .select_from(
            REDEMPTIONS.join(OFFERS, o.id == r.offer_id)
            .join(MERCHANTS, m.id == o.merchant_id)
            .outerjoin(resident, resident.c.id == r.user_id)
            .outerjoin(verifier, verifier.c.id == r.redeemed_by)
        )
        .where(r.id == bindparam("p_id"))
    )
