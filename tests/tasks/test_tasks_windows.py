"""The task's windows: one rule for check-in, the organiser's code and completion."""

from datetime import UTC, datetime, timedelta

import pytest

from server.http.errors import Conflict
from server.tasks import windows
from server.tasks.models import Task
from tests.conftest import error_code
from tests.tasks.test_tasks_support import T0, Clock, community_id, create_task, task_body

API = "/api/v1/tasks"
STARTS = T0 + timedelta(days=1)
ENDS = STARTS + timedelta(hours=2)


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def a_task() -> Task:
    return Task(starts_at=STARTS, ends_at=ENDS)


# ---- the service ---------------------------------------------------------------------------


def test_checkin_window_opens_30_minutes_early_and_closes_at_the_end():
    window = windows.checkin_window(a_task())
    assert (window.opens_at, window.closes_at) == (STARTS - timedelta(minutes=30), ENDS)
    assert not window.contains(STARTS - timedelta(minutes=30, seconds=1))
    assert window.contains(STARTS - timedelta(minutes=30)) and window.contains(ENDS)
    assert not window.contains(ENDS + timedelta(seconds=1))


def test_require_checkin_open_refuses_outside_with_the_window_in_details():
    task = a_task()
    windows.require_checkin_open(task, STARTS - timedelta(minutes=5))
    for moment in (STARTS - timedelta(minutes=31), ENDS + timedelta(minutes=1)):
        with pytest.raises(Conflict) as refused:
            windows.require_checkin_open(task, moment)
        assert refused.value.code == "checkin_not_open"
        assert refused.value.details["opens_at"] == (STARTS - timedelta(minutes=30)).isoformat()


def test_code_window_reaches_to_the_end_of_check_out():
    task = a_task()
    windows.require_code_open(task, ENDS + timedelta(hours=1))  # people still check out
    with pytest.raises(Conflict) as late:
        windows.require_code_open(task, ENDS + timedelta(hours=2, seconds=1))
    assert late.value.code == "checkin_not_open" and "结束" in late.value.message
    with pytest.raises(Conflict) as early:
        windows.require_code_open(task, STARTS - timedelta(days=3))
    assert "尚未开放" in early.value.message


def test_edits_close_when_the_task_starts_except_its_wording():
    task = a_task()
    assert windows.edits_close_at(task) == STARTS
    windows.require_editable(task, STARTS - timedelta(seconds=1), {"capacity": 9})
    windows.require_editable(task, STARTS, {"title": "改错字", "place_name": "2号门"})
    for rule in ("capacity", "starts_at", "ends_at", "points_per_hour", "audience"):
        with pytest.raises(Conflict) as refused:
            windows.require_editable(task, STARTS, {"title": "改错字", rule: 1})
        assert refused.value.code == "task_already_started"


def test_completion_opens_at_the_start():
    task = a_task()
    assert windows.completion_opens_at(task) == STARTS
    windows.require_completion_open(task, STARTS)
    with pytest.raises(Conflict) as refused:
        windows.require_completion_open(task, STARTS - timedelta(seconds=1))
    assert refused.value.code == "task_not_started"
    assert refused.value.details == {"opens_at": STARTS.isoformat()}


# ---- through HTTP ----------------------------------------------------------------------------


def test_the_task_view_tells_the_windows(api, seeded, query, frozen):
    task = create_task(api, query)
    assert datetime.fromisoformat(task["checkin_opens_at"]) == STARTS - timedelta(minutes=30)
    assert datetime.fromisoformat(task["checkin_closes_at"]) == ENDS
    assert datetime.fromisoformat(task["checkout_closes_at"]) == ENDS + timedelta(hours=2)
    assert datetime.fromisoformat(task["completion_opens_at"]) == STARTS
    assert datetime.fromisoformat(task["edits_close_at"]) == STARTS
    listed = api.get(f"{API}?organised_by_me=true", "admin").get_json()["items"][0]
    assert listed["checkin_opens_at"] == task["checkin_opens_at"]


