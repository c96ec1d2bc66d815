"""Notice periods: Asia/Shanghai months (2026-11), quarters (2026-Q4) and years (2026), as
server/points/rankings.parse_period reads them; when each ends and which are due."""

from datetime import UTC, datetime

from server.http.errors import Unprocessable
from server.platform.localtime import SHANGHAI
from server.points.rankings import Period, parse_period

# How far back the scheduler catches up a missed publication (months).
CATCH_UP_MONTHS = 12
_QUARTER_NAMES = "一二三四"


def period_type(period: Period) -> str:
    return {1: "month", 3: "quarter", 12: "year"}[len(period.months)]


def period_label(period: Period) -> str:
    """2026年11月 · 2026年第四季度 · 2026年度"""
    label = period.label
    kind = period_type(period)
    if kind == "month":
        return f"{label[:4]}年{int(label[5:])}月"
    if kind == "quarter":
        return f"{label[:4]}年第{_QUARTER_NAMES[int(label[-1]) - 1]}季度"
    return f"{label}年度"


def period_end(period: Period) -> datetime:
    """The instant (UTC) the period's last Shanghai month ends."""
    year, month = (int(x) for x in period.months[-1].split("-"))
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return datetime(year, month, 1, tzinfo=SHANGHAI).astimezone(UTC)


def require_ended(text: str, now: datetime | None = None) -> Period:
    """The parsed period, which must be over: a running period has nothing final to publish."""
    period = parse_period(text or "")
    if period_end(period) > (now or datetime.now(UTC)):
        raise Unprocessable(
            "该周期尚未结束，结束后才能公示",
            code="period_not_ended",
            details={"period": period.label},
        )
    return period


def due_periods(now: datetime | None = None) -> list[str]:
    """Every period that ended in the last CATCH_UP_MONTHS months, oldest first: the months,
    the quarters and the years whose last month is among them."""
    local = (now or datetime.now(UTC)).astimezone(SHANGHAI)
    index = local.year * 12 + local.month - 1  # the running month, which is not due
    due = []
    for back in range(CATCH_UP_MONTHS, 0, -1):
        year, month0 = divmod(index - back, 12)
        month = month0 + 1
        due.append(f"{year}-{month:02d}")
        if month % 3 == 0:
            due.append(f"{year}-Q{month // 3}")
        if month == 12:
            due.append(str(year))
    return due
