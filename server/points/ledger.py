"""The points ledger: the only code that changes a point balance.

Every write is a conditional UPDATE of the account row (which also serialises writers of that
account) followed by an INSERT of its entry in the same transaction. Nothing here commits: the
caller's cause (claim approved, attendance confirmed, redemption verified) and its ledger effect
commit together.

Idempotency: entries and holds carry a UNIQUE idempotency key. The row is inserted with
`ON CONFLICT DO NOTHING`; when nothing was inserted the key was used before (possibly by a
concurrent transaction we waited for), so the balance change just made is undone in the same
transaction and the first result is returned - or IdempotencyConflict when the first use was
for another account or amount. No savepoint is needed, and no error aborts the caller's
transaction on PostgreSQL.
"""

from datetime import datetime
from functools import cache
from types import SimpleNamespace

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    exists,
    func,
    insert,
    inspect,
    literal_column,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from server.community.models import RoleGrant
from server.db.session import db
from server.db.types import UTCDateTime, utcnow
from server.http.errors import Conflict, NotFound, Unprocessable
from server.platform import profile_versions
from server.platform.localtime import month_of
from server.points import rankings
from server.points.ledger_models import (
    DEBIT_KINDS,
    EARNING_KINDS,
    Account,
    Hold,
    LedgerEntry,
    PeriodTotal,
)

__all__ = [
    "Account",
    "LedgerEntry",
    "Hold",
    "account_for_user",
    "account_for_organisation",
    "find_account",
    "credit",
    "debit",
    "hold",
    "release",
    "settle",
    "expire",
    "expire_due_holds",
    "reverse",
    "InsufficientPoints",
    "IdempotencyConflict",
    "HoldNotPending",
    "MAX_AMOUNT",
]

MAX_AMOUNT = 1_000_000
MAX_KEY_LENGTH = 160

ACCOUNTS = Account.__table__
ENTRIES = LedgerEntry.__table__
HOLDS = Hold.__table__


class InsufficientPoints(Conflict):
    code, message = "insufficient_points", "可用积分不足"


class IdempotencyConflict(Conflict):
    code, message = "idempotency_conflict", "该请求编号已用于其他操作，请勿重复使用"


class HoldNotPending(Conflict):
    code, message = "hold_not_pending", "该积分冻结已处理，不能重复操作"


class EntryNotReversible(Conflict):
    code, message = "entry_not_reversible", "该记录不能冲正"


class AlreadyReversed(Conflict):
    code, message = "already_reversed", "该记录已冲正，不能重复冲正"


# ---------------------------------------------------------------- helpers


