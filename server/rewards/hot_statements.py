"""The statements of reserve and verify, built once per dialect and run as Core.

Reserve and verify are the rewards' busiest writes. Building a statement, or an ORM entity per
row, costs more CPU than PostgreSQL spends running it, so each request reads what it needs in
one joined SELECT and writes with prebuilt statements on the session's connection (the same
technique as server/points/ledger.py `_statements`). Bind names carry a prefix (`p_`, and
`a_`/`e_` for the audit and outbox rows): in INSERT/UPDATE, names equal to column names are
reserved.
"""

from functools import cache
from types import SimpleNamespace

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import CursorResult

from server.auth.models import User
from server.community.models import Membership, RoleGrant
from server.db.audit import AuditLog
from server.db.driver_statements import DriverResult, DriverStatement
from server.db.session import db
from server.db.types import UTCDateTime, utcnow
from server.notify.models import OutboxEvent
from server.points.ledger import fused
from server.points.ledger_models import Account
from server.rewards.models import (
    Merchant,
    Offer,
    Redemption,
    RedemptionCounter,
    RedemptionWindow,
)

USERS = User.__table__
MEMBERS = Membership.__table__
GRANTS = RoleGrant.__table__
ACCOUNTS = Account.__table__
MERCHANTS = Merchant.__table__
OFFERS = Offer.__table__
WINDOWS = RedemptionWindow.__table__
REDEMPTIONS = Redemption.__table__
COUNTERS = RedemptionCounter.__table__
AUDIT = AuditLog.__table__
OUTBOX = OutboxEvent.__table__


def hot():
    """The session's connection (joining its transaction) and the statements for its dialect."""
    conn = db.session.connection()
    return conn, statements(conn.dialect.name)


def run(conn, steps, params: dict) -> CursorResult | DriverResult:
    """Run a statement, or the steps of one combined write (see _together); the last result.

    A DriverStatement (see autocommit_statements) runs on the DBAPI connection beneath `conn`.
    """
    if isinstance(steps, DriverStatement):
        return steps.execute(conn, params)
    if not isinstance(steps, tuple):
        steps = (steps,)
    for step in steps:
        result = conn.execute(step, params)
    return result


def event_params(
    event_type: str, *, aggregate_type: str, aggregate_id: object, community_id: int, payload: dict
) -> dict:
    """The outbox row append_event writes, as the binds of a combined write."""
    return {
        "e_event_type": event_type,
        "e_aggregate_type": aggregate_type,
        "e_aggregate_id": str(aggregate_id),
        "e_community_id": community_id,
        "e_payload": payload,
        "e_created_at": utcnow(),
        "e_published_at": None,
    }


def audit_params(
    *,
    actor_id: int,
    action: str,
    target_type: str,
    target_id: object,
    community_id: int,
    before: dict | None = None,
    after: dict | None = None,
) -> dict:
    """The audit row record_audit writes, as the binds of a combined write."""
    return {
        "a_actor_id": actor_id,
        "a_community_id": community_id,
        "a_action": action,
        "a_target_type": target_type,
        "a_target_id": str(target_id),
        "a_before": before,
        "a_after": after,
        "a_created_at": utcnow(),
    }


def _bound_insert(table, prefix: str):
    """INSERT of every column but the id, each from the bind named prefix + column."""
    columns = [c for c in table.c if c.key != "id"]
    values = {c.key: bindparam(f"{prefix}{c.key}", type_=c.type) for c in columns}
    return insert(table).values(values).returning(table.c.id)


def _together(dialect: str, main, *others) -> tuple:
    """Writes that always go together, as few round trips as the dialect allows.

    PostgreSQL runs `others` as data-modifying CTEs of `main`: one round trip, one snapshot,
    every part executed to completion. SQLite has no DML in CTEs and runs them one by one,
    `main` last. Either way the result of `main` comes back (see run).
    """
    if dialect != "postgresql":
        return (*others, main)
    for n, other in enumerate(others):
        main = main.add_cte(other.cte(f"step_{n}"))
    return (main,)


