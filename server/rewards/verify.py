"""Verification (核销) by merchant staff: preview what is redeemed, then settle it exactly once.

The exactly-once guarantee is the redemption row re-checked as 'reserved' under its row lock in
the same transaction as the ledger settlement (a conditional UPDATE; on PostgreSQL a FOR UPDATE
inside the one statement that writes everything, see hot_statements._verify_at_once). Repeated
scans of one code queue on that lock and the losers answer 409 already_redeemed with when and
by whom. (A Redis SET NX on the code's nonce used to run first, as a pre-check that turned such
a burst away sooner; every scan still read the database before it, so it saved a blocked
write at most, and it cost every verification a Redis round trip. See docs/decisions.md.)

On PostgreSQL a request's verification runs on an autocommit connection of its own: the scan,
then that one statement as its own transaction; no BEGIN or COMMIT round trip and no session.
A code the scan already refuses (redeemed, cancelled, expired, another merchant's) costs the
scan alone. Preview reads the same way. A caller with a transaction open in the session (a
service or a test) gets the transactional path, as does SQLite.

The caller's active flag comes with the scan: routes key the rate limit by the token's user
(no database), so a deactivated staff member is refused (401) once the request reaches the
service: after the rate limit (429) and body validation (422), before the redemption or the
code are acted on, and without anything written.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from types import SimpleNamespace

from server.auth.models import User
from server.auth.tokens import TokenInvalid
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Forbidden
from server.platform.masking import mask_name
from server.points import ledger
from server.points.ledger import fused
from server.rewards.codes import CodeExpired, CodeInvalid, decode_code
from server.rewards.hot_statements import (
    audit_params,
    autocommit_statements,
    event_params,
    hot,
    run,
)
from server.rewards.redemption import RedemptionStateError, state_error


@dataclass(frozen=True, slots=True)
class Scanned:
    """A scanned redemption as the scan context row reads it (see hot_statements)."""

    id: int
    community_id: int
    user_id: int
    offer_id: int
    merchant_id: int
    points: int
    status: str
    created_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None
    redeemed_by: int | None
    offer_title: str
    offer_image_url: str | None
    merchant_name: str
    resident_id: int | None
    resident_real_name: str | None
    resident_nickname: str | None
    verifier_id: int | None
    verifier_real_name: str | None
    verifier_nickname: str | None
    is_staff: bool
    staff_active: bool | None  # None: no such user


def _staff_id(staff: User | int) -> int:
    return staff if isinstance(staff, int) else staff.id


@contextmanager
def _connection() -> Iterator[tuple]:
    """(conn, statements, autocommit): on PostgreSQL with no transaction open in the session
    (every request), an autocommit connection of its own and statements run on its DBAPI
    connection; otherwise the session's connection and Core statements."""
    engine = db.engine
    if engine.dialect.name == "postgresql" and not db.session().in_transaction():
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn, autocommit_statements(), True
    else:
        conn, st = hot()
        yield conn, st, False


def _scan(conn, st, staff_id: int, rid: int) -> Scanned | None:
    row = run(conn, st.scan_context, {"p_id": rid, "p_staff_id": staff_id}).one_or_none()
    return None if row is None else Scanned(**row._mapping)


def _require_active(conn, st, staff_id: int) -> None:
    if not run(conn, st.user_active, {"p_user_id": staff_id}).scalar():
        raise TokenInvalid()


def _redemption_for_staff(conn, st, staff_id: int, token: str) -> Scanned:
    """The scanned redemption; refusals in the order current_user() would give them.

    A deactivated caller hears 401 before anything about the code: on the usual path from the
    scan row, and only when the code or its redemption is refused, from a read of its own.
    """
    try:
        rid, _nonce = decode_code(token)
    except (CodeInvalid, CodeExpired):
        _require_active(conn, st, staff_id)
        raise
    r = _scan(conn, st, staff_id, rid)
    if r is None:
        _require_active(conn, st, staff_id)
        raise CodeInvalid()
    if not r.staff_active:
        raise TokenInvalid()
    # Another merchant's code: refuse without saying anything about the redemption.
    if not r.is_staff:
        raise Forbidden("该兑换码不属于本商家，无法核销", code="not_your_merchant")
    return r


def _display_name(real_name: str | None, nickname: str | None) -> str:
    """User.display_name's rule, for names read without building a User."""
    return User.display_name.fget(SimpleNamespace(real_name=real_name, nickname=nickname))


def _already_redeemed(r: Scanned) -> RedemptionStateError:
    staff_name = None
    if r.verifier_id is not None:
        staff_name = mask_name(_display_name(r.verifier_real_name, r.verifier_nickname))
    return RedemptionStateError(
        "该兑换已核销，请勿重复核销",
        code="already_redeemed",
        details={
            "redemption_id": r.id,
            "redeemed_at": r.redeemed_at.isoformat() if r.redeemed_at else None,
            "redeemed_by": staff_name,
            "redeemed_by_id": r.redeemed_by,
        },
    )


