"""问题与心愿: the community's report queue (status, overdue and grid filters) with each
report's timeline and the handler's steps (accept, transfer, resolve), and the wishes review
queue with approve and reject. Thin: server/grid decides who sees and does what."""

from flask import g, render_template, request

from server.admin.console import bp, console_page, page_args
from server.admin.console_display import local_minute
from server.admin.console_exports import each_item, export_kind, respond
from server.admin.console_form_input import attempt, choice_arg, load_form
from server.community.service import list_grids
from server.grid import report_handling, report_queue, wish_queries, wishes
from server.grid.report_models import REPORT_STATUSES
from server.grid.report_schemas import ResolveSchema, TransferSchema
from server.grid.report_timeline import report_timeline
from server.grid.wish_models import WISH_STATUSES
from server.grid.wish_schemas import WishApproveSchema, WishRejectSchema
from server.http.errors import Unprocessable

ROLES = ("admin", "reviewer", "grid_worker")
REPORT_LABELS = {
    "in_review": "内容审核中", "submitted": "待受理", "accepted": "办理中", "waiting": "等待居民",
    "resolved": "已办结", "confirmed": "已确认", "rejected": "已驳回", "duplicate": "重复",
}  # fmt: skip
WISH_LABELS = {
    "pending": "待审核", "flagged": "待复核", "rejected": "已驳回", "published": "待认领",
    "claimed": "已认领", "fulfilled": "已完成", "confirmed": "已确认", "cancelled": "已撤回",
    "expired": "已过期",
}  # fmt: skip


def _scope() -> str:
    return "community" if g.console.has("admin", "reviewer") else "grid"


def _report_filters() -> dict:
    overdue = choice_arg("overdue", ("yes", "no"))
    grid = request.args.get("grid_id") or ""
    if grid and not grid.isdecimal():
        raise Unprocessable("网格无效", code="invalid_grid")
    return {
        "status": choice_arg("status", REPORT_STATUSES),
        "overdue": None if overdue is None else overdue == "yes",
        "grid_id": int(grid) if grid else None,
    }


def _report_row(report: dict) -> dict:
    return {
        **report,
        "category_name": report["category"]["name"],
        "grid_name": report["grid"]["name"] if report["grid"] else "社区队列",
        "status_label": REPORT_LABELS[report["status"]] + ("（超时）" if report["overdue"] else ""),
        "created": local_minute(report["created_at"]),
        "summary": report["text"][:30],
    }


@bp.get("/reports")
@console_page(roles=ROLES)
def reports():
    limit, cursor = page_args()
    user = g.console.user
    page = report_queue.list_reports(user, limit, cursor, scope=_scope(), **_report_filters())
    page.items = [_report_row(r) for r in page.items]
    return render_template(
        "console/reports/list.html",
        page=page,
        args=request.args,
        statuses=REPORT_LABELS,
        grids=list_grids(g.console.community_id, 100, None).items,
    )


@export_kind("reports", "随手拍问题", ("编号", "提交时间", "类别", "网格", "状态", "内容"), ROLES)
def _report_rows():
    scope, filters = _scope(), _report_filters()
    fetch = lambda limit, cursor: report_queue.list_reports(  # noqa: E731
        g.console.user, limit, cursor, scope=scope, **filters
    )
    for r in map(_report_row, each_item(fetch)):
        yield (r["id"], r["created"], r["category_name"], r["grid_name"], r["status_label"],
               r["text"])  # fmt: skip


@bp.get("/reports/export")
@console_page(roles=ROLES)
def reports_export():
    return respond(_report_rows)


def _report_page(report_id: int, message=None, error=None, status: int = 200):
    user = g.console.user
    report = _report_row(
        report_queue.report_views(user, [report_queue.visible_report(user, report_id)])[0]
    )
    body = render_template(
        "console/reports/detail.html",
        report=report,
        timeline=report_timeline(user, report_id),
        grids=list_grids(g.console.community_id, 100, None).items,
        message=message,
        error=error,
    )
    return body, status


@bp.get("/reports/<int:report_id>")
@console_page(roles=ROLES)
def report_detail(report_id):
    return _report_page(report_id)


