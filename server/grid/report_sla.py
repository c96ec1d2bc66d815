"""Working-day SLA clocks for reports, counted in Asia/Shanghai with chinese-calendar.

The clock runs only on working days (all 24 hours of a working day, none of a holiday or a
weekend that is not a make-up day), so "accept within 1 working day" posted on Wednesday at
15:00 is due on the next working day at 15:00. A pause (waiting for the reporter) stops it;
resuming continues from what was used, so every pause extends the due time.
"""

import logging
from datetime import date, datetime, time, timedelta
from functools import cache

import chinese_calendar

from server.db.types import utcnow
from server.platform.localtime import SHANGHAI

log = logging.getLogger(__name__)

DAY = 24 * 3600
# A budget never spans more than this many calendar days (60 working days fit easily).
MAX_SPAN_DAYS = 400


def now() -> datetime:
    """The current UTC time (tests monkeypatch this function)."""
    return utcnow()


@cache
def is_working_day(day: date) -> bool:
    """China's working days: chinese-calendar's holidays and make-up days, where it has them.

    For a year the library does not know yet (it is published each December), Monday to
    Friday; a newer chinese-calendar release fixes that year.
    """
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s; counting Monday-Friday", day.year)
        return day.weekday() < 5


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def working_seconds(start: datetime, end: datetime) -> int:
    """Working seconds between two instants (0 if end is not after start)."""
    if end <= start:
        return 0
    total = 0.0
    day = start.astimezone(SHANGHAI).date()
    last = end.astimezone(SHANGHAI).date()
    while day <= last:
        if is_working_day(day):
            lo = max(start, _day_start(day))
            hi = min(end, _day_start(day + timedelta(days=1)))
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def add_working(start: datetime, seconds: int) -> datetime:
    """The instant when `seconds` of working time have passed since `start`."""
    remaining = float(seconds)
    day = start.astimezone(SHANGHAI).date()
    moment = start
    for _ in range(MAX_SPAN_DAYS):
        end_of_day = _day_start(day + timedelta(days=1))
        if is_working_day(day):
            available = (end_of_day - max(moment, _day_start(day))).total_seconds()
            if remaining <= available:
                return (max(moment, _day_start(day)) + timedelta(seconds=remaining)).astimezone(
                    start.tzinfo
                )
            remaining -= available
        day += timedelta(days=1)
        moment = end_of_day
    raise ValueError("SLA budget spans more than MAX_SPAN_DAYS")


# --- the clock of one report, as column values for its UPDATE ---------------------------------


def started(at: datetime, accept_days: int, resolve_days: int) -> dict:
    """A report released to its handlers at `at`: both clocks start."""
    return {
        "clock_consumed": 0,
        "clock_running_since": at,
        "accept_due_at": add_working(at, accept_days * DAY),
        "resolve_due_at": add_working(at, resolve_days * DAY),
    }


def accept_restarted(at: datetime, accept_days: int) -> dict:
    """A report handed to another grid or the community queue must be accepted again."""
    return {"accept_due_at": add_working(at, accept_days * DAY)}


def used(consumed: int, running_since: datetime | None, at: datetime) -> int:
    """Working seconds the clock has used by `at`."""
    if running_since is None:
        return consumed
    return consumed + working_seconds(running_since, at)


def stopped(report, at: datetime, *, paused: bool) -> dict:
    """Pause (waiting) or stop (resolved, duplicate): the used time is kept. While paused a due
    time with budget left is unknown until the clock runs again (one already passed stays);
    a stopped report keeps the due time it was closed against."""
    consumed = used(report.clock_consumed, report.clock_running_since, at)
    left = report.resolve_within * DAY - consumed
    return {
        "clock_consumed": consumed,
        "clock_running_since": None,
        "resolve_due_at": None if paused and left > 0 else report.resolve_due_at,
    }


def resumed(report, at: datetime) -> dict:
    """Continue the clock from what it had used: the due time moves by the pause."""
    left = report.resolve_within * DAY - report.clock_consumed
    due = report.resolve_due_at if left <= 0 else add_working(at, left)
    return {"clock_running_since": at, "resolve_due_at": due}


def restarted(report, at: datetime) -> dict:
    """A reopened report gets a fresh resolve budget from the moment it is reopened."""
    return {
        "clock_consumed": 0,
        "clock_running_since": at,
        "resolve_due_at": add_working(at, report.resolve_within * DAY),
    }


def is_overdue(report, at: datetime) -> bool:
    """Past its accept due while waiting to be accepted, or past its resolve due while open."""
    if report.status == "submitted" and report.accept_due_at and report.accept_due_at < at:
        return True
    if report.status in ("submitted", "accepted", "waiting"):
        return report.resolve_due_at is not None and report.resolve_due_at < at
    return False
