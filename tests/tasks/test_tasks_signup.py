"""Sign-up and cancel as behaviour of their one path, on both databases.

The answer and its events, reusing a cancelled sign-up, and every refusal - through the service
and through HTTP - leaving seats, sign-ups and the outbox as they were. Races under real
contention are in tests/tasks/test_tasks_concurrency.py.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from server.auth.models import User
from server.auth.tokens import issue_access_token
from server.db.session import db
from server.db.types import MAX_ID
from server.http.errors import AppError, Conflict, NotFound
from server.outbox.models import OutboxEvent
from server.tasks import signup
from server.tasks.models import Task, TaskSignup
from tests.conftest import error_code
from tests.tasks.test_tasks_support import (
    T0,
    Clock,
    create_task,
    grid_id,
    invariants,
    make_other_community,
    user_id,
)

API = "/api/v1/tasks"


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def signup_events(query, task_id):
    return query(
        lambda s: [
            (e.event_type, e.payload)
            for e in s.scalars(
                select(OutboxEvent)
                .where(
                    OutboxEvent.aggregate_type == "task", OutboxEvent.aggregate_id == str(task_id)
                )
                .where(OutboxEvent.event_type.like("task.signup.%"))
                .order_by(OutboxEvent.id)
            )
        ]
    )


def seats(query, task_id):
    task, _counts = invariants(query, task_id)  # counters equal the rows, seats never exceeded
    return task.confirmed_count, task.waitlisted_count, task.signup_seq


def everything(query):
    """What a sign-up or cancel can write: every task's seats, every sign-up, every event."""

    def read(s):
        tasks = s.execute(
            select(Task.id, Task.status, Task.confirmed_count, Task.waitlisted_count)
            .add_columns(Task.signup_seq)
            .order_by(Task.id)
        ).all()
        signups = s.execute(
            select(TaskSignup.id, TaskSignup.status, TaskSignup.seq, TaskSignup.cancelled_at)
            .add_columns(TaskSignup.promoted_at)
            .order_by(TaskSignup.id)
        ).all()
        return [tuple(r) for r in tasks + signups], s.scalar(select(func.count(OutboxEvent.id)))

    return query(read)


def test_signup_answer_and_outbox_events(api, seeded, query, frozen):
    task = create_task(api, query, capacity=1)
    url = f"{API}/{task['id']}/signups"
    first = api.post(url, "resident-4")
    second = api.post(url, "resident-5")
    assert first.status_code == second.status_code == 201
    first, second = first.get_json(), second.get_json()
    assert first == {
        "id": first["id"],
        "task_id": task["id"],
        "status": "confirmed",
        "waitlist_position": None,
        "outcome": None,
        "signed_up_at": T0.isoformat(),
        "promoted_at": None,
        "cancelled_at": None,
    }
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
    payload = {"task_id": task["id"], "title": task["title"]}
    assert signup_events(query, task["id"]) == [
        ("task.signup.confirmed", {**payload, "user_id": user_id(query, "resident-4")}),
        ("task.signup.waitlisted", {**payload, "user_id": user_id(query, "resident-5")}),
    ]
    assert seats(query, task["id"]) == (1, 1, 2)


def test_signing_up_again_reuses_the_cancelled_signup(api, seeded, query, frozen):
    task = create_task(api, query, capacity=1)
    url = f"{API}/{task['id']}/signups"
    first = api.post(url, "resident-4").get_json()
    assert api.delete(f"{url}/me", "resident-4").get_json()["was"] == "confirmed"
    again = api.post(url, "resident-4")
    assert again.status_code == 201
    again = again.get_json()
    assert again["id"] == first["id"] and again["status"] == "confirmed"
    row = query(lambda s: s.get(TaskSignup, first["id"]))
    assert (row.status, row.seq, row.cancelled_at, row.promoted_at) == ("confirmed", 2, None, None)
    dup = api.post(url, "resident-4")
    assert dup.status_code == 409 and error_code(dup) == "already_signed_up"
    kinds = [kind for kind, _ in signup_events(query, task["id"])]
    assert kinds == ["task.signup.confirmed", "task.signup.cancelled", "task.signup.confirmed"]
    assert seats(query, task["id"]) == (1, 0, 2)