def _insert(model_or_table):
    """INSERT with ON CONFLICT support for the session's dialect."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model_or_table)


@cache
def _statements(dialect: str) -> SimpleNamespace:
    """The hot-path statements, built once per dialect.

    Building a statement costs more CPU than the database spends running it, so the common
    writes are built here with bindparam()s and run as Core on the session's connection.
    Bind names carry a `p_` prefix: in INSERT/UPDATE, names equal to column names are reserved.
    """
    module = postgresql if dialect == "postgresql" else sqlite
    a, h = ACCOUNTS.c, HOLDS.c
    amount, now = bindparam("p_amount"), bindparam("p_now", type_=UTCDateTime())
    state = (a.balance, a.held, a.earned, a.community_id, a.holder_type, a.holder_id)
    roles = (
        _has_role("party_member").label("party_member"),
        _has_role("grid_worker").label("grid_worker"),
    )
    account = update(ACCOUNTS).where(a.id == bindparam("p_id"))
    # The conditional part of every debit and hold (DESIGN.md section 7).
    covered = account.where(a.balance - a.held >= amount)
    totals = PeriodTotal.__table__
    upsert = module.insert(totals)
    upsert = upsert.on_conflict_do_update(
        index_elements=[totals.c.account_id, totals.c.kind, totals.c.month],
        set_={"points": totals.c.points + upsert.excluded.points},
    )
    resolve = (
        update(HOLDS)
        .where(h.id == bindparam("p_id"), h.status == "pending")
        .values(
            status=bindparam("p_status"),
            resolved_at=now,
            resolution_reason=bindparam("p_reason"),
        )
    )
    return SimpleNamespace(
        credit=account.values(
            balance=a.balance + amount, earned=a.earned + amount, updated_at=now
        ).returning(*state, *roles),
        debit=covered.values(balance=a.balance - amount, updated_at=now).returning(*state),
        hold=covered.values(held=a.held + amount, updated_at=now).returning(*state),
        unhold=account.values(held=a.held - amount).returning(*state),
        settle=account.values(
            balance=a.balance - amount, held=a.held - amount, updated_at=now
        ).returning(*state),
        insert_entry=module.insert(ENTRIES).on_conflict_do_nothing().returning(ENTRIES.c.id),
        insert_counted_entry=_counted_entry() if dialect == "postgresql" else None,
        insert_hold=module.insert(HOLDS).on_conflict_do_nothing().returning(h.id),
        add_total=upsert,
        resolve=resolve.returning(*HOLDS.c),
        link_settle=update(HOLDS)
        .where(h.id == bindparam("p_id"))
        .values(settle_entry_id=bindparam("p_entry_id")),
        settle_at_once=_settle_at_once() if dialect == "postgresql" else None,
        hold_at_once=_hold_at_once(covered, state, amount, now)
        if dialect == "postgresql"
        else None,
    )


def _hold_at_once(covered, state, amount, now):
    """PostgreSQL: the covered `held` increase and the new hold as ONE statement.

    Returns the account state and hold_id; no row when the account does not cover the amount
    (or is missing), hold_id NULL when a hold with this key exists already - then the held
    increase happened and must be given back, exactly as on the two-statement path.
    """
    held = covered.values(held=ACCOUNTS.c.held + amount, updated_at=now).returning(
        ACCOUNTS.c.id, *state
    )
    held = held.cte("held_account")
    rows = select(
        held.c.id,
        amount,
        literal_column("'pending'"),
        bindparam("p_reason", type_=String),
        bindparam("p_cause_type", type_=String),
        bindparam("p_cause_id", type_=String),
        bindparam("p_key", type_=String),
        bindparam("p_actor_id", type_=Integer),
        bindparam("p_expires_at", type_=UTCDateTime()),
        now,
    )
    names = (
        "account_id amount status reason cause_type cause_id idempotency_key actor_id"
        " expires_at created_at"
    ).split()
    new_hold = (
        postgresql.insert(HOLDS)
        .from_select(names, rows)
        .on_conflict_do_nothing()
        .returning(HOLDS.c.id)
        .cte("new_hold")
    )
    return select(*held.c, new_hold.c.id.label("hold_id")).select_from(
        held.outerjoin(new_hold, true())
    )


def _counted_entry():
    """PostgreSQL: INSERT an entry and add it to its period totals in ONE round trip.

    The totals upsert reads the entry CTE, so it adds nothing when the idempotency key already
    existed (ON CONFLICT DO NOTHING returned no row). SQLite has no DML in CTEs and runs the two
    statements one after the other instead (see _insert_entry).
    """
    columns = [c for c in ENTRIES.c if c.key != "id"]
    entry = (
        postgresql.insert(ENTRIES)
        .values({c.key: bindparam(f"p_{c.key}", type_=c.type) for c in columns})
        .on_conflict_do_nothing()
        .returning(ENTRIES.c.id)
        .cte("entry")
    )
    totals = PeriodTotal.__table__
    kind = func.unnest(bindparam("p_kinds", type_=postgresql.ARRAY(String))).column_valued("kind")
    rows = select(
        bindparam("p_account_id", type_=Integer),
        bindparam("p_community_id", type_=Integer),
        kind,
        bindparam("p_rank_month", type_=String),
        bindparam("p_amount", type_=BigInteger),
    ).where(exists(entry.select()))
    upsert = postgresql.insert(totals).from_select(
        ["account_id", "community_id", "kind", "month", "points"], rows
    )
    upsert = upsert.on_conflict_do_update(
        index_elements=[totals.c.account_id, totals.c.kind, totals.c.month],
        set_={"points": totals.c.points + upsert.excluded.points},
    )
    return select(entry.c.id).add_cte(upsert.cte("totals"))


# What a settle statement returns besides the account state (see settle_ctes).
_HOLD_LABELS = tuple((c.key, f"hold_{c.key}") for c in HOLDS.c if c.key != "id")
_STATE = ("balance", "held", "earned", "holder_type", "holder_id")


def settle_ctes(hold_id, *, whole_hold: bool = False) -> SimpleNamespace:
    """PostgreSQL: settling a hold as data-modifying CTEs of ONE statement.

    `hold_id` is the hold to settle, as SQL: a bind, or a column of a caller's CTE (verify
    locks the redemption first, in the usual lock order). Binds: p_now, p_reason, p_actor_id.

    The steps keep the step-by-step order of locks and ids: the pending hold is locked
    (FOR UPDATE re-checks `pending` against a concurrent resolution), then the account is
    debited, and only then is the entry's id drawn, so entry ids follow the account's
    balance_after sequence as they do when the INSERT draws them. PostgreSQL cannot update
    one row twice in a statement, so the hold is resolved last, in one UPDATE that also sets
    settle_entry_id (the row is ours already; a lock is not an update). When the hold is not
    pending nothing changes and the joined row is missing.

    Select `columns` from `joined` (or outer-join it to the caller's CTE) and hand the row to
    `settled`; `entry` is the new entry's CTE (id, hold_id) for callers that record it. With
    `whole_hold` the columns also carry the resolved hold (hold_<column>). The statement stays
    short on purpose: psycopg caches its parse of statements up to 4096 bytes only.
    """
    h, a = HOLDS.c, ACCOUNTS.c
    now = bindparam("p_now", type_=UTCDateTime())
    reason = bindparam("p_reason", type_=String)
    pending = (
        select(h.id, h.account_id, h.amount, h.cause_type, h.cause_id)
        .where(h.id == hold_id, h.status == literal_column("'pending'"))
        .with_for_update()
        .cte("pending_hold")
    )
    # No WHERE guard beyond the hold: its points are already counted in `held`, and the
    # CHECKs (held >= 0, held <= balance, balance >= 0) refuse anything else, as they do for
    # the step-by-step settle.
    account = (
        update(ACCOUNTS)
        .where(a.id == pending.c.account_id)
        .values(
            balance=a.balance - pending.c.amount, held=a.held - pending.c.amount, updated_at=now
        )
        .returning(
            a.id,
            *(a[name] for name in _STATE),
            func.nextval(literal_column(f"'{ENTRIES.name}_id_seq'"), type_=BigInteger).label(
                "entry_id"
            ),
        )
        .cte("settled_account")
    )
    rows = select(
        account.c.entry_id,
        account.c.id,
        -pending.c.amount,
        account.c.balance,
        literal_column("'settle'"),
        pending.c.cause_type,
        pending.c.cause_id,
        reason,
        literal_column("'hold:'") + pending.c.id.cast(String) + literal_column("':settle'"),
        bindparam("p_actor_id", type_=Integer),
        pending.c.id,
        literal_column("''"),
        now,
    ).select_from(pending.join(account, account.c.id == pending.c.account_id))
    names = (
        "id account_id amount balance_after kind cause_type cause_id reason idempotency_key"
        " actor_id hold_id rank_kinds created_at"
    ).split()
    # A plain INSERT: the key is the hold's, and the hold resolves once, so a conflict would be
    # corruption and must fail loudly rather than pass as a replay.
    entry = (
        insert(ENTRIES)
        .from_select(names, rows)
        .returning(ENTRIES.c.id, ENTRIES.c.hold_id)
        .cte("settle_entry")
    )
    hold = (
        update(HOLDS)
        .where(h.id == entry.c.hold_id)
        .values(
            status=literal_column("'settled'"),
            resolved_at=now,
            resolution_reason=reason,
            settle_entry_id=entry.c.id,
        )
        .returning(*(HOLDS.c if whole_hold else (h.id,)))
        .cte("settled_hold")
    )
    columns = [
        hold.c.id.label("hold_id"),
        account.c.id.label("account_id"),
        *(account.c[name] for name in _STATE),
        entry.c.id.label("entry_id"),
    ]
    if whole_hold:
        columns += [hold.c[key].label(label) for key, label in _HOLD_LABELS]
    joined = hold.join(entry, entry.c.hold_id == hold.c.id).join(
        account, account.c.entry_id == entry.c.id
    )
    return SimpleNamespace(columns=columns, joined=joined, entry=entry)


def _settle_at_once():
    parts = settle_ctes(bindparam("p_id", type_=BigInteger), whole_hold=True)
    return select(*parts.columns).select_from(parts.joined)


def settle_binds(*, reason: str, actor_id: int | None, now: datetime) -> dict:
    """The binds settle_ctes reads, checked as settle checks them."""
    _check_text(reason)
    return {"p_now": now, "p_reason": reason.strip(), "p_actor_id": actor_id}


def settled(row, hold_id: int, *, committed: bool = False) -> None:
    """After a settle statement: refuse as settle does, else sync the account like settle.

    `row` is the statement's row; None, or no hold in it, means the hold was not pending
    (and the statement changed nothing). `committed`: the statement ran in autocommit, outside
    the session, so the holder's profile version is bumped now instead of after a commit.
    """
    if row is None or row.hold_id is None:
        _refuse_unresolved(hold_id)
    if not committed:
        _sync(row.account_id, row)
    elif row.holder_type == "user":
        profile_versions.bump_now(row.holder_id)


def _hot():
    """The session's connection (joining its transaction) and the statements for its dialect."""
    conn = db.session.connection()
    return conn, _statements(conn.dialect.name)


def _check_amount(amount) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise Unprocessable("积分必须是整数", code="invalid_amount", details={"amount": amount})
    if not 1 <= amount <= MAX_AMOUNT:
        raise Unprocessable(
            f"积分数量应在 1 到 {MAX_AMOUNT} 之间",
            code="invalid_amount",
            details={"amount": amount, "min": 1, "max": MAX_AMOUNT},
        )
    return amount


def _check_text(reason: str, idempotency_key: str | None = None) -> None:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
        raise Unprocessable("请填写原因（不超过 200 字）", code="invalid_reason")
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str)
        or not idempotency_key
        or len(idempotency_key) > MAX_KEY_LENGTH
    ):
        raise Unprocessable("请求编号无效", code="invalid_idempotency_key")


