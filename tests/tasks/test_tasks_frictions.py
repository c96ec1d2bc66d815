"""What a volunteer is told and shown: sign-up times that agree with waitlist places, clear
refusals (cancelling twice, checking in from the waitlist), and nobody crediting themselves
through attendance they or their own completion decided."""

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from server.db.audit import AuditLog
from server.db.session import db
from server.http.errors import AppError
from server.points.ledger_models import LedgerEntry
from server.tasks import attendance, checkin_codes, clock, completion, signup
from server.tasks.models import TaskAttendance
from tests.conftest import Api, error_code
from tests.tasks.test_tasks_support import (
    T0,
    Clock,
    community_id,
    create_task,
    load_user,
    user_id,
)

API = "/api/v1/tasks"
HERE = {"latitude": 31.2304, "longitude": 121.4737}
STARTS = T0 + timedelta(days=1)


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def my_signup(api, tid, who) -> dict:
    return api.get(f"{API}/{tid}", who).get_json()["my_signup"]


def balance(query, identity) -> int:
    from server.points.ledger import find_account

    account = query(lambda s: find_account(community_id(query), "user", user_id(query, identity)))
    return account.balance if account else 0


# -- waitlist position and signed_up_at ---------------------------------------------------------


def test_signed_up_at_is_when_the_waitlist_place_was_taken(app, api, seeded, query, frozen):
    """resident-2 reads the clock first, resident-3 takes a place before resident-2 does."""
    tid = create_task(api, query, capacity=1)["id"]
    assert api.post(f"{API}/{tid}/signups", "resident-1").get_json()["status"] == "confirmed"
    other = Api(app.test_client(), api.emulator)
    other.tokens = api.tokens
    for who in ("resident-2", "resident-3"):
        api.headers(who)  # logged in before the clock is rigged

    moments = (T0 + timedelta(seconds=n) for n in count(1))
    readings = []

    def now():
        moment = next(moments)
        readings.append(moment)
        if len(readings) == 1:  # resident-2 has the time; resident-3 overtakes
            overtaking = other.post(f"{API}/{tid}/signups", "resident-3")
            assert overtaking.status_code == 201, overtaking.get_json()
        return moment

    frozen_now = clock.now
    clock.now = now
    try:
        second = api.post(f"{API}/{tid}/signups", "resident-2")
    finally:
        clock.now = frozen_now
    assert second.status_code == 201, second.get_json()
    third, second = my_signup(api, tid, "resident-3"), my_signup(api, tid, "resident-2")
    assert (third["waitlist_position"], second["waitlist_position"]) == (1, 2)
    assert third["signed_up_at"] < second["signed_up_at"]


def test_a_re_sign_up_and_a_walk_in_show_when_they_came_back(api, seeded, query, frozen):
    tid = create_task(api, query, capacity=1)["id"]
    api.post(f"{API}/{tid}/signups", "resident-1")
    first = api.post(f"{API}/{tid}/signups", "resident-2").get_json()
    api.post(f"{API}/{tid}/signups", "resident-3")
    frozen.advance(minutes=5)
    assert api.delete(f"{API}/{tid}/signups/me", "resident-2").status_code == 200
    frozen.advance(minutes=5)
    again = api.post(f"{API}/{tid}/signups", "resident-2").get_json()
    assert again["waitlist_position"] == 2
    assert again["signed_up_at"] > first["signed_up_at"]
    assert my_signup(api, tid, "resident-2")["signed_up_at"] == again["signed_up_at"]

    # A cancelled sign-up marked present by hand becomes a walk-in: its time is the marking's.
    assert api.delete(f"{API}/{tid}/signups/me", "resident-2").status_code == 200
    frozen.set(STARTS + timedelta(minutes=10))
    body = {"user_id": user_id(query, "resident-2")}
    assert api.post(f"{API}/{tid}/attendance", "admin", json=body).status_code == 200
    mine = my_signup(api, tid, "resident-2")
    assert mine["status"] == "walk_in"
    assert mine["signed_up_at"] == (STARTS + timedelta(minutes=10)).isoformat()


# -- messages that say what happened ------------------------------------------------------------


def test_cancelling_twice_says_it_is_already_cancelled(api, seeded, query, frozen):
    tid = create_task(api, query)["id"]
    api.post(f"{API}/{tid}/signups", "resident-1")
    assert api.delete(f"{API}/{tid}/signups/me", "resident-1").status_code == 200
    again = api.delete(f"{API}/{tid}/signups/me", "resident-1")
    assert again.status_code == 409 and error_code(again) == "already_cancelled"
    assert again.get_json()["error"]["message"] == "您已取消该报名，无需重复取消"
    never = api.delete(f"{API}/{tid}/signups/me", "resident-2")
    assert never.status_code == 404 and error_code(never) == "not_signed_up"


def test_a_waitlisted_person_checking_in_hears_they_are_on_the_waitlist(api, seeded, query, frozen):
    tid = create_task(api, query, capacity=1)["id"]
    api.post(f"{API}/{tid}/signups", "resident-1")
    api.post(f"{API}/{tid}/signups", "resident-2")
    frozen.set(STARTS - timedelta(minutes=10))
    token = api.get(f"{API}/{tid}/checkin-code", "admin").get_json()["token"]
    resp = api.post(f"{API}/{tid}/checkin", "resident-2", json={"token": token, "location": HERE})
    assert resp.status_code == 409 and error_code(resp) == "on_waitlist"
    error = resp.get_json()["error"]
    assert "候补" in error["message"] and "第 1 位" in error["message"]
    assert error["details"] == {"waitlist_position": 1}
    assert query(lambda s: s.scalar(select(func.count(TaskAttendance.id)))) == 0


