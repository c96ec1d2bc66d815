"""Check-in codes, attendance, completion credits, volunteer hours and the yearly record."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from sqlalchemy import select

from server.db.audit import AuditLog
from server.db.session import db
from server.points.ledger import find_account
from server.points.ledger_models import LedgerEntry
from server.tasks import attendance as attendance_service
from server.tasks import checkin_codes, completion
from server.tasks.models import TaskAttendance, TaskSignup
from tests.conftest import error_code
from tests.tasks.test_tasks_support import T0, Clock, community_id, create_task, load_user, user_id

API = "/api/v1/tasks"
HERE = {"latitude": 31.2304, "longitude": 121.4737}
NEARBY = {"latitude": 31.2312, "longitude": 121.4737}  # ~90 m north
FAR = {"latitude": 31.2404, "longitude": 121.4737}  # ~1.1 km north
STARTS = T0 + timedelta(days=1)


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def code(api, task_id, as_="admin"):
    resp = api.get(f"{API}/{task_id}/checkin-code", as_)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["token"]


def balance(query, identity):
    cid = community_id(query)
    uid = user_id(query, identity)
    account = query(lambda s: find_account(cid, "user", uid))
    return account.balance if account else 0


def signed_up_task(api, query, people, **overrides):
    task = create_task(api, query, capacity=len(people), **overrides)
    for who in people:
        assert api.post(f"{API}/{task['id']}/signups", who).get_json()["status"] == "confirmed"
    return task


# ---- check-in codes --------------------------------------------------------------------


def test_checkin_code_is_signed_short_lived_and_bound_to_its_task(api, seeded, query, frozen):
    task = create_task(api, query)
    other = create_task(api, query, title="另一个任务")
    frozen.set(STARTS - timedelta(minutes=30))
    resp = api.get(f"{API}/{task['id']}/checkin-code", "admin").get_json()
    assert resp["ttl_seconds"] == 30
    token = resp["token"]
    assert token != code(api, task["id"])  # a random nonce: never the same twice
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "dev-insecure-secret-key-do-not-use-in-production", algorithms=["HS256"])
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == f"task:{task['id']}"
    assert api.get(f"{API}/{task['id']}/checkin-code", "resident-1").status_code == 403

    frozen.set(STARTS)
    api.post(f"{API}/{other['id']}/signups", "resident-4")
    api.post(f"{API}/{task['id']}/signups", "resident-4")
    fresh = code(api, task["id"])
    wrong_task = api.post(f"{API}/{other['id']}/checkin", "resident-4", json={"token": fresh})
    assert wrong_task.status_code == 422 and error_code(wrong_task) == "checkin_code_invalid"


def test_expired_forged_and_garbage_codes_are_refused(api, seeded, query, app, frozen):
    task = signed_up_task(api, query, ["resident-4"], radius_m=None)
    url = f"{API}/{task['id']}/checkin"
    frozen.set(STARTS)
    token = code(api, task["id"])
    frozen.advance(seconds=36)  # 30 s lifetime + 5 s leeway
    resp = api.post(url, "resident-4", json={"token": token})
    assert resp.status_code == 422 and error_code(resp) == "checkin_code_expired"

    with app.app_context():
        claims = {
            "aud": f"task:{task['id']}",
            "iss": checkin_codes.ISSUER,
            "iat": int(frozen.now.timestamp()),
            "exp": int(frozen.now.timestamp()) + 30,
            "nonce": "x",
        }
        forged_key = jwt.encode(claims, "guessed-secret-key-of-32-bytes-long!", algorithm="HS256")
        access_key = jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")
        long_lived = jwt.encode(
            {**claims, "exp": claims["iat"] + 3600}, checkin_codes._key(), algorithm="HS256"
        )
    unsigned = jwt.encode(claims, None, algorithm="none")
    for bad in (forged_key, access_key, long_lived, unsigned, "garbage", token + "x"):
        resp = api.post(url, "resident-4", json={"token": bad})
        assert resp.status_code == 422 and error_code(resp) == "checkin_code_invalid", bad
    assert api.post(url, "resident-4", json={"token": "x" * 1025}).status_code == 422
    assert api.post(url, "resident-4", json={"token": code(api, task["id"])}).status_code == 201
    assert query(lambda s: s.scalar(select(db.func.count()).select_from(TaskAttendance))) == 1


# ---- check-in and check-out -----------------------------------------------------------


def test_checkin_enforces_radius_window_signup_and_once(api, seeded, query, frozen):
    task = create_task(api, query, capacity=1)
    url = f"{API}/{task['id']}/checkin"
    api.post(f"{API}/{task['id']}/signups", "resident-4")
    api.post(f"{API}/{task['id']}/signups", "resident-5")  # waitlisted

    frozen.set(STARTS - timedelta(minutes=10))
    early_token = code(api, task["id"])
    frozen.set(STARTS - timedelta(minutes=31))
    resp = api.post(url, "resident-4", json={"token": early_token, "location": HERE})
    assert resp.status_code == 409 and error_code(resp) == "checkin_not_open"
    assert (
        resp.get_json()["error"]["details"]["opens_at"]
        == (STARTS - timedelta(minutes=30)).isoformat()
    )

    frozen.set(STARTS - timedelta(minutes=10))
    token = code(api, task["id"])
    resp = api.post(url, "resident-4", json={"token": token, "location": FAR})
    assert resp.status_code == 422 and error_code(resp) == "outside_radius"
    assert resp.get_json()["error"]["details"]["radius_m"] == 200
    assert resp.get_json()["error"]["details"]["distance_m"] > 1000
    resp = api.post(url, "resident-4", json={"token": token})
    assert resp.status_code == 422 and error_code(resp) == "location_required"
    resp = api.post(
        url, "resident-4", json={"token": token, "location": {"latitude": 91, "longitude": 0}}
    )
    assert resp.status_code == 422
    resp = api.post(url, "resident-5", json={"token": token, "location": HERE})
    assert resp.status_code == 409 and error_code(resp) == "on_waitlist"
    resp = api.post(url, "resident-6", json={"token": token, "location": HERE})
    assert resp.status_code == 409 and error_code(resp) == "signup_not_confirmed"

    resp = api.post(url, "resident-4", json={"token": token, "location": NEARBY})
    assert resp.status_code == 201
    assert resp.get_json()["method"] == "scan" and resp.get_json()["checkout_at"] is None
    again = api.post(url, "resident-4", json={"token": token, "location": NEARBY})
    assert again.status_code == 409 and error_code(again) == "already_checked_in"
    assert api.get(f"{API}/{task['id']}", "resident-4").get_json()["my_attendance"]["method"] == (
        "scan"
    )


def test_checkout_and_hours_clamped_to_the_window(api, seeded, query, frozen):
    task = signed_up_task(
        api,
        query,
        ["resident-4", "resident-5"],
        reward_kind="hours",
        point_item_id=None,
        points_per_hour=4,
        points_cap=6,
        radius_m=None,
    )
    tid = task["id"]
    frozen.set(STARTS - timedelta(minutes=20))  # early: counts from the start
    for who in ("resident-4", "resident-5"):
        assert (
            api.post(f"{API}/{tid}/checkin", who, json={"token": code(api, tid)}).status_code == 201
        )
    resp = api.post(f"{API}/{tid}/checkout", "resident-6", json={"token": code(api, tid)})
    assert resp.status_code == 409 and error_code(resp) == "not_checked_in"
    frozen.set(STARTS + timedelta(minutes=45))
    resp = api.post(f"{API}/{tid}/checkout", "resident-4", json={"token": code(api, tid)})
    assert resp.status_code == 200 and resp.get_json()["checkout_at"] is not None
    again = api.post(f"{API}/{tid}/checkout", "resident-4", json={"token": code(api, tid)})
    assert again.status_code == 409 and error_code(again) == "already_checked_out"
    frozen.set(STARTS + timedelta(hours=3))  # after the end: counts to the end
    assert (
        api.post(f"{API}/{tid}/checkout", "resident-5", json={"token": code(api, tid)}).status_code
        == 200
    )

    summary = api.post(f"{API}/{tid}/complete", "admin").get_json()
    assert summary["credited"] == 2
    # 45 min x 4/h = 3 points; 120 min x 4/h = 8, capped at 6.
    assert balance(query, "resident-4") == 3 and balance(query, "resident-5") == 6
    rows = {
        r["user_id"]: r["attendance"]
        for r in api.get(f"{API}/{tid}/attendees", "admin").get_json()["items"]
    }
    assert rows[user_id(query, "resident-4")]["minutes"] == 45
    assert rows[user_id(query, "resident-5")]["minutes"] == 120
    assert api.get(f"{API}/me/hours", "resident-5").get_json() == {
        "this_year": 2.0,
        "lifetime": 2.0,
    }


def test_served_minutes_and_haversine():
    class T:
        starts_at = datetime(2026, 6, 2, 1, tzinfo=UTC)
        ends_at = datetime(2026, 6, 2, 3, tzinfo=UTC)

    s = T.starts_at
    assert attendance_service.served_minutes(T, s - timedelta(hours=1), None) == 120
    assert (
        attendance_service.served_minutes(T, s + timedelta(minutes=30), s + timedelta(minutes=90))
        == 60
    )
    assert attendance_service.served_minutes(T, s + timedelta(hours=5), None) == 0
    d = attendance_service.haversine_m(31.2304, 121.4737, 31.2404, 121.4737)
    assert 1100 < d < 1120


# ---- manual attendance ---------------------------------------------------------------


def test_organiser_marks_attendance_by_hand_audited(api, seeded, query, frozen):
    task = signed_up_task(api, query, ["resident-4"])
    tid = task["id"]
    walk_in = user_id(query, "resident-9")
    body = {"user_id": walk_in}
    resp = api.post(f"{API}/{tid}/attendance", "admin", json=body)
    assert resp.status_code == 409 and error_code(resp) == "task_not_started"
    frozen.set(STARTS + timedelta(minutes=5))
    assert api.post(f"{API}/{tid}/attendance", "resident-4", json=body).status_code == 403
    resp = api.post(f"{API}/{tid}/attendance", "admin", json={"user_id": 999999})
    assert resp.status_code == 422 and error_code(resp) == "user_not_member"
    bad_times = {
        "user_id": walk_in,
        "checkin_at": (STARTS + timedelta(hours=1)).isoformat(),
        "checkout_at": STARTS.isoformat(),
    }
    resp = api.post(f"{API}/{tid}/attendance", "admin", json=bad_times)
    assert resp.status_code == 422 and error_code(resp) == "invalid_attendance_times"

    resp = api.post(f"{API}/{tid}/attendance", "admin", json=body)
    assert resp.status_code == 200 and resp.get_json()["method"] == "manual"
    attendees = api.get(f"{API}/{tid}/attendees", "admin").get_json()["items"]
    assert [(a["user_id"], a["status"]) for a in attendees][-1] == (walk_in, "walk_in")
    audit = query(
        lambda s: s.scalars(select(AuditLog).where(AuditLog.action == "task.attendance.mark")).all()
    )
    assert len(audit) == 1 and audit[0].after["user_id"] == walk_in and audit[0].before is None
    view = api.get(f"{API}/{tid}", "admin").get_json()
    assert view["confirmed_count"] == 1  # a walk-in holds no seat

    summary = api.post(f"{API}/{tid}/complete", "admin").get_json()
    assert (summary["attendees"], summary["credited"], summary["no_shows"]) == (1, 1, 1)
    assert balance(query, "resident-9") == 10 and balance(query, "resident-4") == 0
    late = api.post(f"{API}/{tid}/attendance", "admin", json=body)
    assert late.status_code == 409 and error_code(late) == "attendance_already_credited"


# ---- completion -------------------------------------------------------------------------


def test_complete_credits_each_attendee_once_and_records_no_shows(api, seeded, query, frozen):
    people = ["resident-4", "resident-5", "resident-6"]
    task = signed_up_task(api, query, people, radius_m=None)
    tid = task["id"]
    resp = api.post(f"{API}/{tid}/complete", "admin")
    assert resp.status_code == 409 and error_code(resp) == "task_not_started"
    frozen.set(STARTS + timedelta(minutes=1))
    for who in people[:2]:
        api.post(f"{API}/{tid}/checkin", who, json={"token": code(api, tid)})
    assert api.post(f"{API}/{tid}/complete", "resident-4").status_code == 403

    first = api.post(f"{API}/{tid}/complete", "admin")
    assert first.status_code == 200
    assert first.get_json() == {
        "task_id": tid,
        "status": "completed",
        "attendees": 2,
        "credited": 2,
        "no_shows": 1,
        "points_total": 20,
        "newly_credited": 2,
        "points_credited": 20,
        "awaiting_second_person": 0,
    }
    second = api.post(f"{API}/{tid}/complete", "admin").get_json()
    assert second["newly_credited"] == 0 and second["points_credited"] == 0
    assert second["credited"] == 2
    assert [balance(query, p) for p in people] == [10, 10, 0]
    entries = query(
        lambda s: s.scalars(
            select(LedgerEntry).where(LedgerEntry.cause_type == "task_attendance")
        ).all()
    )
    assert sorted(e.idempotency_key for e in entries) == sorted(
        f"task:{tid}:attendee:{user_id(query, p)}" for p in people[:2]
    )
    assert {e.reason for e in entries} == {"志愿服务：垃圾分类志愿督导"}
    outcomes = query(
        lambda s: dict(
            s.execute(
                select(TaskSignup.user_id, TaskSignup.outcome).where(TaskSignup.task_id == tid)
            ).all()
        )
    )
    assert outcomes[user_id(query, "resident-6")] == "no_show"
    assert outcomes[user_id(query, "resident-4")] == "attended"

    view = api.get(f"{API}/{tid}", "resident-4").get_json()
    assert view["status"] == "completed" and view["my_attendance"]["points"] == 10
    late = api.post(f"{API}/{tid}/checkin", "resident-6", json={"token": "x"})
    assert late.status_code == 409 and error_code(late) == "task_not_open"
    assert api.get(f"{API}/{tid}/checkin-code", "admin").status_code == 409

    # Someone marked by hand afterwards is credited by the next completion, and only they are.
    api.post(f"{API}/{tid}/attendance", "admin", json={"user_id": user_id(query, "resident-6")})
    third = api.post(f"{API}/{tid}/complete", "admin").get_json()
    assert (third["newly_credited"], third["no_shows"], third["credited"]) == (1, 0, 3)
    assert [balance(query, p) for p in people] == [10, 10, 10]


def test_completion_service_is_idempotent_even_if_attendance_flags_are_lost(
    app, api, seeded, query, frozen
):
    task = signed_up_task(api, query, ["resident-4"], radius_m=None)
    frozen.set(STARTS + timedelta(minutes=1))
    api.post(f"{API}/{task['id']}/checkin", "resident-4", json={"token": code(api, task["id"])})
    with app.app_context():
        completion.complete_task(load_user("admin"), task["id"])
        db.session.remove()
    # Simulate a crash that lost our own bookkeeping: the ledger key still guards the credit.
    with app.app_context():
        db.session.execute(
            TaskAttendance.__table__.update().values(credited_at=None, ledger_entry_id=None)
        )
        db.session.commit()
        summary = completion.complete_task(load_user("admin"), task["id"])
        db.session.remove()
    assert summary["credited"] == 1
    assert balance(query, "resident-4") == 10


def test_cancelled_task_cannot_be_completed(api, seeded, query, frozen):
    task = signed_up_task(api, query, ["resident-4"])
    api.post(f"{API}/{task['id']}/cancel", "admin", json={"reason": "场地维修"})
    frozen.set(STARTS + timedelta(minutes=1))
    resp = api.post(f"{API}/{task['id']}/complete", "admin")
    assert resp.status_code == 409 and error_code(resp) == "task_cancelled"


# ---- hours and the yearly record ------------------------------------------------------


def test_hours_and_yearly_record(api, seeded, query, frozen):
    task = signed_up_task(api, query, ["resident-4"], radius_m=None)
    frozen.set(STARTS)
    api.post(f"{API}/{task['id']}/checkin", "resident-4", json={"token": code(api, task["id"])})
    frozen.set(STARTS + timedelta(minutes=90))
    api.post(f"{API}/{task['id']}/checkout", "resident-4", json={"token": code(api, task["id"])})
    assert api.get(f"{API}/me/hours", "resident-4").get_json() == {
        "this_year": 0.0,
        "lifetime": 0.0,
    }
    api.post(f"{API}/{task['id']}/complete", "admin")
    assert api.get(f"{API}/me/hours", "resident-4").get_json() == {
        "this_year": 1.5,
        "lifetime": 1.5,
    }
    frozen.set(datetime(2027, 3, 1, tzinfo=UTC))
    assert api.get(f"{API}/me/hours", "resident-4").get_json() == {
        "this_year": 0.0,
        "lifetime": 1.5,
    }
    frozen.set(STARTS + timedelta(days=1))

    resp = api.get(f"{API}/me/record?year=2026", "resident-4")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF") and len(resp.data) > 1000
    assert "attachment" in resp.headers["Content-Disposition"]
    with api.client.application.app_context():
        from server.tasks.volunteer_record_pdf import yearly_rows

        rows = yearly_rows(load_user("resident-4"), 2026)
        assert rows == [
            {
                "date": "2026-06-02",
                "title": "垃圾分类志愿督导",
                "place": "幸福里 3 号投放点",
                "hours": 1.5,
                "points": 10,
            }
        ]
        assert yearly_rows(load_user("resident-5"), 2026) == []
        db.session.remove()
    empty = api.get(f"{API}/me/record", "resident-5")  # default: this year; nothing yet
    assert empty.status_code == 200 and empty.data.startswith(b"%PDF")
    resp = api.get(f"{API}/me/record?year=2030", "resident-4")
    assert resp.status_code == 422 and error_code(resp) == "invalid_year"
    assert api.get(f"{API}/me/record?year=abc", "resident-4").status_code == 422
    assert api.get(f"{API}/me/record").status_code == 401
