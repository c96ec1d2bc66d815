"""任务 pages: the list with filters and export, publishing through the tasks service, a task's
attendees, cancelling and completing; roles, CSRF and another community's task refused."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.tasks import publishing, queries
from server.tasks.models import Task
from tests.console.console_pages_helpers import browser, other_admin, sheet_rows
from tests.tasks.test_tasks_support import T0, Clock, create_task, load_user, user_id

API = "/api/v1/tasks"
STARTS = T0 + timedelta(days=1)


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def form(**over) -> dict:
    body = {
        "title": "楼道清理志愿活动",
        "description": "清理楼道杂物",
        "reward_kind": "hours",
        "points_per_hour": "5",
        "points_cap": "20",
        "starts_at": "2026-06-03T09:00",
        "ends_at": "2026-06-03T11:00",
        "capacity": "6",
        "audience": "everyone",
        "place_name": "幸福里 5 号楼",
    }
    body.update(over)
    return body


def task_count(query) -> int:
    return query(lambda s: s.scalar(select(func.count(Task.id))))


def test_the_list_filters_by_status_and_date_and_exports(app, api, seeded, query, frozen):
    first = create_task(api, query, title="垃圾分类督导")
    later = create_task(
        api,
        query,
        title="河道巡护",
        starts_at=(STARTS + timedelta(days=7)).isoformat(),
        ends_at=(STARTS + timedelta(days=7, hours=2)).isoformat(),
    )
    api.post(f"{API}/{later['id']}/cancel", "admin", json={"reason": "天气原因"})
    client, _ = browser(app, api, "reviewer")
    page = client.get("/console/tasks").get_data(as_text=True)
    assert "垃圾分类督导" in page and "河道巡护" in page and "已取消" in page
    cancelled = client.get("/console/tasks?status=cancelled").get_data(as_text=True)
    assert "河道巡护" in cancelled and "垃圾分类督导" not in cancelled
    day = date(2026, 6, 2).isoformat()
    dated = client.get(f"/console/tasks?from={day}&to={day}").get_data(as_text=True)
    assert f'data-id="{first["id"]}"' in dated and f'data-id="{later["id"]}"' not in dated
    assert client.get("/console/tasks?from=2026-13-01").status_code == 400
    assert client.get("/console/tasks?status=lost").status_code == 400
    export = client.get("/console/tasks/export?status=cancelled")
    assert export.status_code == 200
    rows = sheet_rows(export.data)
    assert rows[0][:2] == ["编号", "标题"] and [r[1] for r in rows[1:]] == ["河道巡护"]


def test_the_date_filter_at_the_service(app, api, seeded, query, frozen):
    create_task(api, query, title="六月二日")
    with app.app_context():
        admin = load_user("admin")
        args = {"when": "all", "limit": 10, "cursor": None}
        on_day = queries.list_tasks(admin, {**args, "starts_from": date(2026, 6, 2)})
        after = queries.list_tasks(admin, {**args, "starts_from": date(2026, 6, 3)})
        before = queries.list_tasks(admin, {**args, "starts_to": date(2026, 6, 1)})
        assert [t["title"] for t in on_day.items] == ["六月二日"]
        assert after.items == [] and before.items == []
        db.session.remove()


def test_only_staff_who_organise_open_the_task_pages(app, api, seeded, query, frozen):
    merchant, _ = browser(app, api, "merchant-1")
    refused = merchant.get("/console/tasks")
    assert refused.status_code == 403 and "没有权限" in refused.get_data(as_text=True)
    assert merchant.get("/console/tasks/export").status_code == 403
    grid, _ = browser(app, api, "grid-1")
    assert grid.get("/console/tasks").status_code == 200
    assert "志愿任务" in grid.get("/console/").get_data(as_text=True)


def test_publishing_through_the_form(app, api, seeded, query, frozen):
    client, token = browser(app, api, "admin")
    assert client.get("/console/tasks/new").status_code == 200
    assert client.post("/console/tasks", data=form()).status_code == 400  # no CSRF
    assert task_count(query) == 0
    bad = client.post("/console/tasks", data=form(ends_at="2026-06-03T08:00", csrf_token=token))
    assert bad.status_code == 422 and "结束时间必须晚于开始时间" in bad.get_data(as_text=True)
    missing = client.post("/console/tasks", data=form(title="", csrf_token=token))
    assert missing.status_code == 422 and "title" in missing.get_data(as_text=True)
    assert task_count(query) == 0
    done = client.post("/console/tasks", data=form(csrf_token=token))
    assert done.status_code == 200 and "已发布任务：楼道清理志愿活动" in done.get_data(as_text=True)
    task = query(lambda s: s.scalar(select(Task)))
    assert task.reward_kind == "hours" and task.points_cap == 20 and task.capacity == 6
    assert task.starts_at == T0 + timedelta(days=2)  # 09:00 Shanghai is 01:00 UTC
    actions = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert actions == ["task.publish"]


def test_a_task_page_shows_attendees_and_completes(app, api, seeded, query, frozen):
    task = create_task(api, query)
    for who in ("resident-4", "resident-5"):
        api.post(f"{API}/{task['id']}/signups", who)
    client, token = browser(app, api, "admin")
    page = client.get(f"/console/tasks/{task['id']}").get_data(as_text=True)
    assert "报名与签到" in page and page.count("<td>已报名</td>") == 2
    early = client.post(f"/console/tasks/{task['id']}/complete", data={"csrf_token": token})
    assert early.status_code == 409 and "任务尚未开始" in early.get_data(as_text=True)
    frozen.set(STARTS + timedelta(minutes=5))
    marked = {"user_id": user_id(query, "resident-4")}
    assert api.post(f"{API}/{task['id']}/attendance", "admin", json=marked).status_code == 200
    frozen.set(STARTS + timedelta(hours=3))
    assert client.post(f"/console/tasks/{task['id']}/complete").status_code == 400  # no CSRF
    assert query(lambda s: s.get(Task, task["id"]).status) == "published"
    done = client.post(f"/console/tasks/{task['id']}/complete", data={"csrf_token": token})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "本次计分 1 人，共 10 分" in body
    assert 'id="completion"' in body and "（缺席）" in body
    assert query(lambda s: s.get(Task, task["id"]).status) == "completed"


def test_cancel_needs_a_reason_and_the_right_role(app, api, seeded, query, frozen):
    task = create_task(api, query, as_="grid-1")
    reviewer, token = browser(app, api, "reviewer")
    assert "只有任务发布者或社区管理员" in reviewer.get(f"/console/tasks/{task['id']}").get_data(
        as_text=True
    )
    refused = reviewer.post(
        f"/console/tasks/{task['id']}/cancel", data={"reason": "下雨", "csrf_token": token}
    )
    assert refused.status_code == 403
    admin, token = browser(app, api, "admin")
    empty = admin.post(f"/console/tasks/{task['id']}/cancel", data={"csrf_token": token})
    assert empty.status_code == 422
    assert query(lambda s: s.get(Task, task["id"]).status) == "published"
    done = admin.post(
        f"/console/tasks/{task['id']}/cancel", data={"reason": "下雨", "csrf_token": token}
    )
    assert done.status_code == 200 and "任务已取消" in done.get_data(as_text=True)
    assert query(lambda s: s.get(Task, task["id"]).cancel_reason) == "下雨"


def test_another_communitys_task_is_not_found(app, api, seeded, query, frozen):
    other_id, stranger = other_admin(app)
    with app.app_context():
        body = {"title": "外社区任务", "reward_kind": "hours", "points_per_hour": 5,
                "points_cap": 10, "starts_at": STARTS, "ends_at": STARTS + timedelta(hours=1),
                "capacity": 3}  # fmt: skip
        foreign = publishing.publish_task(db.session.get(User, stranger), other_id, body).id
        db.session.remove()
    client, token = browser(app, api, "admin")
    assert client.get(f"/console/tasks/{foreign}").status_code == 404
    for action in ("cancel", "complete"):
        resp = client.post(
            f"/console/tasks/{foreign}/{action}", data={"reason": "x", "csrf_token": token}
        )
        assert resp.status_code == 404
    assert query(lambda s: s.get(Task, foreign).status) == "published"
    assert "外社区任务" not in client.get("/console/tasks").get_data(as_text=True)
