"""When a task's doors open and close: check-in, the organiser's code, completion, edits.

One place for the times, so check-in, the code's issuer, completion and the task view (which
the mini-program reads instead of recomputing) can never disagree.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from server.http.errors import Conflict
from server.tasks.models import Task

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
CHECKOUT_GRACE = timedelta(hours=2)


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def contains(self, moment: datetime) -> bool:
        return self.opens_at <= moment <= self.closes_at


def checkin_window(task: Task) -> Window:
    """Check-in runs from 30 minutes before the start to the end."""
    return Window(task.starts_at - CHECKIN_OPENS_BEFORE, task.ends_at)


def checkout_closes_at(task: Task) -> datetime:
    """Check-out stays possible two hours after the end."""
    return task.ends_at + CHECKOUT_GRACE


def code_window(task: Task) -> Window:
    """The organiser's code is shown while anyone may check in or out with it."""
    return Window(checkin_window(task).opens_at, checkout_closes_at(task))


def completion_opens_at(task: Task) -> datetime:
    """A task can be completed (attendance confirmed, points credited) once it has started."""
    return task.starts_at


def edits_close_at(task: Task) -> datetime:
    """A task can be edited until it starts (people signed up for what it said)."""
    return task.starts_at


# What may still be corrected once a task has started: its wording, never its rules (times,
# seats, points, audience), which people signed up and checked in under.
WORDING = frozenset({"title", "description", "place_name"})


def require_editable(task: Task, now: datetime, fields) -> None:
    """Refuse an edit of `fields` that is more than the wording once the task has started (409
    task_already_started)."""
    if now >= edits_close_at(task) and not set(fields) <= WORDING:
        raise Conflict(
            "任务已开始，只能修改标题、说明和地点名称",
            code="task_already_started",
            details={"editable": sorted(WORDING)},
        )


def _not_open(message: str, window: Window) -> Conflict:
    return Conflict(
        message,
        code="checkin_not_open",
        details={
            "opens_at": window.opens_at.isoformat(),
            "closes_at": window.closes_at.isoformat(),
        },
    )


def require_checkin_open(task: Task, now: datetime) -> None:
    """Refuse a check-in outside the check-in window (409 checkin_not_open)."""
    window = checkin_window(task)
    if not window.contains(now):
        raise _not_open("不在签到时间内（开始前 30 分钟至结束）", window)


def require_code_open(task: Task, now: datetime) -> None:
    """Refuse the organiser's code outside the check-in / check-out window."""
    window = code_window(task)
    if now < window.opens_at:
        raise _not_open("签到尚未开放（开始前 30 分钟开放）", window)
    if now > window.closes_at:
        raise _not_open("签到和签退均已结束", window)


def require_completion_open(task: Task, now: datetime) -> None:
    """Refuse completing a task before it starts (409 task_not_started)."""
    opens_at = completion_opens_at(task)
    if now < opens_at:
        raise Conflict(
            "任务尚未开始，不能完成",
            code="task_not_started",
            details={"opens_at": opens_at.isoformat()},
        )


def window_fields(task: Task) -> dict:
    """The times the task view exposes, so clients never recompute the rules."""
    checkin = checkin_window(task)
    return {
        "checkin_opens_at": checkin.opens_at,
        "checkin_closes_at": checkin.closes_at,
        "checkout_closes_at": checkout_closes_at(task),
        "completion_opens_at": completion_opens_at(task),
        "edits_close_at": edits_close_at(task),
    }
