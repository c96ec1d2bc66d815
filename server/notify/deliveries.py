"""Deliveries: outbox events become one delivery per group channel (unique, so planning twice
or a retry never posts twice), sent with retries and, when they keep failing, a dead letter
that admins see and can retry.

A worker owns a due delivery by one conditional UPDATE that moves its next attempt a lease
ahead (`status = 'pending' AND next_attempt_at <= now`): of two workers one wins, and a worker
killed mid-send leaves it to be retried when the lease runs out. Each robot's 20 a minute is
counted before a send (robot_rate.py); a delivery over it waits. Transient failures (WeCom's
45009, -1, 5xx, timeouts) back off exponentially with jitter; permanent ones (93000 bad key,
40058 too long) and the eighth failure make a dead letter.
"""

import random
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from server.auth.models import User
from server.community.authz import authorize, require_membership
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.http.errors import Conflict, NotFound
from server.http.pagination import Page, paginate_by_id
from server.notify import robot, robot_rate
from server.notify.channel_models import Delivery, GroupChannel
from server.notify.due import send_due
from server.notify.messages import ROUTED, message_for
from server.notify.personal_plan import plan_personal
from server.outbox.models import OutboxEvent

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 15
BACKOFF_MAX_SECONDS = 3600


def lease() -> timedelta:
    """How long a worker owns what it is sending (NOTIFY_LEASE_SECONDS)."""
    return timedelta(seconds=current_app.config["NOTIFY_LEASE_SECONDS"])


def backoff(attempts: int) -> timedelta:
    """15 s, 30 s, 1 min … capped at an hour, each times a random 0.5-1.5 (jitter), so robots
    that failed together do not retry together."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(0.5, 1.5))


def _channels_for(event: OutboxEvent) -> list[int]:
    """The active channels of the route's audience: the community's, and the grid's the
    payload names (or every grid's, for a route to all)."""
    route = ROUTED[event.event_type]
    stmt = select(GroupChannel.id).where(
        GroupChannel.community_id == event.community_id,
        GroupChannel.active.is_(True),
        GroupChannel.audience == route.audience,
    )
    if route.grids == "named":
        grid_id = (event.payload or {}).get("grid_id")
        stmt = stmt.where(GroupChannel.grid_id.is_(None) | (GroupChannel.grid_id == grid_id))
    return list(db.session.scalars(stmt))


def plan_deliveries(limit: int = 500) -> int:
    """Turn unplanned outbox events into deliveries (idempotent); returns how many were made."""
    events = db.session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None))
        .order_by(OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
    made, now = 0, utcnow()
    for event in events:
        if event.event_type in ROUTED and event.community_id is not None:
            rows = [
                {"event_id": event.id, "channel_id": channel_id, "part": part,
                 "community_id": event.community_id, "next_attempt_at": now}
                for channel_id in _channels_for(event)
                for part in range(ROUTED[event.event_type].parts)
            ]  # fmt: skip
            if rows:
                stmt = insert(Delivery).values(rows).on_conflict_do_nothing()
                # Counted by RETURNING: a multi-row insert's rowcount is not reliable on psycopg.
                made += len(db.session.execute(stmt.returning(Delivery.id)).all())
        plan_personal(event)  # subscribe messages to the people it concerns
        event.published_at = now
    db.session.commit()
    return made


def _claim(delivery_id: int, now: datetime) -> bool:
    won = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "pending",
            Delivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return won == 1


def _record(delivery_id: int, outcome: str, error: str | None, now: datetime) -> str:
    delivery = db.session.get(Delivery, delivery_id)
    attempts = delivery.attempts + 1
    if outcome == "ok":
        values = {"status": "sent", "sent_at": now, "last_error": None}
    elif outcome == "retry" and attempts < MAX_ATTEMPTS:
        values = {"next_attempt_at": now + backoff(attempts), "last_error": error}
    else:
        values = {"status": "dead", "last_error": error}
    db.session.execute(
        update(Delivery).where(Delivery.id == delivery_id).values(attempts=attempts, **values)
    )
    db.session.commit()
    return values.get("status", "pending")


def deliver_one(delivery_id: int, now: datetime | None = None) -> str | None:
    """Send one due delivery if this worker wins it; its new status, or None if not won."""
    now = now or utcnow()
    if not _claim(delivery_id, now):
        return None
    delivery = db.session.get(Delivery, delivery_id)
    channel = db.session.get(GroupChannel, delivery.channel_id)
    event = db.session.get(OutboxEvent, delivery.event_id)
    key = channel.robot_key
    wait = robot_rate.admit(key)
    if wait:  # the robot's minute is full: queued until it admits one, no attempt spent
        db.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(next_attempt_at=now + timedelta(seconds=wait))
        )
        db.session.commit()
        return "pending"
    try:
        body = message_for(event, delivery.part)
    except (KeyError, ValueError) as exc:  # a message WeCom would refuse: never sendable
        db.session.rollback()
        return _record(delivery_id, "permanent", f"message: {exc}"[:200], now)
    db.session.rollback()  # no transaction held across WeCom's answer
    result = robot.send(key, body)
    code = result.errcode if result.errcode is not None else result.http_status or "-"
    error = None if result.outcome == "ok" else f"{code}: {result.errmsg}"[:200]
    return _record(delivery_id, result.outcome, error, now)