def _refusal(r: Scanned, now: datetime) -> Exception:
    if r.status == "redeemed":
        return _already_redeemed(r)
    return state_error(r, now)


def preview_view(r: Scanned) -> dict:
    resident = None
    if r.resident_id is not None:
        resident = _display_name(r.resident_real_name, r.resident_nickname)
    return {
        "redemption_id": r.id,
        "offer_id": r.offer_id,
        "offer_title": r.offer_title,
        "offer_image_url": r.offer_image_url,
        "merchant_id": r.merchant_id,
        "merchant_name": r.merchant_name,
        "points": r.points,
        "resident_name": mask_name(resident),
        "status": r.status,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "redeemed_at": r.redeemed_at,
    }


def preview(staff: User | int, token: str, *, now: datetime | None = None) -> dict:
    """What scanning this code would redeem; refuses exactly as verification would.

    `staff` is the caller or their id (checked active here, like current_user()).
    """
    now = now or utcnow()
    with _connection() as (conn, st, _autocommit):
        r = _redemption_for_staff(conn, st, _staff_id(staff), token)
    if r.status != "reserved" or r.expires_at <= now:
        raise _refusal(r, now)
    return preview_view(r)


def _records(r: Scanned, staff_id: int, now: datetime, entry_id: int | None) -> dict:
    """The audit row and the outbox event of a verification, as binds.

    `entry_id` None: the one-statement write adds ledger_entry_id itself (see hot_statements).
    """
    after = {
        "status": "redeemed",
        "redeemed_at": now.isoformat(),
        "points": r.points,
        "offer_id": r.offer_id,
    }
    if entry_id is not None:
        after["ledger_entry_id"] = entry_id
    audit = audit_params(
        actor_id=staff_id,
        action="redemption.verify",
        target_type="redemption",
        target_id=r.id,
        community_id=r.community_id,
        before={"status": "reserved"},
        after=after,
    )
    event = event_params(
        "redemption.redeemed",
        aggregate_type="redemption",
        aggregate_id=r.id,
        community_id=r.community_id,
        payload={"user_id": r.user_id, "merchant_id": r.merchant_id, **after},
    )
    return {**audit, **event}


def _reason(r: Scanned) -> str:
    return f"兑换：{r.offer_title}"


def _settle_at_once(conn, st, r: Scanned, staff_id: int, now: datetime, committed: bool) -> None:
    """PostgreSQL: guard, settlement, audit row and event in one statement.

    `committed`: run in autocommit, the statement is its own transaction.
    """
    binds = fused.settle_binds(reason=_reason(r), actor_id=staff_id, now=now)
    params = {"p_id": r.id, "p_staff_id": staff_id, **binds, **_records(r, staff_id, now, None)}
    row = run(conn, st.verify_at_once, params).first()
    if row is None:  # no longer reserved, or expired: nothing was written
        raise _refusal(_scan(conn, st, staff_id, r.id), now)
    fused.settled(row, row.reserved_hold_id, committed=committed)


def _settle_by_steps(conn, st, r: Scanned, staff_id: int, now: datetime) -> None:
    """SQLite: the guard, the ledger's settle, then the audit row and event."""
    params = {"p_id": r.id, "p_now": now, "p_staff_id": staff_id}
    won = conn.execute(st.redeem, params).first()
    if won is None:
        raise _refusal(_scan(conn, st, staff_id, r.id), now)
    entry = ledger.settle(won.hold_id, reason=_reason(r), actor_id=staff_id)
    # The debit entry on the redemption, the audit row and the event: one write.
    records = _records(r, staff_id, now, entry.id)
    run(conn, st.finish_verify, {"p_id": r.id, "p_entry_id": entry.id, **records})


def verify(staff: User | int, token: str, *, now: datetime | None = None) -> Scanned:
    """Settle a reserved redemption once: status redeemed, the hold becomes a debit entry.

    `staff` is the caller or their id (checked active here, like current_user()). Returns the
    redemption as verified, for preview_view. On PostgreSQL with no transaction open in the
    session (every request) it runs in autocommit (see the module doc); in a caller's
    transaction it commits that transaction, as it always did.
    """
    now = now or utcnow()
    staff_id = _staff_id(staff)
    with _connection() as (conn, st, autocommit):
        return _verify(conn, st, staff_id, token, now, autocommit=autocommit)


def _verify(conn, st, staff_id: int, token: str, now: datetime, *, autocommit: bool) -> Scanned:
    r = _redemption_for_staff(conn, st, staff_id, token)
    if r.status == "redeemed":
        raise _already_redeemed(r)
    try:
        if r.status != "reserved" or r.expires_at <= now:
            # What the write's guard would refuse (it re-checks under the row lock): spare it.
            raise _refusal(r, now)
        if st.verify_at_once is None:
            _settle_by_steps(conn, st, r, staff_id, now)
        else:
            _settle_at_once(conn, st, r, staff_id, now, committed=autocommit)
        if not autocommit:
            db.session.commit()
    except Exception:
        if not autocommit:
            db.session.rollback()
        raise
    return replace(r, status="redeemed", redeemed_at=now, redeemed_by=staff_id)