@cache
def statements(dialect: str) -> SimpleNamespace:
    """Every statement of reserve and verify for one dialect, built on first use."""
    module = postgresql if dialect == "postgresql" else sqlite
    r = REDEMPTIONS.c
    event = _bound_insert(OUTBOX, "e_")
    link_hold = (
        update(REDEMPTIONS).where(r.id == bindparam("p_id")).values(hold_id=bindparam("p_hold_id"))
    )
    # The shared offer row last (lock order, see redemption.py); no row back: out of stock.
    take_stock = (
        update(OFFERS)
        .where(OFFERS.c.id == bindparam("p_offer_id"), OFFERS.c.stock > 0)
        # updated_at explicitly: a statement with DML CTEs drops the column's onupdate default.
        .values(stock=OFFERS.c.stock - 1, updated_at=bindparam("p_updated_at", type_=UTCDateTime()))
        .returning(OFFERS.c.stock)
    )
    return SimpleNamespace(
        user_active=select(USERS.c.is_active).where(USERS.c.id == bindparam("p_user_id")),
        reserve_context=_reserve_context(),
        reserve_inserting=_reserve_inserting() if dialect == "postgresql" else None,
        reservation_by_key=_reservation().where(
            r.user_id == bindparam("p_user_id"), r.client_key == bindparam("p_client_key")
        ),
        insert_redemption=module.insert(REDEMPTIONS)
        .on_conflict_do_nothing(index_elements=[r.user_id, r.client_key])
        .returning(r.id),
        take_limit_slot=_take_limit_slot(module),
        finish_reserve=_together(dialect, take_stock, link_hold.returning(r.id), event),
        scan_context=_scan_context(),
        # Verification: one statement on PostgreSQL, in steps elsewhere.
        verify_at_once=_verify_at_once() if dialect == "postgresql" else None,
        **({} if dialect == "postgresql" else _verify_by_steps(dialect, event)),
    )


def _verify_by_steps(dialect: str, event) -> dict:
    """SQLite: the exactly-once guard of verification (DESIGN.md section 7), then, after the
    ledger's settle, the debit entry on the redemption with the audit row and the event (see
    verify._settle_by_steps)."""
    r = REDEMPTIONS.c
    now = bindparam("p_now", type_=UTCDateTime())
    link_debit = (
        update(REDEMPTIONS)
        .where(r.id == bindparam("p_id"))
        .values(debit_entry_id=bindparam("p_entry_id"))
        .returning(r.id)
    )
    return {
        "redeem": update(REDEMPTIONS)
        .where(r.id == bindparam("p_id"), r.status == "reserved", r.expires_at > now)
        .values(status="redeemed", redeemed_at=now, redeemed_by=bindparam("p_staff_id"))
        .returning(r.id, r.hold_id),
        "finish_verify": _together(dialect, link_debit, _bound_insert(AUDIT, "a_"), event),
    }


@cache
def autocommit_statements() -> SimpleNamespace:
    """PostgreSQL, on an AUTOCOMMIT connection: verification's statements, run on the DBAPI
    connection (server/db/driver_statements.py; run and verify.py take either kind)."""
    st = statements("postgresql")
    (verify_at_once,) = st.verify_at_once
    return SimpleNamespace(
        user_active=DriverStatement(st.user_active),
        scan_context=DriverStatement(st.scan_context),
        verify_at_once=DriverStatement(verify_at_once),
    )