# -- self-dealing ------------------------------------------------------------------------------


def test_nobody_marks_their_own_attendance_by_hand(api, seeded, query, frozen):
    tid = create_task(api, query, as_="grid-1", capacity=3)["id"]
    assert api.post(f"{API}/{tid}/signups", "grid-1").status_code == 201
    frozen.set(STARTS + timedelta(minutes=5))
    for who in ("grid-1", "admin"):
        resp = api.post(f"{API}/{tid}/attendance", who, json={"user_id": user_id(query, who)})
        assert resp.status_code == 403 and error_code(resp) == "cannot_mark_own_attendance"
        assert "自己" in resp.get_json()["error"]["message"]
    assert query(lambda s: s.scalar(select(func.count(TaskAttendance.id)))) == 0
    marks = select(func.count(AuditLog.id)).where(AuditLog.action == "task.attendance.mark")
    assert query(lambda s: s.scalar(marks)) == 0


def test_a_completion_leaves_the_completers_hand_marked_attendance_to_someone_else(
    api, seeded, query, frozen
):
    tid = create_task(api, query, as_="grid-1", capacity=3, radius_m=None)["id"]
    for who in ("grid-1", "resident-1"):
        api.post(f"{API}/{tid}/signups", who)
    frozen.set(STARTS + timedelta(minutes=5))
    for who in ("grid-1", "resident-1"):  # marked by a second person, the admin
        body = {"user_id": user_id(query, who)}
        assert api.post(f"{API}/{tid}/attendance", "admin", json=body).status_code == 200

    own = api.post(f"{API}/{tid}/complete", "grid-1").get_json()
    assert (own["credited"], own["newly_credited"], own["awaiting_second_person"]) == (1, 1, 1)
    assert (balance(query, "resident-1"), balance(query, "grid-1")) == (10, 0)
    again = api.post(f"{API}/{tid}/complete", "grid-1").get_json()
    assert (again["newly_credited"], again["awaiting_second_person"]) == (0, 1)
    assert balance(query, "grid-1") == 0

    admin = api.post(f"{API}/{tid}/complete", "admin").get_json()
    assert (admin["credited"], admin["newly_credited"], admin["awaiting_second_person"]) == (
        2,
        1,
        0,
    )
    assert balance(query, "grid-1") == 10
    actors = query(
        lambda s: {
            e.idempotency_key: e.actor_id
            for e in s.scalars(
                select(LedgerEntry).where(LedgerEntry.cause_type == "task_attendance")
            )
        }
    )
    assert actors[f"task:{tid}:attendee:{user_id(query, 'grid-1')}"] == user_id(query, "admin")


def test_an_organisers_scanned_attendance_is_credited_by_their_own_completion(
    api, seeded, query, frozen
):
    """A scan is evidence of presence (a 30-second code, the place), not anyone's decision."""
    tid = create_task(api, query, as_="grid-1", capacity=3, radius_m=None)["id"]
    api.post(f"{API}/{tid}/signups", "grid-1")
    frozen.set(STARTS + timedelta(minutes=5))
    token = api.get(f"{API}/{tid}/checkin-code", "grid-1").get_json()["token"]
    assert api.post(f"{API}/{tid}/checkin", "grid-1", json={"token": token}).status_code == 201
    summary = api.post(f"{API}/{tid}/complete", "grid-1").get_json()
    assert (summary["newly_credited"], summary["awaiting_second_person"]) == (1, 0)
    assert balance(query, "grid-1") == 10


# -- the same rules through the services -------------------------------------------------------


def refusal(call) -> tuple[int, str]:
    with pytest.raises(AppError) as refused:
        call()
    db.session.rollback()
    return refused.value.status, refused.value.code


def test_the_rules_hold_in_the_services(app, api, seeded, query, frozen):
    tid = create_task(api, query, as_="grid-1", capacity=1, radius_m=None)["id"]
    for who in ("grid-1", "resident-1", "resident-2"):
        api.post(f"{API}/{tid}/signups", who)
    with app.app_context():
        organiser, waiting = load_user("grid-1"), load_user("resident-2")
        resident = load_user("resident-1")
        assert signup.cancel_signup(resident, tid)["was"] == "waitlisted"
        assert refusal(lambda: signup.cancel_signup(resident, tid)) == (409, "already_cancelled")
        frozen.set(STARTS + timedelta(minutes=5))
        token = checkin_codes.issue_code(tid)["token"]
        assert refusal(lambda: attendance.check_in(waiting, tid, token, None)) == (
            409,
            "on_waitlist",
        )
        assert refusal(lambda: attendance.mark_attendance(organiser, tid, organiser.id)) == (
            403,
            "cannot_mark_own_attendance",
        )
        admin = load_user("admin")
        attendance.mark_attendance(admin, tid, organiser.id)
        summary = completion.complete_task(organiser, tid)
        assert (summary["newly_credited"], summary["awaiting_second_person"]) == (0, 1)
        row = db.session.scalar(select(TaskAttendance).where(TaskAttendance.task_id == tid))
        assert completion.left_to_another(organiser, row) is True
        assert completion.left_to_another(admin, row) is False
        assert completion.complete_task(admin, tid)["newly_credited"] == 1
        db.session.remove()
