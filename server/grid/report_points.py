"""What reports are worth: the reporter's points once validated, the worker's closed reports.

A report is validated when a handler accepts it (a duplicate is never accepted); the reporter
is credited once, with the key `report:<id>:reporter`, in the acceptance's transaction. A
report the reporter confirms counts for the worker who resolved it.
"""

from datetime import date, datetime, time

from sqlalchemy import func, select

from server.db.session import db
from server.grid.report_categories import reporter_points
from server.grid.report_models import Report, ReportCategory
from server.platform.localtime import SHANGHAI


def credit_validated_report(report: Report, actor_id: int) -> int | None:
    """Credit the reporter for a validated report, at most once; the entry id (or None when
    the community gives no points). Runs in the caller's transaction."""
    from server.points import ledger  # the ledger belongs to the points domain

    if report.reporter_entry_id is not None:
        return report.reporter_entry_id
    amount = reporter_points(report.community_id)
    if amount <= 0:
        return None
    category = db.session.get(ReportCategory, report.category_id)
    entry = ledger.credit(
        ledger.account_for_user(report.community_id, report.reporter_id),
        amount,
        reason=f"随手拍上报问题被受理：{category.name}",
        idempotency_key=f"report:{report.id}:reporter",
        cause_type="report",
        cause_id=report.id,
        actor_id=actor_id,
    )
    report.reporter_entry_id = entry.id
    db.session.flush()
    return entry.id


def _month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(part) for part in month.split("-"))
    first = date(year, mon, 1)
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    return (
        datetime.combine(first, time(), SHANGHAI),
        datetime.combine(following, time(), SHANGHAI),
    )


def closed_reports_by_worker(community_id: int, month: str) -> dict[int, dict]:
    """Per worker (who resolved it), the reports their reporters confirmed in the local month
    ('2026-12') and the average rating: {user_id: {"closed": n, "average_rating": x}}."""
    start, end = _month_bounds(month)
    rows = db.session.execute(
        select(Report.resolved_by, func.count(Report.id), func.avg(Report.rating))
        .where(
            Report.community_id == community_id,
            Report.status == "confirmed",
            Report.confirmed_at >= start,
            Report.confirmed_at < end,
            Report.resolved_by.is_not(None),
        )
        .group_by(Report.resolved_by)
    )
    return {
        worker: {"closed": n, "average_rating": round(float(avg), 2) if avg is not None else None}
        for worker, n, avg in rows
    }
