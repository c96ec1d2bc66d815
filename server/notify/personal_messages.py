"""What a person is told about an event: a subscribe message's values and the page it opens.

Values are read when the message is sent, so a task's title and time are the current ones;
subscribe_templates.build_data cuts them to WeChat's limits.
"""

from server.db.session import db
from server.grid.report_models import Report, ReportCategory
from server.grid.wish_models import Wish
from server.outbox.models import OutboxEvent
from server.points.models import PointItem
from server.rewards.models import Offer, Redemption
from server.tasks.models import Task

TASK_PAGE = "pages/task-detail/index?id={}"
REPORT_PAGE = "pages/report-detail/index?id={}"
WORKER_REPORT_PAGE = "pages/report-detail/index?id={}&handle=1"
TIME_FIELDS = {"starts_at", "ends_at"}


def _task(event: OutboxEvent) -> tuple[dict, str]:
    task = db.session.get(Task, event.payload["task_id"])
    kind = event.event_type
    if kind == "task.reminder":
        place, note = task.place_name or "详见活动页面", "活动即将开始，请准时参加"
        values = {"thing1": task.title, "time2": task.starts_at, "thing3": place, "thing4": note}
        return values, TASK_PAGE.format(task.id)
    if kind == "task.signup.task_cancelled":
        change, note = "活动取消", event.payload["reason"]
    elif kind == "task.signup.promoted":
        change, note = "候补转正", "您已获得名额，请准时参加"
    elif TIME_FIELDS & set(event.payload["changed"]):
        change, note = "时间变更", "活动时间已调整，请查看最新安排"
    else:
        change, note = "地点变更", f"新地点：{task.place_name or '详见活动页面'}"
    values = {"thing1": task.title, "phrase2": change, "time3": task.starts_at, "thing4": note}
    return values, TASK_PAGE.format(task.id)


def _claim(event: OutboxEvent) -> tuple[dict, str]:
    p = event.payload
    item = db.session.get(PointItem, p["item_id"])
    approved = p["decision"] == "approved"
    note = p["reason"] or ("积分已到账" if approved else "如有疑问请联系社区")
    values = {
        "thing1": item.name if item else "积分申请",
        "phrase2": "已通过" if approved else "未通过",
        "number3": p["points"] if approved else 0,
        "thing4": note,
    }
    return values, "pages/my-claims/index"


def _redemption(event: OutboxEvent) -> tuple[dict, str]:
    p = event.payload
    if event.event_type == "redemption.expiring":
        title, state, at = p["offer_title"], "即将过期", p["expires_at"]
    else:
        offer = db.session.get(Offer, p["offer_id"])
        title, state, at = offer.title, "已核销", p["redeemed_at"]
    redemption = db.session.get(Redemption, int(event.aggregate_id))
    values = {"thing1": title, "phrase2": state, "number3": p["points"], "time4": at}
    return values, f"pages/redemption/index?id={redemption.id}"


REPORT_STATES = {
    "report.accepted": ("已受理", "网格员已受理，将尽快处理"),
    "report.resolved": ("已解决", "请确认处理结果并评价"),
    "report.overdue": ("已超时", "该问题已超过处理时限，请尽快处理"),
}


def _report(event: OutboxEvent) -> tuple[dict, str]:
    report = db.session.get(Report, event.payload["report_id"])
    category = db.session.get(ReportCategory, report.category_id)
    state, note = REPORT_STATES[event.event_type]
    at = event.payload["due_at"] if event.event_type == "report.overdue" else event.created_at
    values = {"character_string1": f"R{report.id}", "thing2": category.name,
              "phrase3": state, "time4": at, "thing5": note}  # fmt: skip
    page = WORKER_REPORT_PAGE if event.event_type == "report.overdue" else REPORT_PAGE
    return values, page.format(report.id)


def _wish(event: OutboxEvent) -> tuple[dict, str]:
    wish = db.session.get(Wish, event.payload["wish_id"])
    if event.event_type == "wish.claimed":
        state, note = "已认领", "您的心愿已有人认领，请保持联系"
    else:
        state, note = "已完成", "心愿已完成，请确认并评价"
    values = {"thing1": wish.title, "phrase2": state, "thing3": note}
    return values, f"pages/wish-detail/index?id={wish.id}"


BUILDERS = {
    "task": _task,
    "claim": _claim,
    "redemption": _redemption,
    "report": _report,
    "wish": _wish,
}


def personal_message(event: OutboxEvent) -> tuple[dict, str]:
    """(template values, page) of the message an event's recipients get."""
    return BUILDERS[event.event_type.split(".", 1)[0]](event)
