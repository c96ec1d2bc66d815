"""The schemes' local time: days, months and years are counted in Asia/Shanghai.

Every "which day / month / year is it for residents" question is answered here, once.
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_date(moment: datetime) -> date:
    """The calendar date residents see for `moment`."""
    return moment.astimezone(SHANGHAI).date()


def local_today(now: datetime | None = None) -> date:
    """Today for residents (at `now`, default the current time)."""
    return local_date(now or datetime.now(UTC))


def local_year(now: datetime | None = None) -> int:
    """This year for residents: volunteer hours and yearly rankings roll over at local new year."""
    return local_today(now).year


def month_of(at: datetime) -> str:
    """The local month of an instant, as rankings and statements name it: '2026-11'."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m")
