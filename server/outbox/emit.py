"""The outbox: every domain event is written here, in the transaction of the change it reports.

One function, `emit_event`, for every caller. Each event is checked against schemas/events.json
before it is written (the notification work reads these rows, so a malformed one is a bug in
the caller, refused at once). The row is inserted now on the session's connection, so it
commits or rolls back with its cause and costs no ORM object.
"""

import json
from functools import cache

from jsonschema import Draft202012Validator
from sqlalchemy import insert

from server.db.session import db
from server.db.types import utcnow
from server.outbox.models import OutboxEvent
from server.platform.config import PROJECT_ROOT

EVENTS_SCHEMA = PROJECT_ROOT / "schemas" / "events.json"
# session.info key: the event types this transaction wrote (server/notify/drain.py reads it
# after commit to wake the deliveries).
EMITTED = "outbox_emitted"
_INSERT_EVENT = insert(OutboxEvent.__table__)


class InvalidEvent(ValueError):
    """An event that schemas/events.json does not allow: a programming error, never the user's."""


@cache
def events_document() -> dict:
    return json.loads(EVENTS_SCHEMA.read_text(encoding="utf-8"))


@cache
def _validator(event_type: str) -> Draft202012Validator:
    """The schema of one event type, its payload definition inlined: the whole document costs
    a millisecond an event to check, this a few dozen microseconds."""
    doc = events_document()
    if event_type not in doc["properties"]["event_type"]["enum"]:
        return Draft202012Validator(doc)  # says the type is unknown
    (branch,) = (
        b["then"]
        for b in doc["allOf"]
        if b["if"]["properties"]["event_type"]["const"] == event_type
    )
    payload = doc["$defs"]["payloads"][event_type]
    properties = {**doc["properties"], **branch["properties"], "payload": payload}
    properties["event_type"] = {"const": event_type}
    schema = {k: v for k, v in doc.items() if k != "allOf"}
    return Draft202012Validator({**schema, "properties": properties})


def event_problems(event: dict) -> list[str]:
    """Every way `event` (event_type, aggregate_*, community_id, payload) breaks the schema."""
    problems = []
    for error in _validator(str(event.get("event_type"))).iter_errors(event):
        where = "/".join(str(p) for p in error.absolute_path) or "(event)"
        problems.append(f"{event.get('event_type')} {where}: {error.message}")
    return problems


def emit_event(
    event_type: str,
    *,
    aggregate_type: str,
    aggregate_id: object,
    community_id: int | None,
    payload: dict,
) -> None:
    """Record that something happened; delivered later, only if the transaction commits."""
    event = {
        "event_type": event_type,
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "community_id": community_id,
        "payload": payload,
    }
    problems = event_problems(event)
    if problems:
        raise InvalidEvent("; ".join(problems))
    db.session.flush()  # rows it names (a new community, say) must exist first
    db.session.connection().execute(
        _INSERT_EVENT, {**event, "created_at": utcnow(), "published_at": None}
    )
    db.session.info.setdefault(EMITTED, set()).add(event_type)
