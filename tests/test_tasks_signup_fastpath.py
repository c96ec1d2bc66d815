"""The sign-up fast path: on PostgreSQL one autocommit statement that checks and signs up.

The HTTP tests run on both databases; the rush tests call `sign_up_as` from fresh app
contexts, as a request does, so on PostgreSQL they take the single-statement path under
real contention (tests/test_tasks_concurrency.py covers the transactional path).
"""

import json
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from server.auth.models import User
from server.auth.tokens import issue_access_token
from server.db.session import db
from server.db.types import MAX_ID
from server.http.errors import NotFound
from server.notify.models import OutboxEvent
from server.tasks import routes, signup
from server.tasks.models import TaskSignup
from server.tasks.schemas import TaskSignupSchema
from tests.conftest import error_code
from tests.test_tasks_concurrency import invariants, run_together
from tests.test_tasks_support import (
    T0,
    Clock,
    community_id,
    create_task,
    grid_id,
    make_other_community,
    make_residents,
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


# ---- both databases --------------------------------------------------------------------


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
        "signed_up_at": first["signed_up_at"],
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


def test_a_deactivated_or_unknown_caller_gets_401(app, api, seeded, query, frozen):
    task = create_task(api, query)
    url = f"{API}/{task['id']}/signups"
    assert api.post(url, "resident-4").status_code == 201
    uid = user_id(query, "resident-4")

    def deactivate(s):
        s.execute(update(User).where(User.id == uid).values(is_active=False))
        s.commit()

    query(deactivate)
    for resp in (api.post(url, "resident-4"), api.delete(f"{url}/me", "resident-4")):
        assert resp.status_code == 401 and error_code(resp) == "token_invalid"
    with app.app_context():
        ghost = issue_access_token(MAX_ID)[0]
    headers = {"Authorization": f"Bearer {ghost}"}
    for resp in (api.post(url, headers=headers), api.delete(f"{url}/me", headers=headers)):
        assert resp.status_code == 401 and error_code(resp) == "token_invalid"
    missing = api.post(f"{API}/999999/signups", headers=headers)
    assert missing.status_code == 401  # who asks is checked before what is asked for
    assert seats(query, task["id"]) == (1, 0, 1)


def test_party_audience_messages(api, seeded, query, frozen):
    kind = create_task(api, query, audience="party_members", audience_party_kind="在职")
    resp = api.post(f"{API}/{kind['id']}/signups", "resident-2")  # 自管
    assert resp.status_code == 403
    assert resp.get_json()["error"]["message"] == "该任务仅限在职党员报名"
    resp = api.post(f"{API}/{kind['id']}/signups", "resident-5")  # no party grant
    assert resp.status_code == 403
    assert resp.get_json()["error"]["message"] == "该任务仅限党员报名"
    any_kind = create_task(api, query, audience="party_members")
    assert api.post(f"{API}/{any_kind['id']}/signups", "resident-2").status_code == 201
    resp = api.post(f"{API}/{any_kind['id']}/signups", "resident-5")
    assert resp.status_code == 403 and error_code(resp) == "audience_mismatch"


def test_cancel_checks_come_before_the_lock(api, seeded, query, frozen):
    task = create_task(api, query, capacity=1)
    url = f"{API}/{task['id']}/signups"
    none = api.delete(f"{url}/me", "resident-4")
    assert none.status_code == 404 and error_code(none) == "not_signed_up"
    assert api.delete(f"{API}/999999/signups/me", "resident-4").status_code == 404
    api.post(url, "resident-4")
    api.post(url, "resident-5")
    assert api.delete(f"{url}/me", "resident-5").get_json() == {
        "task_id": task["id"],
        "status": "cancelled",
        "was": "waitlisted",
        "promoted_user_ids": [],
    }
    gone = api.delete(f"{url}/me", "resident-5")
    assert gone.status_code == 404 and error_code(gone) == "not_signed_up"
    assert seats(query, task["id"]) == (1, 0, 2)


def test_signup_response_is_the_schema_dump(app):
    # The view skips marshmallow; its bytes must stay what the schema and jsonify would send.
    with app.test_request_context():
        for waiting in (0, 3):
            view = signup._signup_view(7, 9, waiting, T0 + timedelta(microseconds=5))
            resp = routes._signup_response(view)
            expected = app.json.response(TaskSignupSchema().dump(view))
            assert resp.status_code == 201
            assert resp.mimetype == expected.mimetype
            assert resp.get_data() == expected.get_data()
        assert json.loads(resp.get_data())["waitlist_position"] == 3


def test_out_of_range_task_id_does_not_reach_sql(app, seeded, query, frozen):
    uid = user_id(query, "resident-4")
    with app.app_context():
        for call in (signup.sign_up_as, signup.cancel_signup_as):
            with pytest.raises(NotFound):
                call(uid, MAX_ID + 1)
            db.session.remove()


# ---- PostgreSQL: the single statement ------------------------------------------------


def record_statements(app):
    """Start recording (first word, autocommit?) of every statement; returns (seen, stop)."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0], conn.connection.dbapi_connection.autocommit))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(engine, "before_cursor_execute", record)


@pytest.mark.postgres
def test_an_http_signup_is_one_autocommit_statement(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=1)
    api.headers("resident-4")  # log in first: only the sign-up is counted
    seen, stop = record_statements(app)
    try:
        resp = api.post(f"{API}/{task['id']}/signups", "resident-4")
    finally:
        stop()
    assert resp.status_code == 201
    assert seen == [("WITH", True)]


@pytest.mark.postgres
def test_the_single_statement_refuses_what_the_checks_refuse(app, api, seeded, query, frozen):
    """Each refusal writes nothing and is explained by the context read; each pass is one trip.

    The SQL gate of the single statement repeats the Python checks; a gate laxer than them
    would commit a sign-up the API then refuses, a stricter one would cost a second trip.
    """
    make_other_community(app)
    everyone = create_task(api, query)
    grid = create_task(api, query, audience="grid", audience_grid_id=grid_id(query, "g2"))
    kind = create_task(api, query, audience="party_members", audience_party_kind="在职")
    party = create_task(api, query, audience="party_members")
    closing = create_task(api, query, signup_deadline=(T0 + timedelta(hours=1)).isoformat())
    cancelled = create_task(api, query)
    api.post(f"{API}/{cancelled['id']}/cancel", "admin", json={"reason": "暴雨预警"})
    people = ("resident-1", "resident-2", "resident-5", "stranger", "newcomer")
    for who in people:
        api.headers(who)  # log in first: only the sign-ups are counted

    def attempt(task_id, who):
        seen, stop = record_statements(app)
        try:
            resp = api.post(f"{API}/{task_id}/signups", who)
        finally:
            stop()
        assert all(autocommit for _, autocommit in seen), seen
        outcome = resp.status_code if resp.status_code == 201 else error_code(resp)
        return outcome, [first for first, _ in seen]

    refused = ["WITH", "SELECT"]
    assert attempt(grid["id"], "resident-1") == ("audience_mismatch", refused)  # lives in g1
    assert attempt(grid["id"], "resident-2") == (201, ["WITH"])
    assert attempt(grid["id"], "resident-2") == ("already_signed_up", refused)
    assert attempt(kind["id"], "resident-2") == ("audience_mismatch", refused)  # 自管
    assert attempt(kind["id"], "resident-5") == ("audience_mismatch", refused)  # no grant
    assert attempt(kind["id"], "resident-1") == (201, ["WITH"])  # 在职
    assert attempt(party["id"], "resident-5") == ("audience_mismatch", refused)
    assert attempt(party["id"], "resident-2") == (201, ["WITH"])
    assert attempt(everyone["id"], "stranger") == ("task_not_found", refused)
    assert attempt(everyone["id"], "newcomer") == ("not_a_member", refused)
    assert attempt(999999, "resident-1") == ("task_not_found", refused)
    assert attempt(cancelled["id"], "resident-1") == ("task_not_open", refused)
    frozen.advance(hours=2)  # past `closing`'s sign-up deadline
    assert attempt(closing["id"], "resident-1") == ("signup_closed", refused)
    assert attempt(everyone["id"], "resident-5") == (201, ["WITH"])
    for task in (everyone, grid, kind, party):
        assert seats(query, task["id"]) == (1, 0, 1)
        assert len(signup_events(query, task["id"])) == 1
    for task in (closing, cancelled):
        assert seats(query, task["id"]) == (0, 0, 0)
        assert signup_events(query, task["id"]) == []


def sign_up_as(uid, task_id):
    return lambda: signup.sign_up_as(uid, task_id)


@pytest.mark.postgres
def test_rush_through_the_single_statement(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=10)
    people = make_residents(app, community_id(query), 80)
    results = run_together(app, [sign_up_as(uid, task["id"]) for uid in people])
    assert all(isinstance(r, dict) for r in results), results
    statuses = Counter(r["status"] for r in results)
    assert statuses == {"confirmed": 10, "waitlisted": 70}
    positions = sorted(r["waitlist_position"] for r in results if r["status"] == "waitlisted")
    assert positions == list(range(1, 71))
    assert seats(query, task["id"]) == (10, 70, 80)
    # Every answer matches its row, and every sign-up has exactly one event.
    rows = query(
        lambda s: {
            r.id: (r.user_id, r.status)
            for r in s.scalars(select(TaskSignup).where(TaskSignup.task_id == task["id"]))
        }
    )
    assert {r["id"]: r["status"] for r in results} == {k: v[1] for k, v in rows.items()}
    told = Counter((kind, payload["user_id"]) for kind, payload in signup_events(query, task["id"]))
    assert told == Counter((f"task.signup.{status}", uid) for uid, status in rows.values())


@pytest.mark.postgres
def test_double_tap_through_the_single_statement(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=5)
    uid = user_id(query, "resident-4")
    results = run_together(app, [sign_up_as(uid, task["id"]) for _ in range(12)])
    assert sum(isinstance(r, dict) for r in results) == 1, results
    assert results.count("already_signed_up") == 11, results
    assert seats(query, task["id"]) == (1, 0, 1)
    assert len(signup_events(query, task["id"])) == 1


@pytest.mark.postgres
def test_double_tap_after_cancelling(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=5)
    uid = user_id(query, "resident-4")
    first = api.post(f"{API}/{task['id']}/signups", "resident-4").get_json()
    api.delete(f"{API}/{task['id']}/signups/me", "resident-4")
    results = run_together(app, [sign_up_as(uid, task["id"]) for _ in range(8)])
    winners = [r for r in results if isinstance(r, dict)]
    assert len(winners) == 1 and winners[0]["id"] == first["id"], results
    assert results.count("already_signed_up") == 7, results
    assert seats(query, task["id"]) == (1, 0, 2)


@pytest.mark.postgres
def test_cancellations_and_single_statement_signups_keep_the_queue(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=10)
    people = make_residents(app, community_id(query), 40)
    for uid in people[:30]:  # sequential: a known order, 10 seats and 20 waiting
        with app.app_context():
            signup.sign_up_as(uid, task["id"])
    leavers, newcomers = people[:8], people[30:]
    fns = [lambda uid=uid: signup.cancel_signup_as(uid, task["id"])["was"] for uid in leavers]
    fns += [lambda uid=uid: signup.sign_up_as(uid, task["id"])["status"] for uid in newcomers]
    results = run_together(app, fns)
    assert results[:8] == ["confirmed"] * 8, results
    assert results[8:] == ["waitlisted"] * 10, results  # a free seat never skips the queue
    assert seats(query, task["id"]) == (10, 22, 40)
    confirmed = query(
        lambda s: set(
            s.scalars(
                select(TaskSignup.user_id).where(
                    TaskSignup.task_id == task["id"], TaskSignup.status == "confirmed"
                )
            )
        )
    )
    assert confirmed == set(people[8:18])
