"""Volunteer hours (志愿时间银行): confirmed service time per person."""

from datetime import datetime

from sqlalchemy import func, select

from server.db.session import db
from server.platform.localtime import SHANGHAI, local_year
from server.tasks import clock
from server.tasks.models import Task, TaskAttendance


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC instants where the Asia/Shanghai calendar year starts and ends."""
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    return start, end


def _minutes(user_id: int, start: datetime | None = None, end: datetime | None = None) -> int:
    stmt = (
        select(func.coalesce(func.sum(TaskAttendance.minutes), 0))
        .join(Task, Task.id == TaskAttendance.task_id)
        .where(TaskAttendance.user_id == user_id, TaskAttendance.credited_at.is_not(None))
    )
    if start is not None:
        stmt = stmt.where(Task.starts_at >= start, Task.starts_at < end)
    return int(db.session.scalar(stmt) or 0)


def minutes_between(user_id: int, start: datetime, end: datetime) -> int:
    """Confirmed minutes of service in tasks starting in [start, end)."""
    return _minutes(user_id, start, end)


def lifetime_minutes(user_id: int) -> int:
    """Confirmed minutes of service over a lifetime."""
    return _minutes(user_id)


def volunteer_hours(user_id: int) -> dict:
    """Confirmed hours this (Asia/Shanghai) year and over a lifetime, for GET /me."""
    year = local_year(clock.now())
    this_year = _minutes(user_id, *year_bounds(year))
    lifetime = _minutes(user_id)
    return {"this_year": round(this_year / 60, 2), "lifetime": round(lifetime / 60, 2)}