def test_an_unknown_caller_gets_401_before_the_task_is_looked_at(app, api, seeded, query, frozen):
    task = create_task(api, query)
    with app.app_context():
        ghost = issue_access_token(MAX_ID)[0]
    headers = {"Authorization": f"Bearer {ghost}"}
    for path in (f"{API}/{task['id']}/signups", f"{API}/999999/signups"):
        for resp in (api.post(path, headers=headers), api.delete(f"{path}/me", headers=headers)):
            assert resp.status_code == 401 and error_code(resp) == "token_invalid"
    assert seats(query, task["id"]) == (0, 0, 0)


def test_out_of_range_task_id_does_not_reach_sql(app, seeded, query, frozen):
    uid = user_id(query, "resident-4")
    with app.app_context():
        for call in (signup.sign_up_as, signup.cancel_signup_as):
            with pytest.raises(NotFound):
                call(uid, MAX_ID + 1)
            db.session.remove()


# ---- refusals: state -> status, code and message; nothing changes -----------------------

TASKS_FOR = {  # the task each refusal is tried on, as create_task overrides
    "everyone": {},
    "grid": {"audience": "grid"},  # grid g2: resident-2 lives there, resident-1 in g1
    "party": {"audience": "party_members"},
    "party_kind": {"audience": "party_members", "audience_party_kind": "在职"},  # resident-1
    "closing": {"signup_deadline": (T0 + timedelta(hours=1)).isoformat()},
    "cancelled": {},
}
NOT_FOUND = (404, "task_not_found", "志愿任务不存在")
SIGNUP_REFUSALS = [
    ("resident-1", "grid", (403, "audience_mismatch", "该任务仅限指定网格的居民报名")),
    ("resident-2", "party_kind", (403, "audience_mismatch", "该任务仅限在职党员报名")),
    ("resident-5", "party_kind", (403, "audience_mismatch", "该任务仅限党员报名")),
    ("resident-5", "party", (403, "audience_mismatch", "该任务仅限党员报名")),
    ("stranger", "everyone", NOT_FOUND),
    ("newcomer", "everyone", (403, "not_a_member", "请先加入社区")),
    ("resident-1", "missing", NOT_FOUND),
    ("resident-1", "cancelled", (409, "task_not_open", "任务已取消或已结束")),
    ("resident-1", "closing", (409, "signup_closed", "报名已截止")),
    ("resident-4", "everyone", (409, "already_signed_up", "您已报名该任务")),  # confirmed
    ("resident-5", "everyone", (409, "already_signed_up", "您已报名该任务")),  # waitlisted
    ("resident-7", "everyone", (401, "token_invalid", "登录状态无效，请重新登录")),
]


def prepare(app, api, query, frozen, which: str) -> int:
    """The task `which` names, ready for a refusal: resident-7 deactivated and, on a task open to
    everyone, resident-4 confirmed and resident-5 waitlisted."""
    make_other_community(app)
    api.headers("newcomer")  # a user, logged in, of no community
    api.headers("resident-7")  # logged in before being deactivated
    task_id = 999999  # `missing`
    if which != "missing":
        overrides = dict(TASKS_FOR[which])
        if which == "grid":
            overrides["audience_grid_id"] = grid_id(query, "g2")
        task_id = create_task(api, query, capacity=1, **overrides)["id"]
        for who in ("resident-4", "resident-5") if "audience" not in overrides else ():
            assert api.post(f"{API}/{task_id}/signups", who).status_code == 201
    if which == "cancelled":
        api.post(f"{API}/{task_id}/cancel", "admin", json={"reason": "暴雨预警"})
    gone = user_id(query, "resident-7")

    def deactivate(s):
        s.execute(update(User).where(User.id == gone).values(is_active=False))
        s.commit()

    query(deactivate)
    frozen.advance(hours=2)  # past `closing`'s sign-up deadline, before every other one
    return task_id


def refusal_of(app, api, query, through: str, call: str, who: str, task_id: int):
    """(status, code, message) of a refused sign-up or cancel, through the service or HTTP."""
    if through == "http":
        path = f"{API}/{task_id}/signups"
        resp = api.post(path, who) if call == "sign_up" else api.delete(f"{path}/me", who)
        error = resp.get_json()["error"]
        return resp.status_code, error["code"], error["message"]
    uid = user_id(query, who)
    service = signup.sign_up_as if call == "sign_up" else signup.cancel_signup_as
    with app.app_context():
        try:
            with pytest.raises(AppError) as refused:
                service(uid, task_id)
        finally:
            db.session.remove()
    return refused.value.status, refused.value.code, refused.value.message


