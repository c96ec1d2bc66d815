"""任务: the community's volunteer tasks - the list with filters and its export, one task with
its attendees and completion, publishing, cancelling and completing. Thin: the tasks services
(publishing, completion, queries) decide who may do what."""

from flask import g, render_template, request

from server.admin.console import bp, console_page, page_args
from server.admin.console_display import local_minute
from server.admin.console_exports import each_item, export_kind, respond
from server.admin.console_form_input import attempt, choice_arg, day_arg, load_form, local_datetime
from server.community.models import PARTY_KINDS
from server.community.service import list_grids
from server.points.catalogue import list_items
from server.tasks import completion, publishing, queries
from server.tasks.models import SIGNUP_STATUSES, TASK_STATUSES
from server.tasks.schemas import TaskCancelSchema, TaskCreateSchema

ROLES = ("admin", "reviewer", "grid_worker")
STATUS_LABELS = {"published": "进行中", "cancelled": "已取消", "completed": "已完成"}
SIGNUP_LABELS = {
    "confirmed": "已报名",
    "waitlisted": "候补",
    "cancelled": "已取消",
    "walk_in": "现场",
}
AUDIENCE_LABELS = {"everyone": "全体居民", "party_members": "党员", "grid": "本网格"}
INT_FIELDS = ("capacity", "points_per_hour", "points_cap", "radius_m", "point_item_id",
              "audience_grid_id")  # fmt: skip
TEXT_FIELDS = ("title", "description", "reward_kind", "place_name", "latitude", "longitude",
               "audience", "audience_party_kind")  # fmt: skip
TIME_FIELDS = ("starts_at", "ends_at", "signup_deadline", "cancel_deadline")


def _filters() -> dict:
    return {
        "when": choice_arg("when", ("upcoming", "past", "all")) or "all",
        "status": choice_arg("status", TASK_STATUSES),
        "q": (request.args.get("q") or "")[:32] or None,
        "starts_from": day_arg("from"),
        "starts_to": day_arg("to"),
    }


def _row(task: dict) -> dict:
    return {
        **task,
        "starts": local_minute(task["starts_at"]),
        "ends": local_minute(task["ends_at"]),
        "seats": f"{task['confirmed_count']}/{task['capacity']}",
        "status_label": STATUS_LABELS[task["status"]],
        "audience_label": AUDIENCE_LABELS[task["audience"]],
    }


@bp.get("/tasks")
@console_page(roles=ROLES)
def tasks():
    limit, cursor = page_args()
    page = queries.list_tasks(g.console.user, {**_filters(), "limit": limit, "cursor": cursor})
    page.items = [_row(t) for t in page.items]
    return render_template(
        "console/tasks/list.html", page=page, args=request.args, statuses=STATUS_LABELS
    )


@export_kind("tasks", "志愿任务", ("编号", "标题", "开始时间", "报名/名额", "面向", "状态"), ROLES)
def _task_rows():
    filters = _filters()
    fetch = lambda limit, cursor: queries.list_tasks(  # noqa: E731
        g.console.user, {**filters, "limit": limit, "cursor": cursor}
    )
    for r in map(_row, each_item(fetch)):
        yield (r["id"], r["title"], r["starts"], r["seats"], r["audience_label"],
               r["status_label"])  # fmt: skip


@bp.get("/tasks/export")
@console_page(roles=ROLES)
def tasks_export():
    return respond(_task_rows)


def _choices() -> dict:
    user, community_id = g.console.user, g.console.community_id
    items = [i for i in list_items(user, 100, None).items if i["direction"] == "earn"]
    return {
        "items": items,
        "grids": list_grids(community_id, 100, None).items,
        "audiences": AUDIENCE_LABELS,
        "party_kinds": PARTY_KINDS,
    }


def _task_fields(form) -> dict:
    fields = {name: (form.get(name) or "").strip() for name in TEXT_FIELDS}
    for name in INT_FIELDS:
        raw = (form.get(name) or "").strip()
        fields[name] = int(raw) if raw.isdecimal() else raw
    for name in TIME_FIELDS:
        fields[name] = local_datetime(form.get(name))
    return load_form(TaskCreateSchema(), fields)


@bp.get("/tasks/new")
@console_page(roles=ROLES)
def task_new():
    return render_template("console/tasks/new.html", form={}, **_choices())


@bp.post("/tasks")
@console_page(roles=ROLES)
def task_publish():
    user = g.console.user
    task, error = attempt(
        lambda: publishing.publish_task(user, g.console.community_id, _task_fields(request.form))
    )
    if error:
        body = render_template(
            "console/tasks/new.html", form=request.form, error=error, **_choices()
        )
        return body, error.status
    return _detail(task.id, f"已发布任务：{task.title}")


def _detail(task_id: int, message: str | None = None, error=None, status: int = 200):
    user = g.console.user
    task = _row(queries.get_task_view(user, task_id))
    attendees = None
    if task["can_manage"]:
        limit, cursor = page_args()
        signup_status = choice_arg("signup_status", SIGNUP_STATUSES)
        attendees = queries.attendees(user, task_id, limit, cursor, signup_status)
    summary = completion.summary_of(task_id) if task["status"] == "completed" else None
    body = render_template(
        "console/tasks/detail.html",
        task=task,
        attendees=attendees,
        summary=summary,
        signup_labels=SIGNUP_LABELS,
        args=request.args,
        message=message,
        error=error,
    )
    return body, status


@bp.get("/tasks/<int:task_id>")
@console_page(roles=ROLES)
def task_detail(task_id):
    return _detail(task_id)


@bp.post("/tasks/<int:task_id>/cancel")
@console_page(roles=ROLES)
def task_cancel(task_id):
    user = g.console.user
    _, error = attempt(
        lambda: publishing.cancel_task(
            user,
            task_id,
            load_form(TaskCancelSchema(), {"reason": request.form.get("reason")})["reason"],
        )
    )
    if error:
        return _detail(task_id, error=error, status=error.status)
    return _detail(task_id, "任务已取消，已报名的居民会收到通知")


@bp.post("/tasks/<int:task_id>/complete")
@console_page(roles=ROLES)
def task_complete(task_id):
    summary, error = attempt(lambda: completion.complete_task(g.console.user, task_id))
    if error:
        return _detail(task_id, error=error, status=error.status)
    return _detail(
        task_id,
        f"任务已完成：本次计分 {summary['newly_credited']} 人，共 {summary['points_credited']} 分",
    )
