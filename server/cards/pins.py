"""The card holder's PIN at a counter: tries counted before they are checked, a lock after
five wrong ones, and staff unlocking or resetting it.

A try is counted by one conditional UPDATE (`failed_pins < 5 AND locked_at IS NULL`) that
commits before the slow hash is compared, so concurrent wrong PINs queue on the row and at
most five are ever counted; the fifth wrong one locks the card until staff unlock it. (Under an
Idempotency-Key that commit is held back until the request ends, server/db/deferred_commits.py:
a concurrent try then waits for the whole redemption, and a refused one still counts.) A right
PIN sets the count back to zero. Each try also counts against the merchant's and the card's
rate limits (config CARD_PIN_*), so a stolen card cannot be tried through many counters.
"""

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash

from server.auth.models import User
from server.community.acting import holder_for
from server.community.card_holder_models import MAX_PIN_TRIES, CardHolder
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError, Conflict, Forbidden
from server.http.rate_limits import hit


class CardLocked(AppError):
    status, code = 423, "card_locked"
    message = "密码错误次数过多，此卡已锁定，请联系社区工作人员解锁"


class PinBusy(Conflict):
    code, message = "pin_busy", "此卡正在验证密码，请稍后重试"


class PinWrong(Forbidden):
    code, message = "pin_wrong", "密码错误"


def _count_try(holder_id: int) -> int | None:
    """Count one try; the tries so far, or None when the card is locked (or five are
    being checked right now)."""
    counted = db.session.execute(
        update(CardHolder)
        .where(
            CardHolder.user_id == holder_id,
            CardHolder.locked_at.is_(None),
            CardHolder.failed_pins < MAX_PIN_TRIES,
        )
        .values(failed_pins=CardHolder.failed_pins + 1)
        .returning(CardHolder.failed_pins)
    ).scalar_one_or_none()
    db.session.commit()
    return counted


def verify_pin(holder: CardHolder, pin: str, merchant_id: int) -> None:
    """Check the PIN typed at merchant `merchant_id`'s counter; raise when it is not right."""
    cfg = current_app.config
    hit("card_pin_merchant", cfg["CARD_PIN_MERCHANT_RATE_LIMIT"], str(merchant_id))
    hit("card_pin_card", cfg["CARD_PIN_CARD_RATE_LIMIT"], str(holder.user_id))
    holder_id, pin_hash = holder.user_id, holder.pin_hash
    tries = _count_try(holder_id)
    if tries is None:
        locked = db.session.scalar(
            select(CardHolder.locked_at).where(CardHolder.user_id == holder_id)
        )
        raise CardLocked() if locked is not None else PinBusy()
    if isinstance(pin, str) and check_password_hash(pin_hash, pin):
        db.session.execute(
            update(CardHolder)
            .where(CardHolder.user_id == holder_id, CardHolder.locked_at.is_(None))
            .values(failed_pins=0)
        )
        db.session.commit()
        return
    if tries >= MAX_PIN_TRIES:
        db.session.execute(
            update(CardHolder)
            .where(CardHolder.user_id == holder_id, CardHolder.locked_at.is_(None))
            .values(locked_at=utcnow())
        )
        db.session.commit()
        raise CardLocked()
    raise PinWrong(details={"tries_left": MAX_PIN_TRIES - tries})


def unlock(actor: User, holder_id: int, new_pin: str | None = None) -> CardHolder:
    """Staff unlock a card (and may set a new PIN the holder chose, with them present)."""
    from server.cards.holders import pin_hash

    new_pin_hash = pin_hash(new_pin) if new_pin else None
    holder = holder_for(actor, holder_id)
    before = {"failed_pins": holder.failed_pins, "locked": holder.locked_at is not None}
    values = {"failed_pins": 0, "locked_at": None}
    if new_pin_hash is not None:
        values["pin_hash"] = new_pin_hash
    db.session.execute(
        update(CardHolder).where(CardHolder.user_id == holder.user_id).values(**values)
    )
    record_audit(
        actor_id=actor.id,
        action="card.pin_reset" if new_pin_hash else "card.unlock",
        target_type="user",
        target_id=holder.user_id,
        community_id=holder.community_id,
        before=before,
        after={"failed_pins": 0, "locked": False},
    )
    db.session.commit()
    db.session.refresh(holder)
    return holder