def _sync(account_id: int, row) -> None:
    """Put the values the UPDATE returned on the in-session object (if any), not dirtying it.

    Every balance change passes here, so here the holder's cached profile is marked stale.
    """
    if row.holder_type == "user":
        profile_versions.touch(row.holder_id)
    account = db.session.identity_map.get(identity_key(Account, account_id))
    if account is None:
        return
    set_committed_value(account, "balance", row.balance)
    set_committed_value(account, "held", row.held)
    set_committed_value(account, "earned", row.earned)


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


def _change(account_id: int, *, where=(), with_roles: bool = False, **values):
    """Conditionally update one account; return its new state and holder, or None.

    With `with_roles`, the holder's ranking-relevant grants come back in the same round trip.
    """
    returning = [
        ACCOUNTS.c.balance,
        ACCOUNTS.c.held,
        ACCOUNTS.c.earned,
        ACCOUNTS.c.community_id,
        ACCOUNTS.c.holder_type,
        ACCOUNTS.c.holder_id,
    ]
    if with_roles:
        returning += [
            _has_role("party_member").label("party_member"),
            _has_role("grid_worker").label("grid_worker"),
        ]
    stmt = (
        update(ACCOUNTS)
        .where(ACCOUNTS.c.id == account_id, *where)
        .values(**values)
        .returning(*returning)
    )
    return db.session.execute(stmt).one_or_none()


