"""Demo grid work: service items and logs, report categories and 随手拍 reports in every state.

Everything goes through the grid's own services (record_service, decide_log, submit_report,
accept/wait/resolve/transfer/escalate/mark_duplicate, confirm/reopen), so the outbox events,
audit rows and ledger credits are the real ones. A row is found by its natural key before it
is made - an item by code, a category by name, a log by (worker, notes), a report by
(reporter, text) - and only a new one walks its steps, so a second run adds and credits
nothing. Reports are posted in the past by holding the SLA clock (`report_sla.now`) at the
step's time, which is how they come to be overdue today. Wishes are in seed_wishes.py.
Skipped in tests (app.testing) unless SEED_DEMO_GRID is set, so other suites see empty lists.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from server.auth.models import User
from server.commands.demo_guard import demo_user
from server.community.models import Community, Grid
from server.db.session import db
from server.db.types import utcnow
from server.grid import report_sla
from server.grid.report_models import Report, ReportCategory
from server.grid.service_log_models import ServiceItem, ServiceLog

# code, name, points, rule, description
SERVICE_ITEMS = [
    ("VISIT", "走访", 5, "auto", "入户走访，了解居民诉求"),
    ("MEDIATE", "调解", 10, "review", "调解邻里、家庭纠纷"),
    ("ERRAND", "代办", 5, "auto", "为老年人、残疾人代办事项"),
    ("ASSIST", "帮扶", 10, "review", "困难家庭结对帮扶"),
]
# item, days ago, minutes, place, notes (unique per worker), resident served, review decision
SERVICE_LOGS = [
    ("VISIT", 20, 40, "幸福里 3 栋 2 单元", "走访独居老人郭阿姨，检查燃气安全", "resident-4", None),
    ("ERRAND", 15, 60, "街道便民服务中心", "代办高龄津贴申请材料", "resident-7", None),
    ("MEDIATE", 12, 90, "幸福里 5 栋楼下", "调解楼上楼下漏水纠纷", "resident-10", "approve"),
    ("ASSIST", 8, 120, "幸福里 1 栋 101", "为困难家庭送去米面油", "resident-13", "approve"),
    ("MEDIATE", 6, 30, "幸福里 2 栋", "调解停车位占用争执", None, "reject"),
    ("VISIT", 3, 45, "幸福里 7 栋 3 单元", "走访新搬入居民，介绍社区服务", "resident-16", None),
    ("ASSIST", 2, 60, "幸福里 4 栋 402", "协助残疾居民办理助残卡", "resident-19", None),
    ("MEDIATE", 1, 60, "幸福里活动室", "调解广场舞噪音问题", None, None),
]  # fmt: skip
REJECT_REASON = "未填写服务对象，请补充后重新登记"

# name, photo required, accept within, resolve within (working days)
CATEGORIES = [
    ("环境卫生", False, 1, 3),
    ("设施维修", False, 1, 5),
    ("安全隐患", True, 1, 2),
    ("邻里纠纷", False, 2, 5),
]

# reporter, category, text (unique per reporter), place, days ago posted, what happens.
# Steps: accept, wait, resolve, confirm:<rating>, reopen, transfer:<grid>, escalate,
# duplicate:<index of the original in this list>. Handlers: g1's worker, else the reviewer.
REPORTS = [
    ("resident-1", "环境卫生", "3 栋门口垃圾桶满溢，气味很大", "幸福里 3 栋", 0, []),
    ("resident-4", "设施维修", "5 栋楼道声控灯不亮，晚上很黑", "幸福里 5 栋", 12, []),
    ("resident-2", "环境卫生", "和平苑南门绿化带里有建筑垃圾", "和平苑南门", 10, []),
    ("resident-7", "设施维修", "小区东门道闸坏了，车辆进出排队", "幸福里东门", 14, ["accept"]),
    ("resident-10", "邻里纠纷", "楼上装修每天早上七点开始施工", "幸福里 2 栋", 4,
     ["accept", "wait"]),
    ("resident-13", "设施维修", "2 单元单元门门禁刷卡失灵", "幸福里 8 栋 2 单元", 3,
     ["accept", "resolve"]),
    ("resident-16", "环境卫生", "儿童游乐区地面有碎玻璃", "幸福里中心花园", 10,
     ["accept", "resolve", "confirm:5"]),
    ("resident-5", "设施维修", "光明小区 2 号楼自来水压力小", "光明小区 2 号楼", 9,
     ["accept", "resolve", "confirm:4"]),
    ("resident-19", "环境卫生", "快递柜旁边堆放纸箱无人清理", "幸福里快递柜", 6,
     ["accept", "resolve", "reopen"]),
    ("resident-8", "环境卫生", "和平苑 3 号楼下垃圾桶满了没人收", "和平苑 3 号楼", 0,
     ["duplicate:2"]),
    ("resident-3", "设施维修", "光明小区路灯杆倾斜，有倒伏危险", "幸福里西侧路口", 1,
     ["transfer:g1"]),
    ("resident-1", "邻里纠纷", "小区内有人长期占用消防通道停车", "幸福里 6 栋", 2, ["escalate"]),
]  # fmt: skip
# When each step of a past report happens, as a fraction of the days since it was posted.
STEP_SPACING = 0.2
REASONS = {
    "wait": "需要与您约定上门查看的时间",
    "reopen": "纸箱清走后第二天又堆满了",
    "transfer": "该位置属于第一网格",
    "escalate": "涉及多个楼栋，需要社区协调物业处理",
}
NOTES = "已联系物业处理完毕，请您查看"
FEEDBACK = {5: "处理很及时，谢谢网格员", 4: "问题解决了，速度可以再快一点"}


@contextmanager
def clock_at(at: datetime) -> Iterator[None]:
    """Hold the reports' SLA clock at `at` (a one-shot CLI run; no request is being served)."""
    real = report_sla.now
    report_sla.now = lambda: at
    try:
        yield
    finally:
        report_sla.now = real


