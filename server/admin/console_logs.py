"""操作日志 (the community's audit entries; admins and reviewers) and 定时任务 (each scheduled
job with its cadence and last runs; admins) in the console."""

from datetime import date

from flask import g, render_template, request

from server.admin.audit_entries import audit_target_types, list_audit_entries, readable
from server.admin.console import bp, console_page, page_args
from server.admin.console_exports import each_item, export_kind, respond
from server.http.errors import BadRequest
from server.notify import schedule

RUNS_SHOWN = 5
CADENCE_LABELS = {"minute": "每分钟", "5min": "每 5 分钟", "hour": "每小时", "day": "每天"}
JOB_LABELS = {
    "expire_holds": "释放过期的积分冻结与兑换预留",
    "task_reminders": "任务开始提醒",
    "expiring_reservations": "兑换预留即将过期提醒",
    "overdue_reports": "超时未处理的问题提醒",
    "weekly_digest": "每周待审核汇总",
    "public_notices": "发布积分公示",
    "expire_wishes": "关闭过期心愿",
    "purge_uploads": "清理未使用的上传图片",
    "rankings_rebuild": "重建积分排行",
    "console_cleanup": "清理 30 天前结束的办公台登录与会话",
}


def _day(name: str) -> date | None:
    raw = request.args.get(name) or None
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise BadRequest("日期格式应为 YYYY-MM-DD", code="invalid_date") from None


def _filters() -> dict:
    return {
        "action": request.args.get("action"),
        "actor": request.args.get("actor"),
        "target_type": request.args.get("target_type"),
        "day_from": _day("from"),
        "day_to": _day("to"),
    }


@bp.get("/audit-log")
@console_page(roles=("admin", "reviewer"))
def audit_log():
    limit, cursor = page_args()
    page = list_audit_entries(
        g.console.user, g.console.community_id, limit=limit, cursor=cursor, **_filters()
    )
    types = audit_target_types(g.console.user, g.console.community_id)
    return render_template("console/logs/audit.html", page=page, types=types, args=request.args)


AUDIT_KEYS = ("at", "actor", "action", "target_type", "target_id", "before", "after")


AUDIT_HEADERS = ("时间", "操作人", "操作", "对象类型", "对象编号", "修改前", "修改后")


@export_kind("audit", "操作日志", AUDIT_HEADERS, ("admin", "reviewer"))
def _audit_rows():
    filters = _filters()
    fetch = lambda limit, cursor: list_audit_entries(  # noqa: E731
        g.console.user, g.console.community_id, limit=limit, cursor=cursor, **filters
    )
    for item in each_item(fetch):
        yield [readable(item[key]) if key in ("before", "after") else item[key]
               for key in AUDIT_KEYS]  # fmt: skip


@bp.get("/audit-log/export")
@console_page(roles=("admin", "reviewer"))
def audit_log_export():
    return respond(_audit_rows)


@bp.get("/jobs")
@console_page(roles=("admin",))
def jobs_page():
    runs = schedule.last_runs(RUNS_SHOWN)
    jobs = [
        {
            "name": job.name,
            "label": JOB_LABELS.get(job.name, job.name),
            "cadence": CADENCE_LABELS[job.every],
            "runs": runs[job.name],
        }
        for job in schedule.JOBS
    ]
    return render_template("console/logs/jobs.html", jobs=jobs)