def _verify_at_once():
    """PostgreSQL: verification's whole write as ONE statement (see verify.py).

    The reserved redemption is locked first (FOR UPDATE re-checks `reserved` and the expiry
    against a concurrent verify, cancel or expiry), then the ledger settles its hold
    (ledger.settle_ctes: hold, account, entry), then the redemption is marked redeemed with
    the entry it was debited by - one UPDATE, as a row is updated at most once per statement -
    and the audit row and the outbox event name that entry. Everything after the lock reads
    the step before it, so a lost race or a hold that is not pending changes nothing. Binds
    as `redeem` and finish_verify, plus ledger.settle_binds; `a_after` and `e_payload` come
    without ledger_entry_id, which the statement adds.

    The row: reserved_id/reserved_hold_id (none: the redemption was not reservable),
    ledger.settled's columns (hold_id none: the hold was not pending) and redeemed_id.
    """
    r = REDEMPTIONS.c
    now = bindparam("p_now", type_=UTCDateTime())
    reserved = (
        select(r.id, r.hold_id)
        .where(
            r.id == bindparam("p_id"),
            r.status == literal_column("'reserved'"),
            r.expires_at > now,
        )
        .with_for_update()
        .cte("reserved")
    )
    settle = fused.settle_ctes(select(reserved.c.hold_id).scalar_subquery())
    entry_id = settle.entry.c.id
    redeem = (
        update(REDEMPTIONS)
        .where(r.id == reserved.c.id, settle.entry.c.hold_id == reserved.c.hold_id)
        .values(
            status=literal_column("'redeemed'"),
            redeemed_at=now,
            redeemed_by=bindparam("p_staff_id"),
            debit_entry_id=entry_id,
        )
        .returning(r.id)
        .cte("redeem")
    )
    named = func.jsonb_build_object(literal_column("'ledger_entry_id'"), entry_id)
    audit = _bound_insert_from(
        AUDIT, "a_", redeem.join(settle.entry, true()), after=_with(AUDIT.c.after, "a_", named)
    )
    event = _bound_insert_from(
        OUTBOX,
        "e_",
        redeem.join(settle.entry, true()),
        payload=_with(OUTBOX.c.payload, "e_", named),
    )
    main = select(
        reserved.c.id.label("reserved_id"),
        reserved.c.hold_id.label("reserved_hold_id"),
        *settle.columns,
        redeem.c.id.label("redeemed_id"),
    ).select_from(reserved.outerjoin(settle.joined, true()).outerjoin(redeem, true()))
    return _together("postgresql", main, audit, event)


def _with(column, prefix: str, extra):
    """PostgreSQL: the JSONB bind for `column` with the keys of `extra` added."""
    value = bindparam(f"{prefix}{column.key}", type_=column.type)
    return value.op("||", return_type=JSONB)(extra)


def _bound_insert_from(table, prefix: str, source, **computed):
    """Like _bound_insert, one row per row of `source`; `computed` columns are SQL instead."""
    columns = [c for c in table.c if c.key != "id"]
    values = [computed.get(c.key, bindparam(f"{prefix}{c.key}", type_=c.type)) for c in columns]
    return insert(table).from_select([c.key for c in columns], select(*values).select_from(source))


