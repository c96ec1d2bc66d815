"""Local (Asia/Shanghai) calendar helpers: people think in local days, months and quarters."""

from datetime import UTC, date, datetime, time, timedelta

from server.http.errors import Unprocessable
from server.platform.localtime import SHANGHAI as LOCAL_TZ
from server.platform.localtime import local_today


def period_key(day: date, period: str) -> str:
    """The per-person limit's bucket: '2026-11' for a month, '2026-Q4' for a quarter."""
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def parse_month(month: str) -> tuple[int, int]:
    try:
        year, mon = (int(part) for part in month.split("-"))
    except ValueError:
        raise Unprocessable("月份格式应为 YYYY-MM", code="invalid_month") from None
    if not (2000 <= year <= 2100 and 1 <= mon <= 12):
        raise Unprocessable("月份格式应为 YYYY-MM", code="invalid_month")
    return year, mon


def month_bounds_utc(month: str) -> tuple[datetime, datetime]:
    """UTC instants of the first local midnight of `month` and of the month after."""
    year, mon = parse_month(month)
    start = datetime.combine(date(year, mon, 1), time(), LOCAL_TZ)
    nxt = date(year + 1, 1, 1) if mon == 12 else date(year, mon + 1, 1)
    end = datetime.combine(nxt, time(), LOCAL_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)


def current_month(now: datetime | None = None) -> str:
    today = local_today(now)
    return f"{today.year}-{today.month:02d}"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def quarter_starts(year: int) -> list[date]:
    return [date(year, m, 1) for m in (1, 4, 7, 10)]


def days_after(day: date, days: int) -> date:
    return day + timedelta(days=days)