def _service_items(community: Community, admin: User) -> tuple[dict[str, int], int]:
    from server.grid.service_log_items import create_item

    ids, added = {}, 0
    for sort, (code, name, points, rule, description) in enumerate(SERVICE_ITEMS):
        item_id = db.session.scalar(
            select(ServiceItem.id).where(
                ServiceItem.community_id == community.id, ServiceItem.code == code
            )
        )
        if item_id is None:
            item_id = create_item(
                admin, code=code, name=name, points=points, rule=rule,
                description=description, sort_order=sort,
            ).id  # fmt: skip
            added += 1
        ids[code] = item_id
    return ids, added


def _service_logs(items: dict[str, int], worker: User, reviewer: User) -> int:
    from server.grid.service_log_review import decide_log
    from server.grid.service_logs import record_service

    added = 0
    for code, days, minutes, place, notes, resident, decision in SERVICE_LOGS:
        exists = db.session.scalar(
            select(ServiceLog.id).where(
                ServiceLog.worker_id == worker.id, ServiceLog.notes == notes
            )
        )
        if exists is not None:
            continue
        log = record_service(
            worker,
            item_id=items[code],
            duration_minutes=minutes,
            served_at=utcnow() - timedelta(days=days, hours=2),
            place=place,
            notes=notes,
            resident_id=demo_user(resident).id if resident else None,
        )
        if decision:
            decide_log(reviewer, log.id, decision, REJECT_REASON if decision == "reject" else None)
        added += 1
    return added


def _categories(admin: User, community: Community) -> tuple[dict[str, int], int]:
    from server.grid.report_categories import create_category

    ids, added = {}, 0
    for name, photo_required, accept, resolve in CATEGORIES:
        category_id = db.session.scalar(
            select(ReportCategory.id).where(
                ReportCategory.community_id == community.id, ReportCategory.name == name
            )
        )
        if category_id is None:
            category_id = create_category(
                admin, name=name, photo_required=photo_required,
                accept_within=accept, resolve_within=resolve,
            )["id"]  # fmt: skip
            added += 1
        ids[name] = category_id
    return ids, added


def _step(report_id: int, step: str, reporter: User, handler: User, grids: dict, ids: list):
    from server.grid import report_closure as closure
    from server.grid import report_handling as handling

    name, _, arg = step.partition(":")
    if name == "accept":
        handling.accept_report(handler, report_id)
    elif name == "wait":
        handling.wait_for_reporter(handler, report_id, REASONS["wait"])
    elif name == "resolve":
        handling.resolve_report(handler, report_id, NOTES)
    elif name == "confirm":
        closure.confirm_report(reporter, report_id, int(arg), FEEDBACK[int(arg)])
    elif name == "reopen":
        closure.reopen_report(reporter, report_id, REASONS["reopen"])
    elif name == "transfer":
        handling.transfer_report(handler, report_id, grids[arg], REASONS["transfer"])
    elif name == "escalate":
        handling.escalate_report(handler, report_id, REASONS["escalate"])
    elif name == "duplicate":
        handling.mark_duplicate(handler, report_id, ids[int(arg)])


def _reports(community: Community, categories: dict[str, int], grids: dict) -> int:
    from server.grid.report_queue import is_grid_handler
    from server.grid.reports import release_report, submit_report

    worker, reviewer = demo_user("grid-1"), demo_user("reviewer")
    now, ids, added = utcnow(), [], 0
    for reporter_identity, category, text, place, days, steps in REPORTS:
        reporter = demo_user(reporter_identity)
        report_id = db.session.scalar(
            select(Report.id).where(Report.reporter_id == reporter.id, Report.text == text)
        )
        if report_id is not None:
            ids.append(report_id)
            continue
        posted = now - timedelta(days=days, hours=1)
        with clock_at(posted):
            report = submit_report(
                reporter, category_id=categories[category], text=text, place=place
            )
            if report.status == "in_review":  # WeChat's check was unavailable: a reviewer looks
                release_report(reviewer, report.id)
        report_id = report.id
        ids.append(report_id)
        for n, step in enumerate(steps, start=1):
            report = db.session.get(Report, report_id)
            handler = worker if is_grid_handler(worker, report) else reviewer
            with clock_at(posted + timedelta(days=days * STEP_SPACING * n, minutes=n)):
                _step(report_id, step, demo_user(reporter_identity), handler, grids, ids)
        added += 1
    return added


def seed_grid(community: Community) -> dict[str, int]:
    """Create the demo grid work that does not exist yet; return the non-zero counts added."""
    if not current_app.config.get("SEED_DEMO_GRID", not current_app.testing):
        return {}
    from server.commands.seed_wishes import seed_wishes

    db.session.commit()  # the services commit (and a content check rolls back) as they go
    admin, worker, reviewer = demo_user("admin"), demo_user("grid-1"), demo_user("reviewer")
    items, new_items = _service_items(community, admin)
    categories, new_categories = _categories(admin, community)
    rows = db.session.execute(select(Grid.code, Grid.id).where(Grid.community_id == community.id))
    grids = {code: grid_id for code, grid_id in rows}
    added = {
        "grid_service_items": new_items,
        "grid_service_logs": _service_logs(items, worker, reviewer),
        "report_categories": new_categories,
        "reports": _reports(community, categories, grids),
        **seed_wishes(community),
    }
    return {name: n for name, n in added.items() if n}  # a re-run reports nothing added
