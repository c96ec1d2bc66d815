"""Demo volunteer tasks: finished ones with credited attendance, and upcoming ones to join.

Idempotent: a task is found by (community, title) before it is made, and credits carry the
same ledger keys as a real completion. Skipped in tests (app.testing) unless SEED_DEMO_TASKS
is set, so other suites see empty task lists and untouched balances.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from server.auth.models import User
from server.community.models import Community, Grid
from server.db.session import db
from server.platform.localtime import SHANGHAI, local_today
from server.points.models import PointItem
from server.tasks import clock
from server.tasks.attendance import served_minutes
from server.tasks.completion import idempotency_key, points_for
from server.tasks.models import Task, TaskAttendance, TaskSignup
from server.wechat.emulator import stable_id

PLACE = ("幸福里 3 号垃圾投放点", 31.2304, 121.4737, 200)

# title, item code or None (hours), days from now, hours long, capacity, audience,
# signed-up identities, attended identities (past tasks only)
TASKS = [
    ("垃圾分类志愿督导（第一期）", "C01", -21, 2, 8, "everyone",
     [f"resident-{n}" for n in range(1, 9)], [f"resident-{n}" for n in range(1, 7)]),
    ("在职党员回家日·楼道清理", None, -10, 3, 10, "party_在职",
     ["admin", "reviewer", "resident-1"], ["admin", "reviewer", "resident-1"]),
    ("探访独居老人", "H01", -3, 2, 5, "grid_g1",
     ["resident-4", "resident-7", "resident-10"], ["resident-4", "resident-7"]),
    ("垃圾分类志愿督导（第二期）", "C01", 3, 2, 10, "everyone",
     ["resident-2", "resident-5", "resident-8"], []),
    ("河道巡护", "E04", 5, 3, 2, "everyone", ["resident-3", "resident-6", "resident-9"], []),
    ("本月在职党员回家日", None, 10, 3, 20, "party_在职", ["resident-1"], []),
    ("反诈宣传进楼栋", "S03", 14, 2, 15, "everyone", [], []),
]  # fmt: skip


# grid-1's own tasks, so the organiser's flow can be walked on a fresh demo: the first began
# 15 minutes before seeding (check-in and completion are open when the demo starts), the
# second is next week. Same fields as TASKS; "running" stands for the first one's days.
GRID_WORKER_TASKS = [
    ("楼道消防通道清理", "C01", "running", 2, 6, "everyone",
     ["resident-11", "resident-12", "resident-13"], []),
    ("文明养犬宣传", "C01", 7, 2, 8, "everyone", ["resident-14"], []),
]  # fmt: skip
RUNNING_FOR = timedelta(minutes=15)


def _user(identity: str) -> User:
    openid = stable_id(current_app.config["WECHAT_APPID"], identity, "openid")
    return db.session.scalar(select(User).where(User.openid == openid))


def _start(days: int) -> datetime:
    """09:00 Shanghai time, `days` from today."""
    today = local_today(clock.now()) + timedelta(days=days)
    return datetime(today.year, today.month, today.day, 9, tzinfo=SHANGHAI).astimezone(UTC)


def _make_task(community: Community, organiser: User, spec) -> Task:
    title, item_code, days, hours, capacity, audience, _, _ = spec
    running = days == "running"
    starts = (clock.now() - RUNNING_FOR).replace(second=0, microsecond=0)
    starts = starts if running else _start(days)
    task = Task(
        community_id=community.id,
        organiser_id=organiser.id,
        title=title,
        description=f"{title}：欢迎居民报名参加，请准时到场扫码签到。",
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        signup_deadline=starts if running else starts - timedelta(hours=2),
        cancel_deadline=starts if running else starts - timedelta(hours=12),
        capacity=capacity,
        confirmed_count=0,
        waitlisted_count=0,
        signup_seq=0,
        status="published",
    )
    if item_code:
        item = db.session.scalar(
            select(PointItem).where(
                PointItem.community_id == community.id, PointItem.code == item_code
            )
        )
        task.reward_kind, task.point_item_id = "item", item.id
    else:
        task.reward_kind, task.points_per_hour, task.points_cap = "hours", 5, 20
    task.audience = "everyone"
    if audience.startswith("party_"):
        task.audience, task.audience_party_kind = "party_members", audience.split("_", 1)[1]
    elif audience.startswith("grid_"):
        task.audience = "grid"
        task.audience_grid_id = db.session.scalar(
            select(Grid.id).where(
                Grid.community_id == community.id, Grid.code == audience.split("_", 1)[1]
            )
        )
    if title.startswith("垃圾分类"):
        task.place_name, task.latitude, task.longitude, task.radius_m = PLACE
    db.session.add(task)
    db.session.flush()
    return task


def _sign_up(task: Task, people: list[str]) -> int:
    for seq, identity in enumerate(people, start=1):
        confirmed = seq <= task.capacity
        db.session.add(
            TaskSignup(
                task_id=task.id,
                user_id=_user(identity).id,
                status="confirmed" if confirmed else "waitlisted",
                seq=seq,
                signed_up_at=task.starts_at - timedelta(days=2, minutes=-seq),
            )
        )
    task.confirmed_count = min(len(people), task.capacity)
    task.waitlisted_count = max(0, len(people) - task.capacity)
    task.signup_seq = len(people)
    return len(people)


def _complete(task: Task, organiser: User, attended: list[str]) -> int:
    from server.points.ledger import account_for_user, credit

    for identity in attended:
        user = _user(identity)
        row = TaskAttendance(
            task_id=task.id,
            user_id=user.id,
            method="scan",
            checkin_at=task.starts_at - timedelta(minutes=5),
            checkout_at=task.ends_at - timedelta(minutes=10),
        )
        row.minutes = served_minutes(task, row.checkin_at, row.checkout_at)
        row.points, version_id = points_for(task, row.minutes)
        row.credited_at = task.ends_at
        db.session.add(row)
        db.session.flush()
        entry = credit(
            account_for_user(task.community_id, user.id),
            row.points,
            reason=f"志愿服务：{task.title}",
            idempotency_key=idempotency_key(task.id, user.id),
            cause_type="task_attendance",
            cause_id=row.id,
            actor_id=organiser.id,
            item_version_id=version_id,
        )
        row.ledger_entry_id = entry.id
    present = {_user(i).id for i in attended}
    for signup in db.session.scalars(select(TaskSignup).where(TaskSignup.task_id == task.id)):
        signup.outcome = "attended" if signup.user_id in present else "no_show"
    task.status, task.completed_at = "completed", task.ends_at
    return len(attended)


def seed_tasks(community: Community) -> dict[str, int]:
    """Create the demo tasks that do not exist yet; return the non-zero counts added."""
    added = {"tasks": 0, "task_signups": 0, "task_attendance": 0}
    if not current_app.config.get("SEED_DEMO_TASKS", not current_app.testing):
        return {}
    admin, grid_worker = _user("admin"), _user("grid-1")
    now = clock.now()
    specs = [(admin, spec) for spec in TASKS] + [(grid_worker, s) for s in GRID_WORKER_TASKS]
    for organiser, spec in specs:
        exists = db.session.scalar(
            select(Task.id).where(Task.community_id == community.id, Task.title == spec[0])
        )
        if exists is not None:
            continue
        task = _make_task(community, organiser, spec)
        added["tasks"] += 1
        added["task_signups"] += _sign_up(task, spec[6])
        db.session.flush()
        if task.ends_at < now:
            added["task_attendance"] += _complete(task, organiser, spec[7])
    db.session.flush()
    return {name: n for name, n in added.items() if n}  # a re-run reports nothing added