def _number(raw: str | None):
    """A numeric form field as an int for the schema (which refuses strings)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() else raw


STEPS = {
    "accept": (lambda user, rid, form: report_handling.accept_report(user, rid), "已受理"),
    "resolve": (
        lambda user, rid, form: report_handling.resolve_report(
            user, rid, load_form(ResolveSchema(), {"note": form.get("note")})["note"]
        ),
        "已办结，等待居民确认",
    ),
    "transfer": (
        lambda user, rid, form: report_handling.transfer_report(
            user,
            rid,
            **load_form(
                TransferSchema(),
                {"grid_id": _number(form.get("grid_id")), "reason": form.get("reason")},
            ),
        ),
        "已转办",
    ),
}


@bp.post("/reports/<int:report_id>/<any(accept, resolve, transfer):step>")
@console_page(roles=ROLES)
def report_step(report_id, step):
    call, done = STEPS[step]
    _, error = attempt(lambda: call(g.console.user, report_id, request.form))
    if error:
        return _report_page(report_id, error=error, status=error.status)
    return _report_page(report_id, done)


# --- wishes --------------------------------------------------------------------------------


def _wish_row(wish: dict) -> dict:
    return {
        **wish,
        "status_label": WISH_LABELS[wish["status"]],
        "resident_name": wish["resident"]["name"] if wish["resident"] else "—",
        "created": local_minute(wish["created_at"]),
        "needed": f"{wish['needed_by']}" if wish["needed_by"] else "—",
    }


def _wish_page(message=None, error=None, status: int = 200):
    limit, cursor = page_args()
    wish_status = choice_arg("status", WISH_STATUSES)
    page = wish_queries.list_wishes(
        g.console.user, limit, cursor, scope="review", status=wish_status
    )
    page.items = [_wish_row(w) for w in page.items]
    body = render_template(
        "console/reports/wishes.html",
        page=page,
        args=request.args,
        statuses=WISH_LABELS,
        grids=list_grids(g.console.community_id, 100, None).items,
        message=message,
        error=error,
    )
    return body, status


@bp.get("/wishes")
@console_page(roles=("admin", "reviewer"))
def wishes_queue():
    return _wish_page()


@export_kind("wishes", "微心愿", ("编号", "提交时间", "心愿", "居民", "需要日期", "状态"),
             ("admin", "reviewer"))  # fmt: skip
def _wish_rows():
    wish_status = choice_arg("status", WISH_STATUSES)
    fetch = lambda limit, cursor: wish_queries.list_wishes(  # noqa: E731
        g.console.user, limit, cursor, scope="review", status=wish_status
    )
    for r in map(_wish_row, each_item(fetch)):
        yield (r["id"], r["created"], r["title"], r["resident_name"], r["needed"],
               r["status_label"])  # fmt: skip


@bp.get("/wishes/export")
@console_page(roles=("admin", "reviewer"))
def wishes_export():
    return respond(_wish_rows)


@bp.post("/wishes/<int:wish_id>/approve")
@console_page(roles=("admin", "reviewer"))
def wish_approve(wish_id):
    form = request.form
    fields = {
        "audience": form.get("audience"),
        "grid_id": _number(form.get("grid_id")),
        "points": _number(form.get("points")),
    }
    wish, error = attempt(
        lambda: wishes.approve_wish(
            g.console.user, wish_id, **load_form(WishApproveSchema(), fields)
        )
    )
    if error:
        return _wish_page(error=error, status=error.status)
    return _wish_page(f"已发布心愿：{wish.title}")


@bp.post("/wishes/<int:wish_id>/reject")
@console_page(roles=("admin", "reviewer"))
def wish_reject(wish_id):
    form = {"reason": request.form.get("reason")}
    wish, error = attempt(
        lambda: wishes.reject_wish(
            g.console.user, wish_id, load_form(WishRejectSchema(), form)["reason"]
        )
    )
    if error:
        return _wish_page(error=error, status=error.status)
    return _wish_page(f"已驳回心愿：{wish.title}")