def _id_of(account: Account | int) -> int:
    """The account id, without reloading an object expired by the caller's last commit."""
    if isinstance(account, Account):
        identity = inspect(account).identity
        return identity[0] if identity else account.id
    if isinstance(account, bool) or not isinstance(account, int):
        raise NotFound("积分账户不存在", code="account_not_found")
    return account


def _entry_by_key(key: str) -> LedgerEntry | None:
    return db.session.scalar(select(LedgerEntry).where(LedgerEntry.idempotency_key == key))


def _replay(existing: LedgerEntry, account_id: int, amount: int, key: str) -> LedgerEntry:
    if existing.account_id != account_id or existing.amount != amount:
        raise IdempotencyConflict(details={"idempotency_key": key, "entry_id": existing.id})
    return existing


_ENTRY_DEFAULTS = {
    "actor_id": None,
    "item_version_id": None,
    "hold_id": None,
    "reverses_entry_id": None,
    "rank_month": None,
    "rank_kinds": "",
}


def _insert_entry(values: dict, *, community_id: int | None = None, hot=None) -> LedgerEntry | None:
    """INSERT the entry unless its key exists; None when it did (the caller replays).

    With `community_id`, the entry's amount is also added to the period totals of its
    `rank_kinds` (in the same round trip on PostgreSQL) once the entry is known to be new.
    `hot`: the caller's (connection, statements), which saves looking them up again.
    """
    conn, st = hot or _hot()
    # Every column is always bound, so one compiled form of the INSERT serves all callers.
    values = {**_ENTRY_DEFAULTS, **values}
    kinds = [k for k in values["rank_kinds"].split(",") if k] if community_id else []
    if kinds and st.insert_counted_entry is not None:
        params = {f"p_{name}": value for name, value in values.items()}
        params.update(p_community_id=community_id, p_kinds=kinds)
        entry_id = conn.execute(st.insert_counted_entry, params).scalar_one_or_none()
        if entry_id is None:
            return None
        rankings.queue_increment(
            community_id, values["account_id"], kinds, values["rank_month"], values["amount"]
        )
    else:
        entry_id = conn.execute(st.insert_entry, values).scalar_one_or_none()
        if entry_id is None:
            return None
        if kinds:
            month, amount = values["rank_month"], values["amount"]
            _add_to_totals(values["account_id"], community_id, month, kinds, amount)
    # The row is known in full: register it as persistent without reading it back.
    return _attach(LedgerEntry, {"id": entry_id, **values})


