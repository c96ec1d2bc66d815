"""Verification (核销) by merchant staff: preview what is redeemed, then settle it exactly once.

The exactly-once guarantee is the conditional UPDATE ... WHERE status = 'reserved' in the same
transaction as the ledger settlement; a Redis SET NX on the code's nonce is only a fast
pre-check that turns away a burst of repeated scans before they reach the database.
"""

from datetime import datetime

from flask import current_app
from sqlalchemy import update

from server.audit import record_audit
from server.auth.authz import has_role
from server.auth.models import User
from server.db_types import utcnow
from server.errors import Conflict, Forbidden
from server.extensions import db
from server.masking import mask_name
from server.notify.outbox import emit_event
from server.points import ledger
from server.redis_client import get_redis, redis_key
from server.rewards.codes import CodeInvalid, decode_code
from server.rewards.models import Redemption
from server.rewards.redemption import RedemptionStateError, state_error

NONCE_TTL_SECONDS = 300


def _redemption_for_staff(staff: User, token: str) -> tuple[Redemption, str]:
    rid, nonce = decode_code(token)
    r = db.session.get(Redemption, rid)
    if r is None:
        raise CodeInvalid()
    # Another merchant's code: refuse without saying anything about the redemption.
    if not has_role(staff, r.community_id, "merchant_staff", merchant_id=r.merchant_id):
        raise Forbidden("该兑换码不属于本商家，无法核销", code="not_your_merchant")
    return r, nonce


def _already_redeemed(r: Redemption) -> RedemptionStateError:
    staff = db.session.get(User, r.redeemed_by) if r.redeemed_by else None
    return RedemptionStateError(
        "该兑换已核销，请勿重复核销",
        code="already_redeemed",
        details={
            "redemption_id": r.id,
            "redeemed_at": r.redeemed_at.isoformat() if r.redeemed_at else None,
            "redeemed_by": mask_name(staff.display_name) if staff else None,
            "redeemed_by_id": r.redeemed_by,
        },
    )


def _refusal(r: Redemption, now: datetime) -> Exception:
    if r.status == "redeemed":
        return _already_redeemed(r)
    return state_error(r, now)


def preview_view(r: Redemption) -> dict:
    resident = db.session.get(User, r.user_id)
    return {
        "redemption_id": r.id,
        "offer_id": r.offer_id,
        "offer_title": r.offer.title,
        "offer_image_url": r.offer.image_url,
        "merchant_id": r.merchant_id,
        "merchant_name": r.offer.merchant.name,
        "points": r.points,
        "resident_name": mask_name(resident.display_name if resident else None),
        "status": r.status,
        "created_at": r.created_at,
        "expires_at": r.expires_at,
        "redeemed_at": r.redeemed_at,
    }


def preview(staff: User, token: str, *, now: datetime | None = None) -> dict:
    """What scanning this code would redeem; refuses exactly as verification would."""
    now = now or utcnow()
    r, _nonce = _redemption_for_staff(staff, token)
    if r.status != "reserved" or r.expires_at <= now:
        raise _refusal(r, now)
    return preview_view(r)


def _claim_nonce(nonce: str) -> str | None:
    """SET NX the nonce in Redis; None when Redis is not configured or not reachable."""
    redis = get_redis()
    if redis is None:
        return None
    key = redis_key("redemption-nonce", nonce)
    try:
        claimed = redis.set(key, "1", nx=True, ex=NONCE_TTL_SECONDS)
    except Exception:  # noqa: BLE001 - the database is the guard; Redis only saves it work
        current_app.logger.warning("redis unavailable for the nonce pre-check", exc_info=True)
        return None
    if not claimed:
        raise Conflict("该兑换码刚刚已被扫描，请让居民刷新兑换码后重试", code="code_already_used")
    return key


def _forget_nonce(key: str | None) -> None:
    if key is None:
        return
    try:
        get_redis().delete(key)
    except Exception:  # noqa: BLE001
        current_app.logger.warning("could not free a redemption nonce", exc_info=True)


def verify(staff: User, token: str, *, now: datetime | None = None) -> Redemption:
    """Settle a reserved redemption once: status redeemed, the hold becomes a debit entry."""
    now = now or utcnow()
    r, nonce = _redemption_for_staff(staff, token)
    if r.status == "redeemed":
        raise _already_redeemed(r)
    try:
        nonce_key = _claim_nonce(nonce)
    except Conflict:
        db.session.refresh(r)
        if r.status != "reserved":
            raise _refusal(r, now) from None
        raise
    try:
        won = db.session.execute(
            update(Redemption)
            .where(
                Redemption.id == r.id,
                Redemption.status == "reserved",
                Redemption.expires_at > now,
            )
            .values(status="redeemed", redeemed_at=now, redeemed_by=staff.id)
            .returning(Redemption.id)
            .execution_options(synchronize_session=False)
        ).first()
        if won is None:
            db.session.refresh(r)
            raise _refusal(r, now)
        db.session.expire(r)
        entry = ledger.settle(r.hold_id, reason=f"兑换：{r.offer.title}", actor_id=staff.id)
        r.debit_entry_id = entry.id
        after = {
            "status": "redeemed",
            "redeemed_at": now.isoformat(),
            "points": r.points,
            "offer_id": r.offer_id,
            "ledger_entry_id": entry.id,
        }
        record_audit(
            actor_id=staff.id,
            action="redemption.verify",
            target_type="redemption",
            target_id=r.id,
            community_id=r.community_id,
            before={"status": "reserved"},
            after=after,
        )
        emit_event(
            "redemption.redeemed",
            aggregate_type="redemption",
            aggregate_id=r.id,
            community_id=r.community_id,
            payload={"user_id": r.user_id, "merchant_id": r.merchant_id, **after},
        )
        db.session.commit()
    except Exception:
        db.session.rollback()
        _forget_nonce(nonce_key)  # a failed attempt must not burn the resident's code
        raise
    return r
