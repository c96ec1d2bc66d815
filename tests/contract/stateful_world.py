"""The world the stateful fuzz walks: who calls each operation, and what each scenario starts with.

The contract's flows need several people: a resident signs up and checks in with the code
the task's organiser shows, a reviewer approves the resident's claim, merchant staff verify
the resident's redemption. Each operation is sent as the person who would call it.
"""

import re
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from server.auth.models import User
from server.community.models import Community, Merchant, RoleGrant, scope_key_for
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError
from server.platform.localtime import local_today
from server.points import ledger
from server.points.claims import submit_claim
from server.points.models import PointItem
from server.rewards.gates import window_open
from server.rewards.models import RedemptionWindow
from server.tasks.models import Task
from server.tasks.signup import sign_up_as
from server.wechat.emulator import stable_id

ORGANISER = "grid-1"  # the demo's grid worker, who organises tasks
RESIDENTS = [f"resident-{n}" for n in range(1, 19)]
HELPER = "resident-20"  # claims other people's wishes

# (method regex, path regex, actor); first match wins, "resident" is the scenario's resident.
ACTORS = [
    ("GET|POST", r"/tasks/\{task_id\}/(checkin|checkout)$", "resident"),
    (".*", r"/tasks/\{task_id\}/(checkin-code|complete|attendance|attendees|cancel)$", ORGANISER),
    ("POST|PATCH", r"/tasks(/\{task_id\})?$", ORGANISER),
    ("POST", r"/points/claims/\{claim_id\}/(approve|reject)$", "reviewer"),
    ("POST", r"/points/claims/batch-decide$", "reviewer"),
    ("POST", r"/wishes/\{wish_id\}/(approve|reject|hand-back)$", "reviewer"),
    ("POST", r"/wishes/\{wish_id\}/(claim|fulfil)$", HELPER),
    ("POST", r"/grid/reports/\{report_id\}/(release|reject)$", "reviewer"),
    ("POST", r"/grid/reports/\{report_id\}/(confirm|reopen)$", "resident"),
    ("POST", r"/grid/reports/\{report_id\}/\w+$", ORGANISER),
    ("GET", r"/grid/reports/stats$", "reviewer"),
    (".*", r"/merchant/", "merchant-1"),
    (".*", r"/admin/", "admin"),
]
ACTOR_RULES = [(re.compile(m), re.compile(p), who) for m, p, who in ACTORS]

# The walks: the operations of each group of flows (paths under /api/v1), less the ones that
# only end a walk early (an organiser cancelling the task, an image of a code) or never
# succeed with generated bodies (publishing a task); the stateless fuzz covers all of them.
WALKS = {
    "tasks": (
        r"^/tasks",
        r"^(POST /tasks|PATCH /tasks/.*|POST /tasks/\{task_id\}/(cancel|attendance)"
        r"|GET /tasks/\{task_id\}(/attendees)?|GET /tasks/me/(rights|hours|record))$",
    ),
    "claims": (r"^/points/(claims|items|balance|ledger)", r"^POST /points/claims/batch-decide$"),
    "redemptions": (
        r"^/(offers|redemptions|merchant/verify)",
        r"^(GET .*/code\.(png|svg)|POST /merchant/verify/preview|(POST|PATCH) /offers.*"
        r"|GET /offers/.*|GET /redemptions/\{redemption_id\})$",
    ),
    "grid": (r"^/(wishes|grid/reports|grid/report-categories|me$)", r"^$"),
}
# Operations that end a flow for good (completing a task closes it to check-in, cancelling a
# redemption voids its code) follow only these steps, so the flows can reach their far end.
# Check-in and check-out need the organiser's code (other links only bring a random token).
ONLY_AFTER = {
    "POST /tasks/{task_id}/complete": {
        "POST /tasks/{task_id}/checkin",
        "POST /tasks/{task_id}/checkout",
    },
    "DELETE /redemptions/{redemption_id}": {"GET /redemptions"},
    "POST /tasks/{task_id}/checkin": {"GET /tasks/{task_id}/checkin-code"},
    "POST /tasks/{task_id}/checkout": {"GET /tasks/{task_id}/checkin-code"},
    "POST /tasks/{task_id}/signups": {"GET /tasks"},
    "DELETE /tasks/{task_id}/signups/me": {"POST /tasks/{task_id}/signups"},
    "GET /tasks/{task_id}/checkin-code": {"GET /tasks", "POST /tasks/{task_id}/signups"},
}
# Operations a walk never starts with: a random token only ever gets code_invalid.
NOT_ROOTS = {"POST /merchant/verify", "POST /merchant/verify/preview"}


def in_walk(walk: str, method: str, path: str) -> bool:
    """Whether the walk `walk` takes the operation `method path` (path under /api/v1)."""
    include, exclude = WALKS[walk]
    label = f"{method.upper()} {path}"
    return bool(re.search(include, path)) and not re.search(exclude, label)


