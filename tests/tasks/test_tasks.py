"""Volunteer tasks: publishing, editing, cancelling, sign-up rules and lists."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from server.db.audit import AuditLog
from server.db.session import db
from server.http.errors import Conflict, Forbidden
from server.outbox.models import OutboxEvent
from server.tasks import signup as signup_service
from server.tasks.models import Task, TaskSignup
from tests.conftest import error_code
from tests.tasks.test_tasks_support import (
    T0,
    Clock,
    community_id,
    create_task,
    grid_id,
    load_user,
    make_other_community,
    task_body,
    user_id,
)

API = "/api/v1/tasks"


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def events(query, kind):
    return query(
        lambda s: [
            e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.event_type == kind))
        ]
    )


# ---- publishing ------------------------------------------------------------------------


def test_organiser_publishes_and_residents_read(api, seeded, query, frozen):
    task = create_task(api, query)
    assert task["status"] == "published" and task["capacity"] == 3
    assert (
        task["reward"]["points"] == 10 and task["reward"]["point_item_name"] == "垃圾分类志愿督导"
    )
    assert task["organiser"]["name"] == "王*国"  # public view: masked
    assert task["signup_deadline"] == task["starts_at"]  # defaults
    assert task["can_manage"] is True

    seen = api.get(f"{API}/{task['id']}", "resident-5").get_json()
    assert seen["title"] == "垃圾分类志愿督导" and seen["can_manage"] is False
    assert seen["my_signup"] is None and seen["eligible"] is True
    audit = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert "task.publish" in audit
    assert len(events(query, "task.published")) == 1


def test_only_organiser_roles_publish_and_settings_change_that(api, seeded, query, frozen):
    resp = api.post(API, "resident-5", json=task_body(query))
    assert resp.status_code == 403 and error_code(resp) == "not_an_organiser"
    assert api.post(API, "grid-1", json=task_body(query)).status_code == 201
    assert api.post(API, "resident-19", json=task_body(query)).status_code == 201  # org_staff

    cid = community_id(query)
    path = f"/api/v1/admin/communities/{cid}/task-settings"
    assert api.get(path, "admin").get_json()["organiser_roles"] == [
        "admin",
        "reviewer",
        "grid_worker",
        "org_staff",
    ]
    assert api.get(path, "grid-1").status_code == 403
    assert (
        api.call("PUT", path, "grid-1", json={"organiser_roles": ["grid_worker"]}).status_code
        == 403
    )
    resp = api.call("PUT", path, "admin", json={"organiser_roles": ["reviewer", "party_member"]})
    assert resp.status_code == 200
    assert resp.get_json()["organiser_roles"] == ["admin", "party_member", "reviewer"]
    resp = api.post(API, "grid-1", json=task_body(query))
    assert resp.status_code == 403 and error_code(resp) == "not_an_organiser"
    assert api.post(API, "resident-2", json=task_body(query)).status_code == 201  # party member
    bad = api.call("PUT", path, "admin", json={"organiser_roles": ["merchant_staff"]})
    assert bad.status_code == 422
    assert "task_settings.update" in query(lambda s: s.scalars(select(AuditLog.action)).all())


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"title": "x" * 65}, 422, "validation_error"),
        ({"capacity": 0}, 422, "validation_error"),
        ({"unknown": 1}, 422, "validation_error"),
        ({"latitude": 91}, 422, "validation_error"),
        ({"starts_at": "2026-06-01T10:00:00"}, 422, "validation_error"),  # naive
        ({"ends_at": (T0 + timedelta(hours=20)).isoformat()}, 422, "invalid_window"),
        (
            {
                "starts_at": (T0 - timedelta(hours=1)).isoformat(),
                "ends_at": (T0 + timedelta(hours=1)).isoformat(),
            },
            422,
            "starts_in_past",
        ),
        ({"signup_deadline": (T0 + timedelta(days=3)).isoformat()}, 422, "invalid_deadline"),
        ({"point_item_id": None}, 422, "point_item_required"),
        ({"reward_kind": "hours", "point_item_id": None}, 422, "hours_rate_required"),
        ({"reward_kind": "hours", "points_per_hour": 5, "points_cap": 20}, 422,
         "reward_fields_conflict"),
        ({"latitude": None}, 422, "incomplete_location"),
        ({"audience": "grid"}, 422, "grid_not_in_community"),
        ({"audience_party_kind": "在职"}, 422, "audience_fields_conflict"),
        ({"cover_url": "http://example.com/a.png"}, 422, "validation_error"),
        ({"cover_url": "https://example.com/a.png", "cover_upload_id": 3}, 422,
         "cover_fields_conflict"),
    ],
)  # fmt: skip
def test_publish_rejects_bad_input_and_writes_nothing(api, seeded, query, frozen, overrides,
                                                      status, code):  # fmt: skip
    resp = api.post(API, "admin", json=task_body(query, **overrides))
    assert resp.status_code == status, resp.get_json()
    assert error_code(resp) == code
    assert query(lambda s: s.scalar(select(db.func.count()).select_from(Task))) == 0


def test_publish_hours_task_with_party_audience_and_cover(api, seeded, query, frozen):
    task = create_task(
        api,
        query,
        title="在职党员回家日",
        reward_kind="hours",
        point_item_id=None,
        points_per_hour=5,
        points_cap=20,
        audience="party_members",
        audience_party_kind="在职",
        cover_url="https://example.com/cover.png",
    )
    assert task["reward"] == {
        "kind": "hours",
        "point_item_id": None,
        "point_item_name": None,
        "points": None,
        "points_per_hour": 5,
        "points_cap": 20,
    }
    assert task["audience_party_kind"] == "在职" and task["cover_url"].endswith("cover.png")


def test_edit_before_start_and_capacity_rules(api, seeded, query, frozen):
    task = create_task(api, query, capacity=1)
    for who in ("resident-4", "resident-5", "resident-6"):
        assert api.post(f"{API}/{task['id']}/signups", who).status_code == 201
    resp = api.patch(f"{API}/{task['id']}", "admin", json={"capacity": 2, "title": "新标题"})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["title"] == "新标题" and body["confirmed_count"] == 2
    assert body["waitlisted_count"] == 1
    mine = api.get(f"{API}/{task['id']}", "resident-5").get_json()["my_signup"]
    assert mine["status"] == "confirmed" and mine["promoted_at"] is not None

    resp = api.patch(f"{API}/{task['id']}", "admin", json={"capacity": 1})
    assert resp.status_code == 409 and error_code(resp) == "capacity_below_confirmed"
    resp = api.patch(f"{API}/{task['id']}", "resident-4", json={"title": "偷改"})
    assert resp.status_code == 403
    resp = api.patch(f"{API}/{task['id']}", "admin", json={"title": ""})
    assert resp.status_code == 422
    resp = api.patch(f"{API}/{task['id']}", "admin", json={"reward_kind": "hours"})
    assert resp.status_code == 422 and error_code(resp) == "hours_rate_required"
    assert api.get(f"{API}/{task['id']}", "admin").get_json()["title"] == "新标题"

    frozen.advance(days=1, minutes=1)  # the task has started: its wording only
    resp = api.patch(f"{API}/{task['id']}", "admin", json={"title": "太晚了", "capacity": 9})
    assert resp.status_code == 409 and error_code(resp) == "task_already_started"
    assert resp.get_json()["error"]["details"]["editable"] == ["description", "place_name", "title"]
    assert api.get(f"{API}/{task['id']}", "admin").get_json()["title"] == "新标题"
    resp = api.patch(f"{API}/{task['id']}", "resident-4", json={"title": "偷改"})
    assert resp.status_code == 403
    resp = api.patch(f"{API}/{task['id']}", "admin", json={"place_name": "社区东门"})
    assert resp.status_code == 200 and resp.get_json()["place"]["name"] == "社区东门"


def test_only_its_organiser_or_an_admin_manages_a_task(api, seeded, query, frozen):
    task = create_task(api, query, as_="grid-1")
    assert api.patch(f"{API}/{task['id']}", "reviewer", json={"title": "改"}).status_code == 403
    assert api.patch(f"{API}/{task['id']}", "grid-1", json={"title": "改一"}).status_code == 200
    assert api.patch(f"{API}/{task['id']}", "admin", json={"title": "改二"}).status_code == 200


def test_cancel_task_notifies_everyone_signed_up(api, seeded, query, frozen):
    task = create_task(api, query, capacity=1)
    api.post(f"{API}/{task['id']}/signups", "resident-4")
    api.post(f"{API}/{task['id']}/signups", "resident-5")
    resp = api.post(f"{API}/{task['id']}/cancel", "admin", json={"reason": "暴雨预警，活动取消"})
    assert resp.status_code == 200
    assert resp.get_json()["status"] == "cancelled"
    assert resp.get_json()["cancel_reason"] == "暴雨预警，活动取消"
    told = events(query, "task.signup.task_cancelled")
    assert sorted(e["user_id"] for e in told) == sorted(
        [user_id(query, "resident-4"), user_id(query, "resident-5")]
    )
    again = api.post(f"{API}/{task['id']}/cancel", "admin", json={"reason": "再次"})
    assert again.status_code == 409 and error_code(again) == "task_not_cancellable"
    assert api.post(f"{API}/{task['id']}/cancel", "admin", json={}).status_code == 422
    late = api.post(f"{API}/{task['id']}/signups", "resident-6")
    assert late.status_code == 409 and error_code(late) == "task_not_open"


# ---- sign-up ---------------------------------------------------------------------------


def test_signup_confirms_then_waitlists_and_cancel_promotes_in_order(api, seeded, query, frozen):
    task = create_task(api, query, capacity=2)
    url = f"{API}/{task['id']}/signups"
    results = [api.post(url, f"resident-{n}").get_json() for n in range(4, 9)]
    assert [r["status"] for r in results] == ["confirmed"] * 2 + ["waitlisted"] * 3
    assert [r["waitlist_position"] for r in results] == [None, None, 1, 2, 3]

    dup = api.post(url, "resident-4")
    assert dup.status_code == 409 and error_code(dup) == "already_signed_up"

    # A waitlisted person leaving does not free a seat; positions close up.
    resp = api.delete(f"{url}/me", "resident-6")
    assert resp.get_json() == {
        "task_id": task["id"],
        "status": "cancelled",
        "was": "waitlisted",
        "promoted_user_ids": [],
    }
    assert (
        api.get(f"{API}/{task['id']}", "resident-8").get_json()["my_signup"]["waitlist_position"]
        == 2
    )

    resp = api.delete(f"{url}/me", "resident-4")
    assert resp.get_json()["promoted_user_ids"] == [user_id(query, "resident-7")]
    view = api.get(f"{API}/{task['id']}", "resident-7").get_json()
    assert view["my_signup"]["status"] == "confirmed"
    assert (view["confirmed_count"], view["waitlisted_count"]) == (2, 1)
    assert events(query, "task.signup.promoted")[0]["user_id"] == user_id(query, "resident-7")

    # Signing up again after cancelling goes to the back of the queue.
    again = api.post(url, "resident-4").get_json()
    assert again["status"] == "waitlisted" and again["waitlist_position"] == 2
    none = api.delete(f"{url}/me", "resident-9")
    assert none.status_code == 404 and error_code(none) == "not_signed_up"


def test_signup_deadline_and_cancel_deadline(api, seeded, query, frozen):
    starts = T0 + timedelta(days=1)
    task = create_task(
        api,
        query,
        capacity=1,
        signup_deadline=(starts - timedelta(hours=12)).isoformat(),
        cancel_deadline=(starts - timedelta(hours=20)).isoformat(),
    )
    url = f"{API}/{task['id']}/signups"
    assert api.post(url, "resident-4").status_code == 201
    assert api.post(url, "resident-5").get_json()["status"] == "waitlisted"
    frozen.advance(hours=5)  # past the cancel deadline, before the sign-up deadline
    late = api.delete(f"{url}/me", "resident-4")
    assert late.status_code == 409 and error_code(late) == "cancel_closed"
    assert api.delete(f"{url}/me", "resident-5").status_code == 200  # waitlisted may leave
    frozen.advance(hours=8)  # past the sign-up deadline
    resp = api.post(url, "resident-6")
    assert resp.status_code == 409 and error_code(resp) == "signup_closed"
    view = api.get(f"{API}/{task['id']}", "admin").get_json()
    assert (view["confirmed_count"], view["waitlisted_count"]) == (1, 0)


def test_audience_rules(api, seeded, query, frozen):
    g2 = grid_id(query, "g2")
    grid_task = create_task(api, query, audience="grid", audience_grid_id=g2)
    # resident-2 lives in g2 (residents rotate g1, g2, g3); resident-1 in g1.
    assert api.post(f"{API}/{grid_task['id']}/signups", "resident-2").status_code == 201
    resp = api.post(f"{API}/{grid_task['id']}/signups", "resident-1")
    assert resp.status_code == 403 and error_code(resp) == "audience_mismatch"
    assert api.get(f"{API}/{grid_task['id']}", "resident-1").get_json()["eligible"] is False

    party = create_task(api, query, audience="party_members", audience_party_kind="在职")
    assert api.post(f"{API}/{party['id']}/signups", "resident-1").status_code == 201  # 在职
    resp = api.post(f"{API}/{party['id']}/signups", "resident-2")  # 自管
    assert resp.status_code == 403 and error_code(resp) == "audience_mismatch"
    resp = api.post(f"{API}/{party['id']}/signups", "resident-5")  # not a member
    assert resp.status_code == 403 and error_code(resp) == "audience_mismatch"
    assert query(lambda s: s.scalar(select(db.func.count()).select_from(TaskSignup))) == 2


def test_other_community_cannot_see_or_sign_up(api, seeded, query, app, frozen):
    _, stranger = make_other_community(app)
    task = create_task(api, query)
    assert api.get(f"{API}/{task['id']}", "stranger").status_code == 404
    resp = api.post(f"{API}/{task['id']}/signups", "stranger")
    assert resp.status_code == 404 and error_code(resp) == "task_not_found"
    assert api.get(API, "stranger").get_json()["items"] == []
    assert api.get(f"{API}/{task['id']}/attendees", "stranger").status_code == 404
    assert api.get(f"{API}/999999", "resident-1").status_code == 404
    newcomer = api.post(f"{API}/{task['id']}/signups", "newcomer")  # not in any community
    assert newcomer.status_code == 403 and error_code(newcomer) == "not_a_member"
    assert api.post(f"{API}/{task['id']}/signups").status_code == 401


def test_signup_service_directly(app, seeded, query, api, frozen):
    task = create_task(api, query, capacity=1)
    with app.app_context():
        first = signup_service.sign_up(load_user("resident-4"), task["id"])
        second = signup_service.sign_up(load_user("resident-5"), task["id"])
        assert (first["status"], second["status"]) == ("confirmed", "waitlisted")
        with pytest.raises(Conflict):
            signup_service.sign_up(load_user("resident-4"), task["id"])
        db.session.rollback()
        refusal = signup_service.audience_refusal
        outsider = refusal(Task(audience="party_members"), None, False, False)
        assert isinstance(outsider, Forbidden) and outsider.code == "audience_mismatch"
        assert refusal(Task(audience="everyone"), None, False, False) is None
        result = signup_service.cancel_signup(load_user("resident-4"), task["id"])
        db.session.remove()
    assert result["promoted_user_ids"] == [user_id(query, "resident-5")]
    row = query(lambda s: s.get(Task, task["id"]))
    assert (row.confirmed_count, row.waitlisted_count, row.signup_seq) == (1, 0, 2)


# ---- lists -----------------------------------------------------------------------------


def test_lists_paginate_and_filter(api, seeded, query, frozen):
    ids = []
    for n in range(5):
        starts = T0 + timedelta(days=1, hours=n)
        ids.append(
            create_task(
                api,
                query,
                title=f"任务{n}",
                starts_at=starts.isoformat(),
                ends_at=(starts + timedelta(hours=1)).isoformat(),
            )["id"]
        )
    first = api.get(f"{API}?limit=2", "resident-3").get_json()
    assert [t["id"] for t in first["items"]] == ids[:2]
    second = api.get(f"{API}?limit=2&cursor={first['next_cursor']}", "resident-3").get_json()
    third = api.get(f"{API}?limit=2&cursor={second['next_cursor']}", "resident-3").get_json()
    assert [t["id"] for t in second["items"] + third["items"]] == ids[2:]
    assert third["next_cursor"] is None
    assert api.get(f"{API}?limit=101", "resident-3").status_code == 422
    assert api.get(f"{API}?cursor=garbage", "resident-3").status_code == 400
    assert [t["title"] for t in api.get(f"{API}?q=任务3", "resident-3").get_json()["items"]] == [
        "任务3"
    ]

    api.post(f"{API}/{ids[1]}/signups", "resident-3")
    listed = api.get(API, "resident-3").get_json()["items"]
    assert listed[1]["my_signup"]["status"] == "confirmed" and listed[0]["my_signup"] is None
    api.post(f"{API}/{ids[0]}/cancel", "admin", json={"reason": "场地冲突"})
    assert ids[0] not in [t["id"] for t in api.get(API, "resident-3").get_json()["items"]]
    past = api.get(f"{API}?when=past", "resident-3").get_json()["items"]
    assert [t["id"] for t in past] == [ids[0]]

    mine = api.get(f"{API}/me/signups", "resident-3").get_json()
    assert [(s["task"]["id"], s["status"]) for s in mine["items"]] == [(ids[1], "confirmed")]
    attendees = api.get(f"{API}/{ids[1]}/attendees", "admin").get_json()["items"]
    assert attendees[0]["name"] == "李娜" and attendees[0]["status"] == "confirmed"
    assert api.get(f"{API}/{ids[1]}/attendees", "resident-3").status_code == 403
    assert api.get(f"{API}/{ids[1]}/attendees", "reviewer").status_code == 403


def test_seed_demo_adds_past_and_upcoming_tasks_once(app, api, seeded, query, monkeypatch):
    from server.commands.seed_demo import seed_demo

    monkeypatch.setitem(app.config, "SEED_DEMO_TASKS", True)
    with app.app_context():
        first = seed_demo()
        second = seed_demo()
        db.session.remove()
    assert first["tasks"] == 9 and first["task_attendance"] == 11
    assert "tasks" not in second
    upcoming = api.get(API, "resident-1").get_json()["items"]
    assert len(upcoming) == 6 and all(t["status"] == "published" for t in upcoming)
    river = next(t for t in upcoming if t["title"] == "河道巡护")
    assert (river["confirmed_count"], river["waitlisted_count"]) == (2, 1)
    hours = api.get(f"{API}/me/hours", "resident-1").get_json()
    assert hours["lifetime"] > 0
    past = api.get(f"{API}?when=past", "resident-1").get_json()["items"]
    assert {t["status"] for t in past} == {"completed"}


def test_seed_demo_gives_grid_1_a_task_open_for_check_in_and_a_later_one(
    app, api, seeded, query, monkeypatch
):
    """The organiser's flow can be walked as grid-1 as soon as the demo starts: check-in
    and completion of the running task are open, the later task's code is refused."""
    from server.commands.seed_demo import seed_demo

    monkeypatch.setitem(app.config, "SEED_DEMO_TASKS", True)
    with app.app_context():
        seed_demo()
        db.session.remove()
    mine = api.get(f"{API}?organised_by_me=true", "grid-1").get_json()["items"]
    assert [t["title"] for t in mine] == ["楼道消防通道清理", "文明养犬宣传"]
    assert all(t["can_manage"] and t["status"] == "published" for t in mine)
    now = datetime.now(UTC)
    soon, later = mine
    assert datetime.fromisoformat(soon["checkin_opens_at"]) <= now
    assert now - timedelta(minutes=20) < datetime.fromisoformat(soon["starts_at"]) <= now
    assert datetime.fromisoformat(soon["completion_opens_at"]) <= now
    assert datetime.fromisoformat(later["checkin_opens_at"]) > now + timedelta(days=5)
    assert soon["confirmed_count"] == 3 and soon["place"] is None  # no location to check in
    assert api.get(f"{API}/{soon['id']}/checkin-code", "grid-1").status_code == 200
    refused = api.get(f"{API}/{later['id']}/checkin-code", "grid-1")
    assert refused.status_code == 409 and error_code(refused) == "checkin_not_open"
