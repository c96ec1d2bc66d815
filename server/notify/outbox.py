"""Append domain events to the outbox inside the caller's transaction."""

from sqlalchemy import insert

from server.db.session import db
from server.db.types import utcnow
from server.notify.models import OutboxEvent

# Built once: a hot path's INSERT should not pay for building the statement every time.
_INSERT_EVENT = insert(OutboxEvent.__table__)


def emit_event(
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: object,
    community_id: int | None,
    payload: dict,
) -> OutboxEvent:
    """Record that something happened; delivered later, only if the transaction commits."""
    event = OutboxEvent(
        event_type=event_type,
        aggregate_type=aggregate_type,
        aggregate_id=str(aggregate_id),
        community_id=community_id,
        payload=payload,
    )
    db.session.add(event)
    return event


def append_event(
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: object,
    community_id: int | None,
    payload: dict,
) -> None:
    """Like emit_event, but INSERT the row now without an ORM object (for hot paths).

    The row is written at once rather than at the next flush, still in the caller's
    transaction, so it commits or rolls back with the change that caused it.
    """
    values = {
        "event_type": event_type,
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "community_id": community_id,
        "payload": payload,
        "created_at": utcnow(),
        "published_at": None,
    }
    db.session.connection().execute(_INSERT_EVENT, values)