TOP_UP = 1_000  # points each scenario's resident gets, so reservations are not all refused


def demo_community_id() -> int:
    return db.session.scalar(select(Community.id).where(Community.code == "demo"))


def user_id_of(identity: str) -> int:
    """The demo user `identity` (resident-1, grid-1...) under this app's WeChat appid."""
    openid = stable_id(current_app.config["WECHAT_APPID"], identity, "openid")
    return db.session.scalar(select(User.id).where(User.openid == openid))


def actor_for(method: str, path: str, resident: str) -> str:
    """Who calls `method path` (a contract path without /api/v1)."""
    for method_re, path_re, who in ACTOR_RULES:
        if method_re.fullmatch(method.upper()) and path_re.search(path):
            return resident if who == "resident" else who
    return resident


def prepare_world() -> None:
    """Make the demo's merchant staff (merchant-1) staff of every demo merchant, once.

    Residents reserve any merchant's offer; with one person at every till, each code the walk
    shows can be verified (another merchant's staff only ever get not_your_merchant).
    """
    community_id = demo_community_id()
    staff_id = user_id_of("merchant-1")
    for merchant_id in db.session.scalars(
        select(Merchant.id).where(Merchant.community_id == community_id).order_by(Merchant.id)
    ):
        scope = scope_key_for(None, merchant_id, None)
        exists = db.session.scalar(
            select(RoleGrant.id).where(
                RoleGrant.user_id == staff_id,
                RoleGrant.role == "merchant_staff",
                RoleGrant.scope_key == scope,
            )
        )
        if exists is None:
            db.session.add(
                RoleGrant(
                    user_id=staff_id,
                    community_id=community_id,
                    role="merchant_staff",
                    scope_key=scope,
                    merchant_id=merchant_id,
                )
            )
    # Only the walk's organiser's tasks stay open (a seeded demo's others would answer 403 to
    # every code the organiser asks for, and crowd the walk's own tasks out of the list).
    db.session.execute(
        update(Task)
        .where(Task.organiser_id != user_id_of(ORGANISER), Task.status == "published")
        .values(status="cancelled")
    )
    # A redemption window open today (the demo's may be closed; tests have none, i.e. open).
    today = local_today(utcnow())
    open_today = db.session.scalar(select(window_open(community_id, today)))
    if not open_today:
        window = RedemptionWindow(
            community_id=community_id, starts_on=today, ends_on=today, created_by=staff_id
        )
        db.session.add(window)
    db.session.commit()


def prepare_scenario(resident: str, n: int) -> None:
    """Top up the resident, open a running task of the organiser's and file a claim.

    Tasks published through the API start in the future, so check-in and completion could
    never be reached in a walk: this task began 15 minutes ago and takes sign-ups for an hour.
    """
    community_id = demo_community_id()
    account = ledger.account_for_user(community_id, user_id_of(resident))
    ledger.credit(
        account,
        TOP_UP,
        reason="模糊测试充值",
        idempotency_key=f"fuzz-top-up:{resident}:{n}",
        cause_type="adjustment",
        cause_id=n,
    )
    item_id = db.session.scalar(
        select(PointItem.id).where(PointItem.community_id == community_id, PointItem.code == "C01")
    )
    # Earlier scenarios' tasks leave the list, so the walk finds this one among few.
    db.session.execute(
        update(Task)
        .where(Task.title.startswith("模糊测试任务"), Task.status == "published")
        .values(status="cancelled")
    )
    now = utcnow().replace(microsecond=0)
    starts = now - timedelta(minutes=15)
    # Two running tasks: one to sign up for, one the resident is signed up for already (as
    # most people are by the time the organiser shows the code: a code the walk fetches then
    # opens check-in, which a walk seldom lines up on its own).
    tasks = [
        Task(community_id=community_id, organiser_id=user_id_of(ORGANISER),
             title=f"模糊测试任务 {n}-{k}", description="状态机模糊测试用的进行中任务",
             reward_kind="item", point_item_id=item_id, starts_at=starts,
             ends_at=now + timedelta(hours=2), signup_deadline=now + timedelta(hours=1),
             cancel_deadline=starts, capacity=3, confirmed_count=0, waitlisted_count=0,
             signup_seq=0, audience="everyone", status="published")
        for k in (1, 2)
    ]  # fmt: skip
    db.session.add_all(tasks)
    db.session.commit()
    sign_up_as(user_id_of(resident), tasks[1].id)
    # A claim waiting for the reviewer, whatever the walk manages to file itself.
    resident_user = db.session.get(User, user_id_of(resident))
    try:
        submit_claim(
            resident_user,
            item_id=item_id,
            occurred_on=recent_day(),
            description=f"模糊测试申报 {n}",
        )
        db.session.commit()
    except AppError:  # the resident's claim for the day is already filed: one is enough
        db.session.rollback()


def recent_day():
    """Yesterday in Beijing: a day a claim may be filed for (the mini-program offers those)."""
    return local_today(utcnow()) - timedelta(days=1)
