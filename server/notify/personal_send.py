"""Sending personal notices as subscribe messages, each only on an acceptance of its kind.

A worker owns a due notice and spends an acceptance in ONE transaction: a conditional UPDATE
leases the notice (`status = 'pending' AND next_attempt_at <= now`), then
`count = count - 1 WHERE count > 0` spends one acceptance, so two workers never spend one
acceptance twice and nothing is sent without one (`no_consent`). The spent acceptance stays
with the notice across its retries. WeChat's answer arrives outside any transaction: 43101
(the user refused) is `refused`, never retried; 40003, 40037, 47003, 41030 are `dead`; -1,
45009, 5xx and timeouts back off like the group deliveries, up to deliveries.MAX_ATTEMPTS.
"""

from datetime import datetime

from sqlalchemy import update

from server.auth.models import User
from server.db.session import db
from server.db.types import utcnow
from server.notify.deliveries import MAX_ATTEMPTS, backoff, lease
from server.notify.due import send_due
from server.notify.personal_messages import personal_message
from server.notify.subscribe_models import PersonalNotice, SubscriptionCount
from server.notify.subscriptions import template_ids
from server.outbox.models import OutboxEvent
from server.wechat import client
from server.wechat.subscribe_templates import build_data

REFUSED = 43101
PERMANENT = {40003, 40037, 47003, 41030}


def _finish(notice_id: int, status: str, error: str | None = None, **values) -> str:
    db.session.execute(
        update(PersonalNotice)
        .where(PersonalNotice.id == notice_id)
        .values(status=status, last_error=error, **values)
    )
    db.session.commit()
    return status


def _own(notice_id: int, now: datetime) -> PersonalNotice | str | None:
    """Lease the notice and hold an acceptance for it, in one transaction; the notice to
    send, a final status when it must not be sent, or None when another worker has it."""
    won = db.session.execute(
        update(PersonalNotice)
        .where(
            PersonalNotice.id == notice_id,
            PersonalNotice.status == "pending",
            PersonalNotice.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease())
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        db.session.rollback()
        return None
    notice = db.session.get(PersonalNotice, notice_id)
    db.session.refresh(notice)
    if not db.session.get(User, notice.user_id).openid:
        return _finish(notice_id, "no_openid")  # a card holder who never logged in to WeChat
    if not notice.consent_spent:
        spent = db.session.execute(
            update(SubscriptionCount)
            .where(
                SubscriptionCount.user_id == notice.user_id,
                SubscriptionCount.kind == notice.kind,
                SubscriptionCount.count > 0,
            )
            .values(count=SubscriptionCount.count - 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if spent != 1:
            return _finish(notice_id, "no_consent")
        notice.consent_spent = True
    db.session.commit()
    return notice


def send_personal_one(notice_id: int, now: datetime | None = None) -> str | None:
    """Send one due notice if this worker wins it; its new status, or None if not won."""
    now = now or utcnow()
    owned = _own(notice_id, now)
    if not isinstance(owned, PersonalNotice):
        return owned
    kind, user_id = owned.kind, owned.user_id
    event = db.session.get(OutboxEvent, owned.event_id)
    template_id = template_ids().get(kind)
    try:
        values, page = personal_message(event)
        data = build_data(kind, values)
    except (KeyError, ValueError, AttributeError, TypeError) as exc:  # never sendable
        db.session.rollback()
        return _finish(notice_id, "dead", f"message: {type(exc).__name__}", attempts=1)
    openid = db.session.get(User, user_id).openid
    db.session.rollback()  # no transaction held across WeChat's answer
    if template_id is None:
        return _finish(notice_id, "dead", "no template id configured", attempts=1)
    result = client.send_subscribe_message(openid, template_id, data, page)
    attempts = db.session.get(PersonalNotice, notice_id).attempts + 1
    if result.errcode == 0:
        return _finish(notice_id, "sent", None, attempts=attempts, sent_at=utcnow())
    error = f"{result.errcode if result.errcode is not None else '-'}: {result.errmsg}"[:200]
    if result.errcode == REFUSED:
        return _finish(notice_id, "refused", error, attempts=attempts)
    if result.errcode in PERMANENT or attempts >= MAX_ATTEMPTS:
        return _finish(notice_id, "dead", error, attempts=attempts)
    nxt = now + backoff(attempts)
    return _finish(notice_id, "pending", error, attempts=attempts, next_attempt_at=nxt)


def send_personal_due(now: datetime | None = None, limit: int = 100) -> dict:
    """Send the personal notices due now, oldest first; a count per resulting status."""
    return send_due(PersonalNotice, send_personal_one, now, limit)
