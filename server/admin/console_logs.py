"""操作日志 (the community's audit entries; admins and reviewers) and 定时任务 (each scheduled
job with its cadence and last runs; admins) in the console."""

from datetime import date

from flask import g, render_template, request

from server.admin.audit_entries import audit_target_types, list_audit_entries
from server.admin.console import bp, console_page, page_args, xlsx_response
from server.http.errors import BadRequest
from server.notify import schedule

EXPORT_ROWS = 5000
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


@bp.get("/audit-log/export")
@console_page(roles=("admin", "reviewer"))
def audit_log_export():
    # big export: background (a year of a community's audit entries exceeds 5,000 rows)
    page = list_audit_entries(
        g.console.user, g.console.community_id, limit=EXPORT_ROWS, **_filters()
    )
    keys = ("at", "actor", "action", "target_type", "target_id", "before", "after")
    rows = [[item[key] for key in keys] for item in page.items]
    headers = ["时间", "操作人", "操作", "对象类型", "对象编号", "修改前", "修改后"]
    return xlsx_response(rows, headers, "操作日志.xlsx")


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