def test_no_code_days_before_check_in_opens(api, seeded, query, frozen):
    """The bug: a code shown days early let nobody in and confused everyone."""
    tid = create_task(api, query)["id"]
    url = f"{API}/{tid}/checkin-code"
    resp = api.get(url, "admin")
    assert resp.status_code == 409 and error_code(resp) == "checkin_not_open"
    details = resp.get_json()["error"]["details"]
    assert datetime.fromisoformat(details["opens_at"]) == STARTS - timedelta(minutes=30)
    assert "尚未开放" in resp.get_json()["error"]["message"]

    frozen.set(STARTS - timedelta(minutes=30, seconds=1))
    assert api.get(url, "admin").status_code == 409
    frozen.set(STARTS - timedelta(minutes=30))
    assert api.get(url, "admin").status_code == 200
    frozen.set(ENDS + timedelta(hours=2))
    assert api.get(url, "admin").status_code == 200  # the last moment to check out
    frozen.set(ENDS + timedelta(hours=2, seconds=1))
    late = api.get(url, "admin")
    assert late.status_code == 409 and error_code(late) == "checkin_not_open"
    assert api.get(url, "resident-1").status_code == 403  # still only the manager


def test_the_view_and_the_rules_agree(api, seeded, query, frozen):
    """What the view says is when check-in and completion really open."""
    task = create_task(api, query, capacity=2, radius_m=None)
    tid = task["id"]
    api.post(f"{API}/{tid}/signups", "resident-4")
    opens = datetime.fromisoformat(task["checkin_opens_at"]).astimezone(UTC)
    frozen.set(opens)
    token = api.get(f"{API}/{tid}/checkin-code", "admin").get_json()["token"]
    frozen.set(opens - timedelta(seconds=1))
    early = api.post(f"{API}/{tid}/checkin", "resident-4", json={"token": token})
    assert early.status_code == 409 and error_code(early) == "checkin_not_open"
    frozen.set(opens)
    assert api.post(f"{API}/{tid}/checkin", "resident-4", json={"token": token}).status_code == 201

    completes = datetime.fromisoformat(task["completion_opens_at"]).astimezone(UTC)
    frozen.set(completes - timedelta(seconds=1))
    resp = api.post(f"{API}/{tid}/complete", "admin")
    assert resp.status_code == 409 and error_code(resp) == "task_not_started"
    assert resp.get_json()["error"]["details"]["opens_at"] == task["completion_opens_at"]
    edits_close = datetime.fromisoformat(task["edits_close_at"]).astimezone(UTC)
    frozen.set(edits_close - timedelta(seconds=1))
    assert api.patch(f"{API}/{tid}", "admin", json={"title": "改名"}).status_code == 200
    frozen.set(completes)
    late = api.patch(f"{API}/{tid}", "admin", json={"capacity": 9})
    assert late.status_code == 409 and error_code(late) == "task_already_started"
    assert api.patch(f"{API}/{tid}", "admin", json={"title": "改错字"}).status_code == 200
    assert api.post(f"{API}/{tid}/complete", "admin").get_json()["credited"] == 1


# ---- who may publish (the mini-program's 发布任务) ---------------------------------------------


def test_my_rights_say_who_may_publish(api, seeded, query):
    rights = {who: api.get(f"{API}/me/rights", who) for who in ("admin", "grid-1", "resident-1")}
    assert {who: r.get_json()["can_publish"] for who, r in rights.items()} == {
        "admin": True,
        "grid-1": True,
        "resident-1": False,
    }
    refused = api.post(API, "resident-1", json=task_body(query))
    assert refused.status_code == 403 and error_code(refused) == "not_an_organiser"


def test_rights_follow_the_communitys_organiser_roles(api, seeded, query):
    cid = community_id(query)
    url = f"/api/v1/admin/communities/{cid}/task-settings"
    resp = api.call("PUT", url, "admin", json={"organiser_roles": ["admin"]})
    assert resp.status_code == 200, resp.get_json()
    assert api.get(f"{API}/me/rights", "grid-1").get_json() == {"can_publish": False}
    assert api.post(API, "grid-1", json=task_body(query)).status_code == 403
    outsider = api.get(f"{API}/me/rights", "newcomer")
    assert outsider.status_code == 403 and error_code(outsider) == "not_a_member"
