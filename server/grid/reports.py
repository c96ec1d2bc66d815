"""Posting a 随手拍 report: category photo rule, routing, content security, the SLA start.

Routing: the grid the reporter names, else the reporter's own grid, else the community queue.
A text WeChat flags (or could not check) waits `in_review` for a reviewer, who releases it to
its handlers (the clocks start then) or rejects it; it is never lost.
"""

from server.auth.models import User
from server.community.authz import require_membership
from server.community.service import grid_in
from server.db.audit import record_audit
from server.db.session import db
from server.grid import report_sla
from server.grid.report_categories import category_in
from server.grid.report_gate import announce, move
from server.grid.report_models import Report
from server.grid.report_queue import is_community_handler, visible_report
from server.http.errors import Forbidden, Unprocessable
from server.uploads import service as uploads
from server.wechat.content_security import check_text


def _plan(user: User, category_id: int, photo_ids: list[int], grid_id, lat, lng) -> dict:
    membership = require_membership(user)
    community_id = membership.community_id
    category = category_in(community_id, category_id)
    if not category.active:
        raise Unprocessable(
            "该问题分类已停用",
            code="report_category_inactive",
            details={"category_id": category_id},
        )
    if category.photo_required and not photo_ids:
        raise Unprocessable("该分类需要上传至少一张照片", code="photo_required")
    if (lat is None) != (lng is None):
        raise Unprocessable("经纬度需同时提供", code="coordinates_incomplete")
    grid = grid_in(community_id, grid_id)
    uploads.check_attachable(user, photo_ids)
    return {
        "community_id": community_id,
        "grid_id": grid.id if grid else membership.grid_id,
        "accept_within": category.accept_within,
        "resolve_within": category.resolve_within,
    }


def submit_report(
    user: User,
    *,
    category_id: int,
    text: str,
    place: str = "",
    photo_ids: list[int] | None = None,
    grid_id: int | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Report:
    """Post a report: `submitted` to its grid or the queue, or `in_review` when flagged."""
    photo_ids = list(photo_ids or [])
    text = text.strip()
    if not text:
        raise Unprocessable("请描述问题", code="text_required")
    plan = _plan(user, category_id, photo_ids, grid_id, latitude, longitude)
    openid, user_id = user.openid, user.id
    # Nothing is written yet: end the read transaction so the WeChat round trip holds no lock.
    db.session.rollback()
    verdict = check_text(text, openid=openid)

    user = db.session.get(User, user_id)
    uploads.check_attachable(user, photo_ids)  # again: the photos may have been used meanwhile
    at = report_sla.now()
    report = Report(
        community_id=plan["community_id"],
        reporter_id=user_id,
        category_id=category_id,
        grid_id=plan["grid_id"],
        text=text,
        place=(place or "").strip(),
        latitude=latitude,
        longitude=longitude,
        photo_ids=photo_ids,
        status="submitted" if verdict.passed else "in_review",
        content_verdict=verdict.suggest,
        accept_within=plan["accept_within"],
        resolve_within=plan["resolve_within"],
        created_at=at,
    )
    if verdict.passed:
        for name, value in report_sla.started(
            at, plan["accept_within"], plan["resolve_within"]
        ).items():
            setattr(report, name, value)
    db.session.add(report)
    db.session.flush()
    uploads.attach(user, photo_ids, "report", report.id)
    announce("report.submitted", report, user_id, category_id=category_id)
    db.session.commit()
    return report


def _reviewable(actor: User, report_id: int) -> Report:
    report = visible_report(actor, report_id)
    if not is_community_handler(actor, report.community_id):
        raise Forbidden("只有审核员或管理员可以审核内容", code="not_a_reviewer")
    if report.reporter_id == actor.id:
        raise Forbidden("不能审核自己上报的问题", code="cannot_review_own_report")
    return report


def release_report(actor: User, report_id: int) -> Report:
    """A reviewer finds a flagged text fine: it goes to its handlers and the clocks start."""
    report = _reviewable(actor, report_id)
    at = report_sla.now()
    clock = report_sla.started(at, report.accept_within, report.resolve_within)
    move(report, ("in_review",), status="submitted", **clock)
    record_audit(
        actor_id=actor.id,
        action="report.release",
        target_type="report",
        target_id=report.id,
        community_id=report.community_id,
        before={"status": "in_review"},
        after={"status": "submitted"},
    )
    announce("report.released", report, actor.id)
    db.session.commit()
    return report


def reject_report(actor: User, report_id: int, reason: str) -> Report:
    """A reviewer refuses a flagged text (with a reason the reporter sees); no points."""
    reason = reason.strip()
    if not reason:
        raise Unprocessable("请填写原因", code="reason_required")
    report = _reviewable(actor, report_id)
    move(report, ("in_review",), status="rejected", last_reason=reason)
    record_audit(
        actor_id=actor.id,
        action="report.reject",
        target_type="report",
        target_id=report.id,
        community_id=report.community_id,
        before={"status": "in_review"},
        after={"status": "rejected", "reason": reason},
    )
    announce("report.rejected", report, actor.id, reason=reason)
    db.session.commit()
    return report
