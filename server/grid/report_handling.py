"""Handling a report: accept, wait and resume, resolve, transfer, escalate, mark duplicate.

Handlers are the grid worker of the report's grid and the community's reviewers and admins;
nobody handles their own report (accepting it would earn them points). Every step is one
gate (report_gate.move), an outbox event, and for privileged steps an audit row.
"""

from server.auth.models import User
from server.community.authz import require_membership
from server.community.service import grid_in
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.grid import report_sla
from server.grid.report_gate import OwnReport, announce, move
from server.grid.report_models import Report
from server.grid.report_points import credit_validated_report
from server.grid.report_queue import (
    ReportNotFound,
    is_community_handler,
    is_grid_handler,
    visible_report,
)
from server.http.errors import Forbidden, Unprocessable
from server.uploads import service as uploads


def _audit(actor: User, report: Report, action: str, before: dict, after: dict) -> None:
    record_audit(
        actor_id=actor.id,
        action=f"report.{action}",
        target_type="report",
        target_id=report.id,
        community_id=report.community_id,
        before=before,
        after=after,
    )


def _handled(actor: User, report_id: int, *, community_only: bool = False) -> Report:
    """The report, for one of its handlers; 404 if the actor may not see it, else 403."""
    report = visible_report(actor, report_id)
    # Lock the row first: the clock values below are computed from what it holds now.
    db.session.refresh(report, with_for_update=True)
    community = is_community_handler(actor, report.community_id)
    if not community and (community_only or not is_grid_handler(actor, report)):
        raise Forbidden("您不是该问题的处理人", code="not_report_handler")
    if report.reporter_id == actor.id:
        raise OwnReport()
    return report


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Unprocessable("请填写原因", code="reason_required")
    return reason


def accept_report(actor: User, report_id: int) -> Report:
    """Accept a submitted report: it is validated, so the reporter is credited (once)."""
    report = _handled(actor, report_id)
    move(
        report,
        ("submitted",),
        status="accepted",
        accepted_by=actor.id,
        accepted_at=report_sla.now(),
    )
    entry_id = credit_validated_report(report, actor.id)
    _audit(actor, report, "accept", {"status": "submitted"}, {"status": "accepted"})
    announce("report.accepted", report, actor.id, reporter_entry_id=entry_id)
    db.session.commit()
    return report


def wait_for_reporter(actor: User, report_id: int, reason: str) -> Report:
    """The worker needs the reporter (access, details): the SLA clock pauses."""
    reason = _reason(reason)
    report = _handled(actor, report_id)
    at = report_sla.now()
    move(
        report,
        ("accepted",),
        status="waiting",
        last_reason=reason,
        **report_sla.stopped(report, at, paused=True),
    )
    announce("report.waiting", report, actor.id, reason=reason)
    db.session.commit()
    return report


def resume_report(actor: User, report_id: int, note: str | None = None) -> Report:
    """The reporter answered (or the handler goes on): the clock continues where it stopped."""
    report = visible_report(actor, report_id)
    if report.reporter_id != actor.id:
        report = _handled(actor, report_id)
    else:
        db.session.refresh(report, with_for_update=True)
    at = report_sla.now()
    values = report_sla.resumed(report, at)
    note = (note or "").strip() or None
    move(report, ("waiting",), status="accepted", last_reason=note or report.last_reason, **values)
    announce("report.resumed", report, actor.id, reason=note)
    db.session.commit()
    return report


def resolve_report(actor: User, report_id: int, note: str, photo_ids: list[int] | None = None):
    """The handler fixed it: notes and up to 9 photos; the reporter may confirm or reopen."""
    photo_ids = list(photo_ids or [])
    note = note.strip()
    if not note:
        raise Unprocessable("请填写处理情况", code="note_required")
    report = _handled(actor, report_id)
    uploads.check_attachable(actor, photo_ids)
    at = report_sla.now()
    move(
        report,
        ("accepted",),
        status="resolved",
        resolved_by=actor.id,
        resolved_at=at,
        resolution_note=note,
        resolution_photo_ids=(report.resolution_photo_ids or []) + photo_ids,
        **report_sla.stopped(report, at, paused=False),
    )
    uploads.attach(actor, photo_ids, "report", report.id)
    _audit(actor, report, "resolve", {"status": "accepted"}, {"status": "resolved"})
    announce("report.resolved", report, actor.id)
    db.session.commit()
    return report


def transfer_report(actor: User, report_id: int, grid_id: int, reason: str) -> Report:
    """Hand a report to another grid of the community (a reason is required); the new grid
    must accept it again, the resolve clock runs on."""
    reason = _reason(reason)
    report = _handled(actor, report_id)
    grid_in(report.community_id, grid_id)
    if grid_id == report.grid_id:
        raise Unprocessable("问题已在该网格", code="same_grid", details={"grid_id": grid_id})
    from_grid = report.grid_id
    values = report_sla.accept_restarted(report_sla.now(), report.accept_within)
    move(
        report,
        ("submitted", "accepted"),
        Report.grid_id.is_(None) if from_grid is None else Report.grid_id == from_grid,
        status="submitted",
        grid_id=grid_id,
        accepted_by=None,
        accepted_at=None,
        last_reason=reason,
        **values,
    )
    _audit(
        actor, report, "transfer", {"grid_id": from_grid}, {"grid_id": grid_id, "reason": reason}
    )
    announce("report.transferred", report, actor.id, from_grid_id=from_grid, reason=reason)
    db.session.commit()
    return report


def escalate_report(actor: User, report_id: int, reason: str) -> Report:
    """A grid worker hands a report up to the community queue (a reason is required)."""
    reason = _reason(reason)
    report = _handled(actor, report_id)
    if report.grid_id is None:
        raise Unprocessable("问题已在社区队列中", code="already_in_community_queue")
    from_grid = report.grid_id
    values = report_sla.accept_restarted(report_sla.now(), report.accept_within)
    move(
        report,
        ("submitted", "accepted"),
        Report.grid_id == from_grid,
        status="submitted",
        grid_id=None,
        accepted_by=None,
        accepted_at=None,
        last_reason=reason,
        **values,
    )
    _audit(actor, report, "escalate", {"grid_id": from_grid}, {"grid_id": None, "reason": reason})
    announce("report.escalated", report, actor.id, from_grid_id=from_grid, reason=reason)
    db.session.commit()
    return report


def mark_duplicate(actor: User, report_id: int, duplicate_of_id: int) -> Report:
    """The community closes a not yet accepted report as a duplicate of another (no points)."""
    report = _handled(actor, report_id, community_only=True)
    original = get_by_id(Report, duplicate_of_id)
    if original is None or original.community_id != require_membership(actor).community_id:
        raise ReportNotFound(details={"duplicate_of_id": duplicate_of_id})
    if original.id == report.id or original.status in ("duplicate", "rejected", "in_review"):
        raise Unprocessable(
            "不能标记为该问题的重复",
            code="invalid_duplicate_target",
            details={"duplicate_of_id": duplicate_of_id, "status": original.status},
        )
    at = report_sla.now()
    move(
        report,
        ("submitted",),
        status="duplicate",
        duplicate_of_id=original.id,
        **report_sla.stopped(report, at, paused=False),
    )
    _audit(
        actor,
        report,
        "mark_duplicate",
        {"status": "submitted"},
        {"status": "duplicate", "duplicate_of_id": original.id},
    )
    announce("report.marked_duplicate", report, actor.id, duplicate_of_id=original.id)
    db.session.commit()
    return report
