"""Which outbox events become personal notices (subscribe messages), and to whom.

`plan_personal(event)` inserts one pending notice per recipient; the (event, user, kind)
key is unique, so planning an event twice never notifies anyone twice.
"""

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from server.community.models import RoleGrant
from server.db.session import db
from server.db.types import utcnow
from server.notify.subscribe_models import PersonalNotice
from server.notify.subscriptions import template_ids
from server.outbox.models import OutboxEvent
from server.tasks.models import TaskSignup

# A change of these task fields is worth a message to the people signed up.
TASK_CHANGES_THAT_MATTER = {"starts_at", "ends_at", "place_name", "latitude", "longitude"}


def _signed_up(task_id: int, statuses: tuple[str, ...]) -> list[int]:
    return list(
        db.session.scalars(
            select(TaskSignup.user_id)
            .where(TaskSignup.task_id == task_id, TaskSignup.status.in_(statuses))
            .order_by(TaskSignup.seq)
        )
    )


def _grid_workers(community_id: int | None, grid_id: int | None) -> list[int]:
    if grid_id is None:
        return []  # the community queue: the group robot tells the office (the lead's part)
    return list(
        db.session.scalars(
            select(RoleGrant.user_id)
            .where(
                RoleGrant.community_id == community_id,
                RoleGrant.role == "grid_worker",
                RoleGrant.grid_id == grid_id,
            )
            .order_by(RoleGrant.user_id)
        )
    )


def _task_updated(event: OutboxEvent) -> list[int]:
    if not TASK_CHANGES_THAT_MATTER & set(event.payload["changed"]):
        return []
    return _signed_up(event.payload["task_id"], ("confirmed", "waitlisted"))


def _payload_user(key: str):
    return lambda event: [event.payload[key]]


# event type -> (kind, who is told)
PERSONAL = {
    "task.reminder": (
        "task_reminder",
        lambda e: _signed_up(e.payload["task_id"], ("confirmed",)),
    ),
    "task.signup.task_cancelled": ("task_changed", _payload_user("user_id")),
    "task.updated": ("task_changed", _task_updated),
    "task.signup.promoted": ("task_changed", _payload_user("user_id")),
    "claim.decided": ("claim_result", _payload_user("claimant_id")),
    "redemption.redeemed": ("redemption", _payload_user("user_id")),
    "redemption.expiring": ("redemption", _payload_user("user_id")),
    "report.accepted": ("report_progress", _payload_user("reporter_id")),
    "report.resolved": ("report_progress", _payload_user("reporter_id")),
    "report.overdue": (
        "report_progress",
        lambda e: _grid_workers(e.community_id, e.payload.get("grid_id")),
    ),
    "wish.claimed": ("wish_progress", _payload_user("resident_id")),
    "wish.fulfilled": ("wish_progress", _payload_user("resident_id")),
}


def plan_personal(event: OutboxEvent) -> int:
    """Insert the personal notices an event calls for (idempotent; the caller commits);
    returns how many were new."""
    route = PERSONAL.get(event.event_type)
    if route is None:
        return 0
    kind, recipients = route
    if kind not in template_ids():
        return 0  # the deployment has no template for it: nobody can have accepted one
    now = utcnow()
    rows = [
        {"event_id": event.id, "user_id": user_id, "kind": kind, "next_attempt_at": now,
         "status": "pending", "consent_spent": False, "attempts": 0, "created_at": now}
        for user_id in dict.fromkeys(recipients(event))
    ]  # fmt: skip
    if not rows:
        return 0
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
    stmt = insert(PersonalNotice).values(rows).on_conflict_do_nothing()
    return len(db.session.execute(stmt.returning(PersonalNotice.id)).all())
