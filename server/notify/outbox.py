"""Append domain events to the outbox inside the caller's transaction."""

from server.extensions import db
from server.notify.models import OutboxEvent


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