@pytest.mark.parametrize("through", ["service", "http"])
@pytest.mark.parametrize(("who", "which", "expected"), SIGNUP_REFUSALS)
def test_refused_signups_change_nothing(app, api, seeded, query, frozen, through, who, which,
                                        expected):  # fmt: skip
    task_id = prepare(app, api, query, frozen, which)
    before = everything(query)
    assert refusal_of(app, api, query, through, "sign_up", who, task_id) == expected
    assert everything(query) == before


CANCEL_REFUSALS = [
    ("resident-6", "everyone", 0, (404, "not_signed_up", "您没有报名该任务")),
    ("resident-4", "closing", 0, (409, "cancel_closed", "已过取消截止时间，如需请假请联系组织者")),
    ("resident-5", "everyone", 22, (409, "cancel_closed", "任务已开始，不能取消报名")),
    ("resident-4", "cancelled", 0, (409, "task_not_open", "任务已取消或已结束")),
    ("stranger", "everyone", 0, NOT_FOUND),
    ("newcomer", "everyone", 0, (403, "not_a_member", "请先加入社区")),
    ("resident-1", "missing", 0, NOT_FOUND),
    ("resident-7", "everyone", 0, (401, "token_invalid", "登录状态无效，请重新登录")),
]


@pytest.mark.parametrize("through", ["service", "http"])
@pytest.mark.parametrize(("who", "which", "later_hours", "expected"), CANCEL_REFUSALS)
def test_refused_cancels_change_nothing(app, api, seeded, query, frozen, through, who, which,
                                        later_hours, expected):  # fmt: skip
    task_id = prepare(app, api, query, frozen, which)  # `closing` cancels until its deadline
    frozen.advance(hours=later_hours)  # 22 more: the task (a day after T0) has started
    before = everything(query)
    assert refusal_of(app, api, query, through, "cancel", who, task_id) == expected
    assert everything(query) == before


def test_a_waitlisted_person_may_leave_after_the_cancel_deadline(api, seeded, query, frozen):
    deadline = (T0 + timedelta(hours=1)).isoformat()
    task = create_task(api, query, capacity=1, cancel_deadline=deadline)
    url = f"{API}/{task['id']}/signups"
    for who in ("resident-4", "resident-5"):
        assert api.post(url, who).status_code == 201
    frozen.advance(hours=2)
    assert api.delete(f"{url}/me", "resident-5").get_json() == {
        "task_id": task["id"],
        "status": "cancelled",
        "was": "waitlisted",
        "promoted_user_ids": [],
    }
    gone = api.delete(f"{url}/me", "resident-5")
    assert gone.status_code == 409 and error_code(gone) == "already_cancelled"
    assert seats(query, task["id"]) == (1, 0, 2)


@pytest.mark.postgres
def test_a_task_cancelled_between_the_checks_and_the_seat(app, api, seeded, query, frozen,
                                                          monkeypatch):  # fmt: skip
    """The seat UPDATE refuses a task that closed after the read; a new read says how."""
    task = create_task(api, query)
    uid = user_id(query, "resident-4")
    checked = signup._checked_for_signup
    reads = []

    def checked_then_cancelled(conn, *args):
        row = checked(conn, *args)
        reads.append(row.status)
        if len(reads) == 1:  # another connection cancels the task and commits
            with db.engine.begin() as other:
                other.execute(update(Task).where(Task.id == row.id).values(status="cancelled"))
        return row

    monkeypatch.setattr(signup, "_checked_for_signup", checked_then_cancelled)
    with app.app_context():
        with pytest.raises(Conflict) as refused:
            signup.sign_up_as(uid, task["id"])
        db.session.remove()
    assert (refused.value.code, refused.value.message) == ("task_not_open", "任务已取消或已结束")
    assert reads == ["published"]  # the second read refused before returning
    assert seats(query, task["id"]) == (0, 0, 0)
    assert signup_events(query, task["id"]) == []
