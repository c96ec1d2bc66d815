"""Every statement the ledger writes with, built once per dialect with SQLAlchemy Core.

Both databases run the same statements; only the dialect's `insert` differs, for
ON CONFLICT. Building a statement costs more CPU than the database spends running it, so they
are built here with bindparam()s and run on the session's connection. Bind names carry a `p_`
prefix where they would equal a column name (reserved in INSERT/UPDATE).
"""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import String, and_, bindparam, case, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.expression import ColumnElement, Executable

from server.community.models import RoleGrant
from server.db.session import db
from server.db.types import UTCDateTime
from server.points.ledger_models import OWN_KIND, Account, Hold, LedgerEntry, PeriodTotal
from server.points.rankings import GRID_WORKER_CAUSES

ACCOUNTS = Account.__table__
ENTRIES = LedgerEntry.__table__
HOLDS = Hold.__table__
TOTALS = PeriodTotal.__table__

# What every account UPDATE returns: the new state and who holds the account.
STATE = (
    ACCOUNTS.c.balance,
    ACCOUNTS.c.held,
    ACCOUNTS.c.earned,
    ACCOUNTS.c.community_id,
    ACCOUNTS.c.holder_type,
    ACCOUNTS.c.holder_id,
)


def available_covers(amount) -> ColumnElement[bool]:
    """The gate of every debit and hold: the available balance covers `amount`.

    The WHERE of the account's UPDATE itself, so concurrent spenders cannot both pass it
    (docs/architecture.md, one gate per rule).
    """
    return ACCOUNTS.c.balance - ACCOUNTS.c.held >= amount


def hold_is_pending() -> ColumnElement[bool]:
    """The gate of settle, release and expire: a hold resolves once.

    The WHERE of the hold's UPDATE: of concurrent resolutions exactly one matches the row.
    """
    return HOLDS.c.status == "pending"


def _has_role(role: str):
    return (
        select(RoleGrant.id)
        .where(
            RoleGrant.user_id == ACCOUNTS.c.holder_id,
            RoleGrant.community_id == ACCOUNTS.c.community_id,
            RoleGrant.role == role,
        )
        .exists()
    )


def rank_kinds_of(cause_type) -> ColumnElement[str]:
    """The ranking lists a credit to the account (a row of point_accounts) counts in, as the
    entry's comma-separated `rank_kinds`, fixed by the holder's grants when it is posted
    (server/points/rankings.py): an organisation's or a shop's account in its OWN_KIND; a
    user account in "person", plus "party_member" for a party member and "grid_worker" for a
    grid worker's credit caused by grid service. `cause_type` is the credit's (a bind)."""
    party = case((_has_role("party_member"), ",party_member"), else_="")
    service = and_(_has_role("grid_worker"), cause_type.in_(GRID_WORKER_CAUSES))
    grid = case((service, ",grid_worker"), else_="")
    person = literal(OWN_KIND["user"], String) + party + grid
    others = {holder: kind for holder, kind in OWN_KIND.items() if holder != "user"}
    return case(others, value=ACCOUNTS.c.holder_type, else_=person)


@dataclass(frozen=True)
class Statements:
    # Accounts (binds p_id, p_amount, p_earned, p_now): give adds to the balance and returns
    # the credit's rank_kinds too (bind p_cause_type); take is conditional on cover.
    give: Executable
    rank_kinds: Executable  # of one account for a cause (binds p_id, p_cause_type)
    take: Executable
    hold: Executable
    unhold: Executable
    settle: Executable
    new_account: Executable
    # Rows: entries and holds are inserted unless their idempotency key exists (no row back).
    insert_entry: Executable
    insert_hold: Executable
    # A plain INSERT run with many rows (a used key fails it). No RETURNING: with it, the
    # rows would go as multi-row VALUES that psycopg parses far slower than it sends rows.
    import_entries: Executable
    add_total: Executable
    resolve_hold: Executable
    link_settle: Executable


@cache
def for_dialect(dialect: str) -> Statements:
    """The ledger's statements for `dialect` ("postgresql" or "sqlite")."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    a, h = ACCOUNTS.c, HOLDS.c
    amount, earned = bindparam("p_amount"), bindparam("p_earned")
    now = bindparam("p_now", type_=UTCDateTime())
    account = update(ACCOUNTS).where(a.id == bindparam("p_id"))
    covered = account.where(available_covers(amount))
    kinds = rank_kinds_of(bindparam("p_cause_type", type_=String)).label("rank_kinds")
    add_total = insert(TOTALS)
    add_total = add_total.on_conflict_do_update(
        index_elements=[TOTALS.c.account_id, TOTALS.c.kind, TOTALS.c.month],
        set_={"points": TOTALS.c.points + add_total.excluded.points},
    )
    return Statements(
        give=account.values(
            balance=a.balance + amount, earned=a.earned + earned, updated_at=now
        ).returning(*STATE, kinds),
        rank_kinds=select(kinds).where(a.id == bindparam("p_id")),
        take=covered.values(
            balance=a.balance - amount, earned=a.earned - earned, updated_at=now
        ).returning(*STATE),
        hold=covered.values(held=a.held + amount, updated_at=now).returning(*STATE),
        unhold=account.values(held=a.held - amount, updated_at=now).returning(*STATE),
        settle=account.values(
            balance=a.balance - amount, held=a.held - amount, updated_at=now
        ).returning(*STATE),
        new_account=insert(ACCOUNTS).on_conflict_do_nothing(),
        insert_entry=insert(ENTRIES).on_conflict_do_nothing().returning(ENTRIES.c.id),
        import_entries=insert(ENTRIES),
        insert_hold=insert(HOLDS).on_conflict_do_nothing().returning(h.id),
        add_total=add_total,
        resolve_hold=update(HOLDS)
        .where(h.id == bindparam("p_id"), hold_is_pending())
        .values(
            status=bindparam("p_status"), resolved_at=now, resolution_reason=bindparam("p_reason")
        )
        .returning(*HOLDS.c),
        link_settle=update(HOLDS)
        .where(h.id == bindparam("p_id"))
        .values(settle_entry_id=bindparam("p_entry_id")),
    )


def session_statements():
    """The session's connection (joining its transaction) and the statements for its dialect."""
    conn = db.session.connection()
    return conn, for_dialect(conn.dialect.name)