def _reserve_context(inserted=None):
    """Everything reserve checks, in one row keyed by the caller (none: no such user).

    The caller's active flag and membership, the row an Idempotency-Key already names, the
    offer with its merchant, the caller's account in the offer's community, and whether that
    community restricts reserving to windows at all. With `inserted` (see _reserve_inserting),
    also its id as new_id.
    """
    users, members, offers, merchants, accounts = USERS, MEMBERS, OFFERS, MERCHANTS, ACCOUNTS
    earlier = REDEMPTIONS.alias("earlier")
    o = offers.c
    any_window = exists().where(WINDOWS.c.community_id == o.community_id)
    context = (
        select(
            users.c.is_active,
            members.c.community_id.label("member_community_id"),
            earlier.c.offer_id.label("earlier_offer_id"),
            o.id.label("offer_id"),
            o.community_id,
            o.merchant_id,
            o.title,
            o.image_url,
            o.points_cost,
            o.stock,
            o.limit_per_person,
            o.limit_period,
            o.valid_from,
            o.valid_until,
            o.active,
            merchants.c.name.label("merchant_name"),
            merchants.c.address.label("merchant_address"),
            merchants.c.status.label("merchant_status"),
            accounts.c.id.label("account_id"),
            accounts.c.balance,
            accounts.c.held,
            any_window.label("has_windows"),
        )
        .select_from(
            users.outerjoin(members, members.c.user_id == users.c.id)
            .outerjoin(
                earlier,
                and_(
                    earlier.c.user_id == users.c.id,
                    earlier.c.client_key == bindparam("p_client_key"),
                ),
            )
            .outerjoin(offers, o.id == bindparam("p_offer_id"))
            .outerjoin(merchants, merchants.c.id == o.merchant_id)
            .outerjoin(
                accounts,
                and_(
                    accounts.c.community_id == o.community_id,
                    accounts.c.holder_type == "user",
                    accounts.c.holder_id == users.c.id,
                ),
            )
        )
        .where(users.c.id == bindparam("p_user_id"))
    )
    if inserted is None:
        return context
    return context.add_columns(inserted.c.id.label("new_id")).outerjoin(inserted, true())


def _reserve_inserting():
    """PostgreSQL: the reserve context row, and the new redemption inserted in the same trip.

    The row is inserted first, as with insert_redemption (a double tap with the same key waits
    on the unique key here, before any shared row is locked), from the offer's row in the
    statement's snapshot, so it holds exactly what reserve would insert after its checks; those
    checks still decide, on the context columns, and a refusal rolls the row back. The
    insert's WHERE only keeps obvious refusals (no such offer, sold out, inactive caller) from
    writing at all. `new_id` is none when nothing was inserted: a refusal, or the key's
    earlier row (seen in the context, or committed by a concurrent first request meanwhile).
    Binds as insert_redemption's values (`p_` prefixed), with both period keys.
    """
    r, o = REDEMPTIONS.c, OFFERS.c
    user_id = bindparam("p_user_id", type_=Integer)
    period = case(
        (o.limit_period == literal_column("'quarter'"), bindparam("p_quarter_key", type_=String)),
        else_=bindparam("p_month_key", type_=String),
    )
    caller_active = exists().where(USERS.c.id == user_id, USERS.c.is_active)
    rows = select(
        o.community_id,
        user_id,
        o.id,
        o.merchant_id,
        o.points_cost,
        period,
        literal_column("'reserved'"),
        bindparam("p_client_key", type_=String),
        o.limit_per_person.is_not(None),
        bindparam("p_expires_at", type_=UTCDateTime()),
        bindparam("p_created_at", type_=UTCDateTime()),
    ).where(o.id == bindparam("p_offer_id"), o.stock > 0, caller_active)
    names = (
        "community_id user_id offer_id merchant_id points period_key status client_key counted"
        " expires_at created_at"
    ).split()
    inserted = (
        postgresql.insert(REDEMPTIONS)
        .from_select(names, rows)
        .on_conflict_do_nothing(index_elements=[r.user_id, r.client_key])
        .returning(r.id)
        .cte("inserted")
    )
    return _reserve_context(inserted)


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


def _scan_context():
    """A scanned redemption with everything verification shows, checks and refuses with.

    `is_staff` is exactly has_role(staff, community, "merchant_staff", merchant_id=...): a
    merchant_staff grant of the staff member in the redemption's community for its merchant;
    `staff_active` is the staff member's own is_active (what current_user() checks).
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
        )
        .select_from(
            REDEMPTIONS.join(OFFERS, o.id == r.offer_id)
            .join(MERCHANTS, m.id == o.merchant_id)
            .outerjoin(resident, resident.c.id == r.user_id)
            .outerjoin(verifier, verifier.c.id == r.redeemed_by)
        )
        .where(r.id == bindparam("p_id"))
    )
