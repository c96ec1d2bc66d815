"""emit_event: the one way events reach the outbox, checked against schemas/events.json."""

import pytest
from sqlalchemy import func, select

from server.db.session import db
from server.outbox.emit import InvalidEvent, emit_event
from server.outbox.models import OutboxEvent

GOOD = {"task_id": 7, "user_id": 3, "title": "垃圾分类志愿督导"}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEvent))


def test_a_valid_event_is_written_in_the_callers_transaction(ctx, seeded):
    before = _count()
    emit_event(
        "task.signup.confirmed",
        aggregate_type="task",
        aggregate_id=7,
        community_id=None,
        payload=GOOD,
    )
    assert _count() == before + 1  # visible at once, before any commit
    db.session.rollback()
    assert _count() == before  # and gone with the transaction that caused it


@pytest.mark.parametrize(
    "event_type, aggregate_type, payload",
    [
        ("task.signup.exploded", "task", GOOD),  # an unknown type
        ("task.signup.confirmed", "redemption", GOOD),  # the wrong aggregate
        ("task.signup.confirmed", "task", {**GOOD, "user_id": "3"}),  # a drifted field
        ("task.signup.confirmed", "task", {**GOOD, "phone": "13800138000"}),  # an extra field
    ],
)
def test_an_event_the_schema_refuses_is_not_written(
    ctx, seeded, event_type, aggregate_type, payload
):
    before = _count()
    with pytest.raises(InvalidEvent):
        emit_event(
            event_type,
            aggregate_type=aggregate_type,
            aggregate_id=7,
            community_id=None,
            payload=payload,
        )
    assert _count() == before
