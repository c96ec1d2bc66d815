"""Verification (核销) by merchant staff: preview what is redeemed, then settle it exactly once.

The exactly-once guarantee is the verifiable gate (server/rewards/gates.py) as the WHERE of the
one UPDATE that marks the redemption redeemed, in the same transaction as the ledger's
settlement of its hold. Repeated scans of one code queue on that row's lock and the losers,
finding it no longer reserved, answer 409 already_redeemed with when and by whom. (A Redis
SET NX on the code's nonce used to run first; it saved a blocked write at most and cost every
verification a round trip. See docs/decisions.md.)

The caller's active flag comes with the scan: routes key the rate limit by the token's user (no
database), so a deactivated staff member is refused (401) once the request reaches the
service: after the rate limit (429) and body validation (422), before the redemption or the
code are acted on, and without anything written.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from types import SimpleNamespace

from server.auth.models import User
from server.auth.tokens import TokenInvalid
from server.community.acting import record_act
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Forbidden
from server.outbox.emit import emit_event
from server.platform.masking import mask_name
from server.points import ledger
from server.rewards import gates
from server.rewards.codes import CodeExpired, CodeInvalid, decode_code
from server.rewards.redemption_queries import session_queries


@dataclass(frozen=True, slots=True)
class Scanned:
    """A scanned redemption as the scan reads it (see redemption_queries._scan)."""

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
    verifiable: bool


def _staff_id(staff: User | int) -> int:
    return staff if isinstance(staff, int) else staff.id


def _scan(conn, q, staff_id: int, rid: int, now: datetime) -> Scanned | None:
    params = {"p_id": rid, "p_staff_id": staff_id, "p_now": now}
    row = conn.execute(q.scan, params).mappings().first()
    return None if row is None else Scanned(**row)


class NotMerchantStaff(Forbidden):
    code = "not_merchant_staff"
    message = "只有商家店员可以核销兑换码，请出示给商家扫码"


def _require_active(conn, q, staff_id: int) -> None:
    if not conn.execute(q.user_active, {"p_user_id": staff_id}).scalar():
        raise TokenInvalid()


def _require_some_staff(conn, q, staff_id: int) -> None:
    """On a refusal only (no read on the usual path): a caller who is nobody's merchant staff
    hears that only staff verify, whatever the code, before anything about the code."""
    _require_active(conn, q, staff_id)
    if not conn.execute(q.is_any_staff, {"p_user_id": staff_id}).scalar():
        raise NotMerchantStaff()


def _redemption_for_staff(conn, q, staff_id: int, token: str, now: datetime) -> Scanned:
    """The scanned redemption; refusals in the order current_user() would give them.

    A deactivated caller hears 401 before anything about the code: on the usual path from the
    scan row, and only when the code or its redemption is refused, from a read of its own; a
    caller who is nobody's merchant staff then hears that only staff verify.
    """
    try:
        rid, _nonce = decode_code(token, now=now)
    except (CodeInvalid, CodeExpired):
        _require_some_staff(conn, q, staff_id)
        raise
    r = _scan(conn, q, staff_id, rid, now)
    if r is None:
        _require_some_staff(conn, q, staff_id)
        raise CodeInvalid()
    if not r.staff_active:
        raise TokenInvalid()
    # Another merchant's code: refuse without saying anything about the redemption.
    if not r.is_staff:
        _require_some_staff(conn, q, staff_id)
        raise Forbidden("该兑换码不属于本商家，无法核销", code="not_your_merchant")
    return r


def _display_name(real_name: str | None, nickname: str | None) -> str:
    """User.display_name's rule, for names read without building a User."""
    return User.display_name.fget(SimpleNamespace(real_name=real_name, nickname=nickname))


def _why_not(r: Scanned) -> gates.RedemptionStateError:
    verifier = None
    if r.verifier_id is not None:
        verifier = _display_name(r.verifier_real_name, r.verifier_nickname)
    return gates.why_not_verifiable(r, told="staff", verifier_name=verifier)


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
    conn, q = session_queries()
    r = _redemption_for_staff(conn, q, _staff_id(staff), token, now)
    if not r.verifiable:
        raise _why_not(r)
    return preview_view(r)


def verify(
    staff: User | int, token: str, *, now: datetime | None = None, by_card: bool = False
) -> Scanned:
    """Settle a reserved redemption once: status redeemed, the hold becomes a debit entry.

    `staff` is the caller or their id (checked active here, like current_user()). Returns the
    redemption as verified, for preview_view. Commits; any refusal rolls back. `by_card`: the
    holder showed a point card, so the act is recorded for them in the same transaction.
    """
    now = now or utcnow()
    try:
        return _verify(_staff_id(staff), token, now, by_card)
    except Exception:
        db.session.rollback()
        raise


def _redeem(conn, q, r: Scanned, staff_id: int, now: datetime) -> int | None:
    """Through the verifiable gate, settle the hold: the debit entry's id, None if refused.

    PostgreSQL runs the gate and the ledger's settle as one statement (ledger.settle_behind);
    elsewhere the gate's UPDATE, then ledger.settle, then the link to the debit.
    """
    reason = f"兑换：{r.offer_title}"
    params = {"p_id": r.id, "p_now": now, "p_staff_id": staff_id}
    if ledger.fused_writes(conn):
        return ledger.settle_through(
            conn, q.redeem_and_settle, params, reason=reason, actor_id=staff_id, now=now
        )
    won = conn.execute(q.redeem, params).first()
    if won is None:
        return None
    entry = ledger.settle(won.hold_id, reason=reason, actor_id=staff_id)
    conn.execute(q.link_debit, {"p_id": r.id, "p_entry_id": entry.id})
    return entry.id


def _verify(staff_id: int, token: str, now: datetime, by_card: bool = False) -> Scanned:
    conn, q = session_queries()
    r = _redemption_for_staff(conn, q, staff_id, token, now)
    entry_id = _redeem(conn, q, r, staff_id, now)
    if entry_id is None:  # verified, cancelled or expired, perhaps while this scan waited
        raise _why_not(_scan(conn, q, staff_id, r.id, now))
    after = {
        "status": "redeemed",
        "redeemed_at": now.isoformat(),
        "points": r.points,
        "offer_id": r.offer_id,
        "ledger_entry_id": entry_id,
    }
    record_audit(
        actor_id=staff_id,
        action="redemption.verify",
        target_type="redemption",
        target_id=r.id,
        community_id=r.community_id,
        before={"status": gates.RESERVED},
        after=after,
    )
    emit_event(
        "redemption.redeemed",
        aggregate_type="redemption",
        aggregate_id=r.id,
        community_id=r.community_id,
        payload={"user_id": r.user_id, "merchant_id": r.merchant_id, **after},
    )
    if by_card:
        record_act(staff_id, r.user_id, "redemption.card_verify", "redemption", r.id)
    db.session.commit()
    return replace(r, status="redeemed", redeemed_at=now, redeemed_by=staff_id, verifiable=False)
