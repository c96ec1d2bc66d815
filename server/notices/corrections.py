"""Correcting a published notice: a new snapshot of the same period, marked as a correction
and pointing at the notice it corrects. The corrected notice itself never changes."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from server.auth.models import User
from server.community.authz import authorize
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Conflict, Unprocessable
from server.notices.access import visible_notice
from server.notices.models import MAX_REASON, Notice
from server.notices.snapshot import freeze_and_announce, notice_title, write_notice
from server.points.rankings import parse_period

# Corrections a period may have: keeps every notice's list of corrections short.
MAX_CORRECTIONS = 20


def correct_notice(
    actor: User, notice_id: int, reason: str, *, now: datetime | None = None
) -> Notice:
    """Publish a correction of `notice_id` (community admins), with the reason shown on it."""
    corrected = visible_notice(actor, notice_id)
    authorize(
        actor,
        community_id=corrected.community_id,
        roles=("admin",),
        message="只有社区管理员可以更正公示",
    )
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        raise Unprocessable(
            f"请填写更正原因（不超过 {MAX_REASON} 字）",
            code="reason_required",
            details={"max": MAX_REASON},
        )
    last = db.session.scalar(
        select(func.max(Notice.revision)).where(
            Notice.community_id == corrected.community_id, Notice.period == corrected.period
        )
    )
    if last >= MAX_CORRECTIONS:
        raise Conflict(
            "该周期的更正次数已达上限",
            code="too_many_corrections",
            details={"max": MAX_CORRECTIONS},
        )
    period = parse_period(corrected.period)
    correction = Notice(
        community_id=corrected.community_id,
        period=corrected.period,
        period_type=corrected.period_type,
        revision=last + 1,
        title=notice_title(period, correction=True),
        correction_of=corrected.id,
        correction_reason=reason,
        published_by=actor.id,
        published_at=now or datetime.now(UTC),
    )
    if not write_notice(correction):  # another admin's correction took this revision
        raise Conflict("公示正在被更正，请刷新后重试", code="correction_in_progress")
    freeze_and_announce(correction, period)
    record_audit(
        actor_id=actor.id,
        action="notice.correct",
        target_type="notice",
        target_id=correction.id,
        community_id=correction.community_id,
        before={"notice_id": corrected.id, "title": corrected.title},
        after={"notice_id": correction.id, "period": correction.period, "reason": reason},
    )
    db.session.commit()
    return correction
