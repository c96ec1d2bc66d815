"""A report's timeline for its handlers: submission, then every audited step (accept, wait,
resume, transfer, escalate, resolve, reopen, ...) with who did it and why, oldest first."""

from sqlalchemy import select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.grid.report_queue import visible_report
from server.platform.masking import mask_name

# A report's steps are few (each reopen is bounded by the reopen window); still bounded.
MAX_STEPS = 200
STEP_LABELS = {
    "release": "审核通过", "reject": "驳回", "accept": "受理", "wait": "等待居民",
    "resume": "继续办理", "resolve": "办结", "transfer": "转办", "escalate": "上报社区",
    "duplicate": "重复问题", "confirm": "居民确认", "reopen": "居民重开",
}  # fmt: skip


def report_timeline(user: User, report_id: int) -> list[dict]:
    """The steps of a report the caller may see (404 otherwise); names masked."""
    report = visible_report(user, report_id)
    rows = list(
        db.session.scalars(
            select(AuditLog)
            .where(AuditLog.target_type == "report", AuditLog.target_id == str(report.id))
            .order_by(AuditLog.id)
            .limit(MAX_STEPS)
        )
    )
    actor_ids = {r.actor_id for r in rows if r.actor_id} | {report.reporter_id}
    names = {
        u.id: mask_name(u.display_name)
        for u in db.session.scalars(select(User).where(User.id.in_(actor_ids)))
    }
    steps = [{"at": report.created_at, "step": "提交", "actor": names[report.reporter_id],
              "note": report.text[:60]}]  # fmt: skip
    for row in rows:
        name = row.action.split(".", 1)[-1]
        after = row.after or {}
        note = after.get("reason") or after.get("note") or after.get("resolution_note") or ""
        steps.append(
            {
                "at": row.created_at,
                "step": STEP_LABELS.get(name, name),
                "actor": names.get(row.actor_id, "系统"),
                "note": str(note)[:200],
            }
        )
    return steps