_EARLIER = aliased(Delivery)
# A later part of an event's messages (a notice's poster) waits until the earlier ones to the
# same group are settled, so the group reads them in order.
EARLIER_PARTS_SETTLED = ~exists().where(
    _EARLIER.event_id == Delivery.event_id,
    _EARLIER.channel_id == Delivery.channel_id,
    _EARLIER.part < Delivery.part,
    _EARLIER.status == "pending",
)


def deliver_due(now: datetime | None = None, limit: int = 100) -> dict:
    """Send the group deliveries due now, oldest first; a count per resulting status."""
    return send_due(Delivery, deliver_one, now, limit, EARLIER_PARTS_SETTLED)


def give_up_channel(channel_id: int, reason: str) -> None:
    """A deactivated channel's pending deliveries become dead letters (caller commits)."""
    db.session.execute(
        update(Delivery)
        .where(Delivery.channel_id == channel_id, Delivery.status == "pending")
        .values(status="dead", last_error=reason)
    )


# --- admins ---------------------------------------------------------------------------------


def _community(actor: User) -> int:
    community_id = require_membership(actor).community_id
    authorize(
        actor, community_id=community_id, roles=("admin",), message="只有社区管理员可以查看推送记录"
    )
    return community_id


def delivery_view(d: Delivery, channels: dict[int, GroupChannel], events: dict[int, OutboxEvent]):
    channel, event = channels[d.channel_id], events[d.event_id]
    return {
        "id": d.id,
        "channel": {"id": channel.id, "name": channel.name, "key_hint": channel.key_hint},
        "event_type": event.event_type,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
        "last_error": d.last_error,
        "sent_at": d.sent_at,
        "created_at": d.created_at,
    }


def one_view(d: Delivery) -> dict:
    channel, event = (
        db.session.get(GroupChannel, d.channel_id),
        db.session.get(OutboxEvent, d.event_id),
    )
    return delivery_view(d, {channel.id: channel}, {event.id: event})


def list_deliveries(actor: User, status: str | None, limit: int, cursor: str | None) -> Page:
    """The community's deliveries, newest first; `status=dead` is the dead-letter list."""
    community_id = _community(actor)
    stmt = select(Delivery).where(Delivery.community_id == community_id)
    if status:
        stmt = stmt.where(Delivery.status == status)
    page = paginate_by_id(db.session, stmt, Delivery.id, limit, cursor)
    channels = {c.id: c for c in db.session.scalars(
        select(GroupChannel).where(GroupChannel.id.in_({d.channel_id for d in page.items} or {0}))
    )}  # fmt: skip
    events = {e.id: e for e in db.session.scalars(
        select(OutboxEvent).where(OutboxEvent.id.in_({d.event_id for d in page.items} or {0}))
    )}  # fmt: skip
    page.items = [delivery_view(d, channels, events) for d in page.items]
    return page


def retry_dead(actor: User, delivery_id: int) -> Delivery:
    """Put a dead letter back in the queue (admins; audited); its channel must be active."""
    community_id = _community(actor)
    delivery = get_by_id(Delivery, delivery_id)
    if delivery is None or delivery.community_id != community_id:
        raise NotFound("推送记录不存在", code="delivery_not_found")
    if delivery.status != "dead":
        raise Conflict(
            "只有失败的推送可以重试", code="delivery_not_dead", details={"status": delivery.status}
        )
    if not db.session.get(GroupChannel, delivery.channel_id).active:
        raise Conflict("群机器人已停用，不能重试", code="channel_inactive")
    before = {"status": "dead", "attempts": delivery.attempts, "last_error": delivery.last_error}
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, utcnow()
    record_audit(
        actor_id=actor.id,
        action="delivery.retry",
        target_type="delivery",
        target_id=delivery.id,
        community_id=community_id,
        before=before,
        after={"status": "pending"},
    )
    db.session.commit()
    return delivery
