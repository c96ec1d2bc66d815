"""The reporter closes the loop: confirm a resolved report with a 1-5 rating (once), or reopen
it, only from resolved and within 7 days of its resolution."""

from server.auth.models import User
from server.db.session import db
from server.grid import report_sla
from server.grid.report_gate import WrongState, announce, move
from server.grid.report_models import Report
from server.grid.report_queue import REOPEN_WINDOW, visible_report
from server.http.errors import Conflict, Forbidden


class NotReporter(Forbidden):
    code, message = "not_reporter", "只有上报人可以进行此操作"


class AlreadyConfirmed(Conflict):
    code, message = "report_already_confirmed", "该问题已确认评价，不能重复评价"


class ReopenWindowClosed(Conflict):
    code, message = "reopen_window_closed", "已超过办结后 7 天，不能重新打开"


def _own(user: User, report_id: int) -> Report:
    report = visible_report(user, report_id)
    if report.reporter_id != user.id:
        raise NotReporter()
    return report


def confirm_report(user: User, report_id: int, rating: int, feedback: str | None = None):
    """The reporter confirms the fix and rates it 1-5; a report is rated once."""
    report = _own(user, report_id)
    feedback = (feedback or "").strip() or None
    try:
        move(
            report,
            ("resolved",),
            Report.reporter_id == user.id,
            status="confirmed",
            rating=rating,
            feedback=feedback,
            confirmed_at=report_sla.now(),
        )
    except WrongState:
        if report.status == "confirmed":
            raise AlreadyConfirmed() from None
        raise
    announce("report.confirmed", report, user.id, rating=rating, resolved_by=report.resolved_by)
    db.session.commit()
    return report


def reopen_report(user: User, report_id: int, reason: str) -> Report:
    """The reporter is not satisfied: back to its handler with a fresh resolve clock."""
    report = _own(user, report_id)
    reason = reason.strip()
    at = report_sla.now()
    try:
        move(
            report,
            ("resolved",),
            Report.reporter_id == user.id,
            Report.resolved_at > at - REOPEN_WINDOW,
            status="accepted",
            last_reason=reason or None,
            reopened_count=Report.reopened_count + 1,
            **report_sla.restarted(report, at),
        )
    except WrongState:
        if report.status == "resolved":
            raise ReopenWindowClosed(
                details={"resolved_at": report.resolved_at.isoformat()}
            ) from None
        raise
    announce("report.reopened", report, user.id, reason=reason or None)
    db.session.commit()
    return report