@cache
def _manager(model):
    return inspect(model).class_manager


def _attach(model, values: dict):
    """Register a row we just wrote as a persistent object, without a SELECT.

    An object for that row already in the session gets the values instead (not dirtying it),
    so callers holding it see the new state.
    """
    current = db.session.identity_map.get(identity_key(model, values["id"]))
    if current is not None:
        for name, value in values.items():
            set_committed_value(current, name, value)
        return current
    # Filled like the ORM's own loader fills a row (no attribute events): a third of the cost
    # of model(**values), which records every value as a change only to commit it at once.
    obj = _manager(model).new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


def _rank_kinds(row, cause_type: str) -> list[str]:
    """The ranking lists a credit counts in (see server/points/rankings.py for the rules)."""
    if row.holder_type == "organisation":
        return ["organisation"]
    kinds = ["person"]
    if row.party_member:
        kinds.append("party_member")
    if row.grid_worker and cause_type in rankings.GRID_WORKER_CAUSES:
        kinds.append("grid_worker")
    return kinds


def _add_to_totals(
    account_id: int, community_id: int, month: str, kinds: list[str], delta: int
) -> None:
    if not kinds:
        return
    conn, st = _hot()
    # One cached single-row statement per kind (usually one): multi-row VALUES never caches.
    for kind in kinds:
        conn.execute(
            st.add_total,
            {
                "account_id": account_id,
                "community_id": community_id,
                "kind": kind,
                "month": month,
                "points": delta,
            },
        )
    rankings.queue_increment(community_id, account_id, kinds, month, delta)


# ---------------------------------------------------------------- accounts


def find_account(community_id: int, holder_type: str, holder_id: int) -> Account | None:
    return db.session.scalar(
        select(Account).where(
            Account.community_id == community_id,
            Account.holder_type == holder_type,
            Account.holder_id == holder_id,
        )
    )


