"""Issuing, replacing and reading cards. A lost card is replaced in one transaction: the old
row turns `replaced` (its QR is refused from that commit on) and a new number is issued;
the holder, their account and their history do not change."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.cards.models import PointCard
from server.cards.numbers import CardInvalid, CardReplaced, new_number, number_from_qr
from server.community.acting import holder_for
from server.community.card_holder_models import CardHolder
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Unprocessable
from server.outbox.emit import emit_event

MAX_REASON = 64
REPLACE_REASONS = ("lost", "damaged", "other")


def issue_card(actor: User, holder: CardHolder) -> PointCard:
    """A new active card with a fresh random number (in the caller's transaction)."""
    for _ in range(5):  # a collision among 58-bit numbers is near impossible; retry anyway
        card = PointCard(
            community_id=holder.community_id,
            holder_id=holder.user_id,
            number=new_number(),
            issued_by=actor.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(card)
            return card
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a free card number")


def active_card(holder_id: int) -> PointCard | None:
    return db.session.scalar(
        select(PointCard).where(PointCard.holder_id == holder_id, PointCard.status == "active")
    )


def card_view(card: PointCard) -> dict:
    """What staff see of a card: its last four characters, never the whole number."""
    return {"id": card.id, "hint": card.number[-4:], "issued_at": card.issued_at}


def replace_card(actor: User, holder_id: int, reason: str) -> PointCard:
    """Report the holder's card lost (or damaged) and issue a new one at once."""
    if reason not in REPLACE_REASONS:
        raise Unprocessable(
            "补卡原因无效", code="invalid_reason", details={"allowed": list(REPLACE_REASONS)}
        )
    holder = holder_for(actor, holder_id)
    now = utcnow()
    retired = db.session.execute(
        update(PointCard)
        .where(PointCard.holder_id == holder.user_id, PointCard.status == "active")
        .values(status="replaced", retired_by=actor.id, retired_at=now, retired_reason=reason)
        .returning(PointCard.id)
    ).scalar_one_or_none()
    card = issue_card(actor, holder)
    record_audit(
        actor_id=actor.id,
        action="card.replace",
        target_type="user",
        target_id=holder.user_id,
        community_id=holder.community_id,
        before={"card_id": retired},
        after={"card_id": card.id, "reason": reason},
    )
    emit_event(
        "card.replaced",
        aggregate_type="user",
        aggregate_id=holder.user_id,
        community_id=holder.community_id,
        payload={"user_id": holder.user_id, "old_card_id": retired, "card_id": card.id},
    )
    db.session.commit()
    return card


def scanned_holder(qr: str, community_id: int) -> CardHolder:
    """The holder of a scanned card: refused when forged, replaced, or of another community
    (which looks like a forged card: nothing is said about other communities' cards)."""
    number = number_from_qr(qr)
    card = db.session.scalar(select(PointCard).where(PointCard.number == number))
    if card is None or card.community_id != community_id:
        raise CardInvalid()
    if card.status != "active":
        raise CardReplaced()
    holder = db.session.get(CardHolder, card.holder_id)
    user = db.session.get(User, holder.user_id)
    if not user.is_active:
        raise CardInvalid()
    return holder