def _get_or_create(community_id: int, holder_type: str, holder_id: int) -> Account:
    account = find_account(community_id, holder_type, holder_id)
    if account is not None:
        return account
    now = utcnow()
    db.session.execute(
        _insert(ACCOUNTS)
        .values(
            community_id=community_id,
            holder_type=holder_type,
            holder_id=holder_id,
            balance=0,
            held=0,
            earned=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing()
    )
    return find_account(community_id, holder_type, holder_id)


def account_for_user(community_id: int, user_id: int) -> Account:
    """The user's account in the community, created empty on first use."""
    return _get_or_create(community_id, "user", user_id)


def account_for_organisation(community_id: int, organisation_id: int) -> Account:
    """The organisation's account in the community, created empty on first use."""
    return _get_or_create(community_id, "organisation", organisation_id)


# ---------------------------------------------------------------- credit and debit


def credit(
    account: Account,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    cause_type: str,
    cause_id: str | int,
    actor_id: int | None = None,
    item_version_id: int | None = None,
    kind: str = "credit",
    at: datetime | None = None,
) -> LedgerEntry:
    """Add points once per idempotency key; they count as earned and in the rankings.

    `at` backdates the entry (history import and benchmarks only).
    """
    _check_amount(amount)
    _check_text(reason, idempotency_key)
    if kind not in EARNING_KINDS:
        raise ValueError(f"credit kind must be one of {EARNING_KINDS}")
    account_id = _id_of(account)
    now = at or utcnow()
    conn, st = _hot()
    row = conn.execute(
        st.credit, {"p_id": account_id, "p_amount": amount, "p_now": now}
    ).one_or_none()
    if row is None:
        raise NotFound("积分账户不存在", code="account_not_found")
    month = month_of(now)
    kinds = _rank_kinds(row, cause_type)
    entry = _insert_entry(
        {
            "account_id": account_id,
            "amount": amount,
            "balance_after": row.balance,
            "kind": kind,
            "cause_type": cause_type,
            "cause_id": str(cause_id),
            "reason": reason.strip(),
            "idempotency_key": idempotency_key,
            "actor_id": actor_id,
            "item_version_id": item_version_id,
            "rank_month": month,
            "rank_kinds": ",".join(kinds),
            "created_at": now,
        },
        community_id=row.community_id,
        hot=(conn, st),
    )
    if entry is None:
        row = _change(
            account_id,
            balance=ACCOUNTS.c.balance - amount,
            earned=ACCOUNTS.c.earned - amount,
        )
        _sync(account_id, row)
        return _replay(_entry_by_key(idempotency_key), account_id, amount, idempotency_key)
    _sync(account_id, row)
    return entry


def _refuse_insufficient(account_id: int, amount: int, key: str, signed: int) -> LedgerEntry:
    """The conditional debit matched nothing: replay the key's first result, or refuse."""
    existing = _entry_by_key(key)
    if existing is not None:
        return _replay(existing, account_id, signed, key)
    _insufficient(account_id, amount)


def _insufficient(account_id: int, amount: int):
    current = db.session.execute(
        select(ACCOUNTS.c.balance, ACCOUNTS.c.held).where(ACCOUNTS.c.id == account_id)
    ).one_or_none()
    if current is None:
        raise NotFound("积分账户不存在", code="account_not_found")
    raise InsufficientPoints(
        details={"available": current.balance - current.held, "requested": amount}
    )


def debit(
    account: Account,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    cause_type: str,
    cause_id: str | int,
    actor_id: int | None = None,
    item_version_id: int | None = None,
    kind: str = "debit",
    at: datetime | None = None,
) -> LedgerEntry:
    """Take points from the available balance once per key; refuse if not enough."""
    _check_amount(amount)
    _check_text(reason, idempotency_key)
    if kind not in DEBIT_KINDS:
        raise ValueError(f"debit kind must be one of {DEBIT_KINDS}")
    account_id = _id_of(account)
    now = at or utcnow()
    conn, st = _hot()
    row = conn.execute(
        st.debit, {"p_id": account_id, "p_amount": amount, "p_now": now}
    ).one_or_none()
    if row is None:
        return _refuse_insufficient(account_id, amount, idempotency_key, -amount)
    entry = _insert_entry(
        {
            "account_id": account_id,
            "amount": -amount,
            "balance_after": row.balance,
            "kind": kind,
            "cause_type": cause_type,
            "cause_id": str(cause_id),
            "reason": reason.strip(),
            "idempotency_key": idempotency_key,
            "actor_id": actor_id,
            "item_version_id": item_version_id,
            "created_at": now,
        },
        hot=(conn, st),
    )
    if entry is None:
        _sync(account_id, _change(account_id, balance=ACCOUNTS.c.balance + amount))
        return _replay(_entry_by_key(idempotency_key), account_id, -amount, idempotency_key)
    _sync(account_id, row)
    return entry


# ---------------------------------------------------------------- holds


def _hold_id(hold_or_id: Hold | int) -> int:
    return hold_or_id.id if isinstance(hold_or_id, Hold) else int(hold_or_id)


def hold(
    account: Account,
    amount: int,
    *,
    reason: str,
    idempotency_key: str,
    cause_type: str,
    cause_id: str | int,
    actor_id: int | None = None,
    expires_at: datetime | None = None,
) -> Hold:
    """Reserve points from the available balance once per key (balance itself unchanged)."""
    _check_amount(amount)
    _check_text(reason, idempotency_key)
    account_id = _id_of(account)
    now = utcnow()
    conn, st = _hot()
    if st.hold_at_once is not None:
        return _hold_at_once_run(
            conn,
            st,
            account_id,
            amount,
            now,
            {
                "p_reason": reason.strip(),
                "p_cause_type": cause_type,
                "p_cause_id": str(cause_id),
                "p_key": idempotency_key,
                "p_actor_id": actor_id,
                "p_expires_at": expires_at,
            },
        )
    row = conn.execute(st.hold, {"p_id": account_id, "p_amount": amount, "p_now": now})
    row = row.one_or_none()
    if row is None:
        return _refuse_hold(account_id, amount, idempotency_key)
    values = {
        "account_id": account_id,
        "amount": amount,
        "status": "pending",
        "reason": reason.strip(),
        "cause_type": cause_type,
        "cause_id": str(cause_id),
        "idempotency_key": idempotency_key,
        "actor_id": actor_id,
        "expires_at": expires_at,
        "created_at": now,
    }
    hold_id = conn.execute(st.insert_hold, values).scalar_one_or_none()
    if hold_id is None:
        _sync(account_id, conn.execute(st.unhold, {"p_id": account_id, "p_amount": amount}).one())
        existing = _hold_by_key(idempotency_key)
        return _replay_hold(existing, account_id, amount, idempotency_key)
    _sync(account_id, row)
    unresolved = {"resolved_at": None, "resolution_reason": None, "settle_entry_id": None}
    return _attach(Hold, {"id": hold_id, **values, **unresolved})


def _hold_at_once_run(conn, st, account_id: int, amount: int, now: datetime, binds: dict) -> Hold:
    params = {"p_id": account_id, "p_amount": amount, "p_now": now, **binds}
    row = conn.execute(st.hold_at_once, params).one_or_none()
    key = binds["p_key"]
    if row is None:
        return _refuse_hold(account_id, amount, key)
    if row.hold_id is None:  # the key's hold exists: give the points back, replay it
        _sync(account_id, conn.execute(st.unhold, {"p_id": account_id, "p_amount": amount}).one())
        return _replay_hold(_hold_by_key(key), account_id, amount, key)
    _sync(account_id, row)
    return _attach(
        Hold,
        {
            "id": row.hold_id,
            "account_id": account_id,
            "amount": amount,
            "status": "pending",
            "reason": binds["p_reason"],
            "cause_type": binds["p_cause_type"],
            "cause_id": binds["p_cause_id"],
            "idempotency_key": key,
            "actor_id": binds["p_actor_id"],
            "expires_at": binds["p_expires_at"],
            "created_at": now,
            "resolved_at": None,
            "resolution_reason": None,
            "settle_entry_id": None,
        },
    )


def _refuse_hold(account_id: int, amount: int, key: str) -> Hold:
    """No covered account row: replay the key's hold if it exists, else not enough points."""
    existing = _hold_by_key(key)
    if existing is not None:
        return _replay_hold(existing, account_id, amount, key)
    _insufficient(account_id, amount)


def _hold_by_key(key: str) -> Hold | None:
    return db.session.scalar(select(Hold).where(Hold.idempotency_key == key))


def _replay_hold(existing: Hold, account_id: int, amount: int, key: str) -> Hold:
    if existing.account_id != account_id or existing.amount != amount:
        raise IdempotencyConflict(details={"idempotency_key": key, "hold_id": existing.id})
    return existing


def _resolve(hold_id: int, status: str, reason: str, now: datetime):
    """Move a pending hold to `status`; exactly one of release/settle/expire wins.

    Returns the whole resolved row, so nobody reads the hold again.
    """
    conn, st = _hot()
    params = {"p_id": hold_id, "p_status": status, "p_now": now, "p_reason": reason.strip()}
    row = conn.execute(st.resolve, params).one_or_none()
    if row is None:
        _refuse_unresolved(hold_id)
    return row


def _refuse_unresolved(hold_id: int):
    """A hold that did not resolve: it does not exist, or another resolution won."""
    current = db.session.get(Hold, hold_id, populate_existing=True)
    if current is None:
        raise NotFound("积分冻结记录不存在", code="hold_not_found")
    raise HoldNotPending(details={"hold_id": hold_id, "status": current.status})


def release(hold: Hold | int, *, reason: str, actor_id: int | None = None) -> Hold:
    """Give held points back to the available balance (cancelled reservation)."""
    _check_text(reason)
    hold_id = _hold_id(hold)
    now = utcnow()
    row = _resolve(hold_id, "released", reason, now)
    _unhold(row)
    return _attach(Hold, dict(row._mapping))


def expire(hold: Hold | int, *, reason: str = "冻结已过期，积分已退回") -> Hold:
    """Release a hold because it expired; races release and settle like they race each other."""
    hold_id = _hold_id(hold)
    now = utcnow()
    row = _resolve(hold_id, "expired", reason, now)
    _unhold(row)
    return _attach(Hold, dict(row._mapping))


def _unhold(hold_row) -> None:
    """Give a resolved hold's points back to the available balance."""
    conn, st = _hot()
    params = {"p_id": hold_row.account_id, "p_amount": hold_row.amount}
    _sync(hold_row.account_id, conn.execute(st.unhold, params).one())


def expire_due_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Expire pending holds past their expiry (a scheduled job); return how many."""
    now = now or utcnow()
    due = db.session.scalars(
        select(Hold.id)
        .where(Hold.status == "pending", Hold.expires_at.is_not(None), Hold.expires_at <= now)
        .order_by(Hold.id)
        .limit(limit)
    ).all()
    count = 0
    for hold_id in due:
        try:
            expire(hold_id)
            count += 1
        except HoldNotPending:
            continue  # settled or released meanwhile: that resolution won
    return count


def settle(hold: Hold | int, *, reason: str, actor_id: int | None = None) -> LedgerEntry:
    """Turn a hold into a debit of the held points (redemption verified)."""
    now = utcnow()
    binds = settle_binds(reason=reason, actor_id=actor_id, now=now)
    hold_id = _hold_id(hold)
    conn, st = _hot()
    if st.settle_at_once is not None:
        row = conn.execute(st.settle_at_once, {"p_id": hold_id, **binds}).one_or_none()
        settled(row, hold_id)
        m = row._mapping
        hold_row = {"id": hold_id, **{key: m[label] for key, label in _HOLD_LABELS}}
        _attach(Hold, hold_row)
        return _attach(
            LedgerEntry,
            {
                **_ENTRY_DEFAULTS,
                "id": row.entry_id,
                "account_id": row.account_id,
                "amount": -hold_row["amount"],
                "balance_after": row.balance,
                "kind": "settle",
                "cause_type": hold_row["cause_type"],
                "cause_id": hold_row["cause_id"],
                "reason": binds["p_reason"],
                "idempotency_key": f"hold:{hold_id}:settle",
                "actor_id": actor_id,
                "hold_id": hold_id,
                "created_at": now,
            },
        )
    # SQLite has no DML in CTEs: the same steps one statement at a time.
    row = _resolve(hold_id, "settled", reason, now)
    account_row = conn.execute(
        st.settle, {"p_id": row.account_id, "p_amount": row.amount, "p_now": now}
    ).one()
    entry = _insert_entry(
        {
            "account_id": row.account_id,
            "amount": -row.amount,
            "balance_after": account_row.balance,
            "kind": "settle",
            "cause_type": row.cause_type,
            "cause_id": row.cause_id,
            "reason": reason.strip(),
            "idempotency_key": f"hold:{hold_id}:settle",
            "actor_id": actor_id,
            "hold_id": hold_id,
            "created_at": now,
        },
        hot=(conn, st),
    )
    conn.execute(st.link_settle, {"p_id": hold_id, "p_entry_id": entry.id})
    _attach(Hold, {**row._mapping, "settle_entry_id": entry.id})
    _sync(row.account_id, account_row)
    return entry


# ---------------------------------------------------------------- corrections


def reverse(
    entry: LedgerEntry | int,
    *,
    reason: str,
    idempotency_key: str,
    actor_id: int | None,
) -> LedgerEntry:
    """Post the opposite of an entry once; a reversed credit also leaves earned and rankings."""
    _check_text(reason, idempotency_key)
    original = entry if isinstance(entry, LedgerEntry) else db.session.get(LedgerEntry, entry)
    if original is None:
        raise NotFound("积分记录不存在", code="entry_not_found")
    if original.kind in ("reversal", "settle"):
        # A settle is reversed through its redemption, a reversal by posting the entry again.
        raise EntryNotReversible(details={"entry_id": original.id, "kind": original.kind})
    earlier = db.session.scalar(
        select(LedgerEntry).where(LedgerEntry.reverses_entry_id == original.id)
    )
    if earlier is not None:  # fast answer; the UNIQUE constraint below is the real guard
        if earlier.idempotency_key == idempotency_key:
            return earlier
        raise AlreadyReversed(details={"entry_id": original.id, "reversal_id": earlier.id})
    account_id = original.account_id
    amount = -original.amount
    earning = original.kind in EARNING_KINDS
    now = utcnow()
    if amount < 0:
        row = _change(
            account_id,
            where=(ACCOUNTS.c.balance - ACCOUNTS.c.held >= -amount,),
            balance=ACCOUNTS.c.balance + amount,
            earned=ACCOUNTS.c.earned + (amount if earning else 0),
            updated_at=now,
        )
        if row is None:
            return _refuse_insufficient(account_id, -amount, idempotency_key, amount)
    else:
        row = _change(account_id, balance=ACCOUNTS.c.balance + amount, updated_at=now)
    kinds = [k for k in original.rank_kinds.split(",") if k] if earning else []
    entry_row = _insert_entry(
        {
            "account_id": account_id,
            "amount": amount,
            "balance_after": row.balance,
            "kind": "reversal",
            "cause_type": original.cause_type,
            "cause_id": original.cause_id,
            "reason": reason.strip(),
            "idempotency_key": idempotency_key,
            "actor_id": actor_id,
            "reverses_entry_id": original.id,
            "rank_month": original.rank_month if kinds else None,
            "rank_kinds": ",".join(kinds),
            "created_at": now,
        }
    )
    if entry_row is None:
        _sync(
            account_id,
            _change(
                account_id,
                balance=ACCOUNTS.c.balance - amount,
                earned=ACCOUNTS.c.earned - (amount if earning and amount < 0 else 0),
            ),
        )
        existing = _entry_by_key(idempotency_key)
        if existing is None:
            raise AlreadyReversed(details={"entry_id": original.id})
        if existing.reverses_entry_id != original.id:
            raise IdempotencyConflict(details={"idempotency_key": idempotency_key})
        return existing
    _sync(account_id, row)
    if kinds and original.rank_month:
        _add_to_totals(account_id, row.community_id, original.rank_month, kinds, amount)
    return entry_row
