"""Seats under a real rush, on PostgreSQL: threads released together, each with its own session.

Sign-ups and cancels go through the functions the routes call, on the one transactional path.
"""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.db.session import db
from server.http.errors import AppError
from server.outbox.models import OutboxEvent
from server.points.ledger_models import LedgerEntry
from server.tasks import completion, signup
from server.tasks.models import TaskAttendance, TaskSignup
from tests.tasks.test_tasks_support import (
    T0,
    Clock,
    community_id,
    create_task,
    invariants,
    load_user,
    make_residents,
)

pytestmark = pytest.mark.postgres
API = "/api/v1/tasks"


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def run_together(app, fns):
    """Run each fn() in its own thread, app context and session, released by one Barrier."""
    barrier = threading.Barrier(len(fns))
    results = [None] * len(fns)

    def worker(i, fn):
        with app.app_context():
            try:
                barrier.wait()
                results[i] = fn()
            except AppError as exc:
                db.session.rollback()
                results[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported to the test, not swallowed
                db.session.rollback()
                results[i] = f"ERROR {type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


def signs_up(uid, task_id):
    """A sign-up as the route makes it: the whole answer, or the refusal's code."""
    return lambda: signup.sign_up_as(uid, task_id)


def cancels(uid, task_id):
    return lambda: signup.cancel_signup_as(uid, task_id)["was"]


def statuses(results):
    return [r["status"] if isinstance(r, dict) else r for r in results]


def signup_events(query, task_id):
    """(event type, user id) of every sign-up event of the task, in the order written."""
    return query(
        lambda s: [
            (e.event_type, e.payload["user_id"])
            for e in s.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.aggregate_id == str(task_id))
                .where(OutboxEvent.event_type.like("task.signup.%"))
                .order_by(OutboxEvent.id)
            )
        ]
    )


def order_of(query, task_id, status):
    return query(
        lambda s: s.scalars(
            select(TaskSignup.user_id)
            .where(TaskSignup.task_id == task_id, TaskSignup.status == status)
            .order_by(TaskSignup.seq)
        ).all()
    )


def test_200_threads_rush_a_20_seat_task(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=20)
    people = make_residents(app, community_id(query), 200)
    results = run_together(app, [signs_up(uid, task["id"]) for uid in people])
    assert statuses(results).count("confirmed") == 20, results
    assert statuses(results).count("waitlisted") == 180, results
    row, counts = invariants(query, task["id"])
    assert (row.confirmed_count, row.waitlisted_count, row.signup_seq) == (20, 180, 200)
    # The sign-up order is the order seats were taken: the first 20 numbers are the seats.
    rows = query(
        lambda s: {
            r.id: (r.user_id, r.status, r.seq)
            for r in s.scalars(select(TaskSignup).where(TaskSignup.task_id == task["id"]))
        }
    )
    assert sorted(seq for _, status, seq in rows.values() if status == "confirmed") == list(
        range(1, 21)
    )
    # Every answer is its row, each waitlisted answer a distinct place in line.
    assert {r["id"]: r["status"] for r in results} == {k: v[1] for k, v in rows.items()}
    positions = sorted(r["waitlist_position"] for r in results if r["status"] == "waitlisted")
    assert positions == list(range(1, 181))
    # Exactly one event per sign-up, of its status.
    told = Counter(signup_events(query, task["id"]))
    assert told == Counter((f"task.signup.{status}", uid) for uid, status, _ in rows.values())


def test_cancellations_under_load_promote_in_order(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=20)
    people = make_residents(app, community_id(query), 80)
    for uid in people[:60]:  # sequential: a known sign-up order
        with app.app_context():
            signup.sign_up_as(uid, task["id"])
            db.session.remove()
    confirmed = order_of(query, task["id"], "confirmed")
    waitlist = order_of(query, task["id"], "waitlisted")
    assert confirmed == people[:20] and waitlist == people[20:60]

    # 15 confirmed people leave while 20 newcomers rush in.
    leavers = confirmed[:15]
    fns = [cancels(uid, task["id"]) for uid in leavers]
    fns += [signs_up(uid, task["id"]) for uid in people[60:]]
    results = statuses(run_together(app, fns))
    assert results[:15] == ["confirmed"] * 15, results
    assert results[15:] == ["waitlisted"] * 20, results  # a free seat never skips the queue

    row, counts = invariants(query, task["id"])
    assert (row.confirmed_count, row.waitlisted_count) == (20, 45)
    now_confirmed = set(order_of(query, task["id"], "confirmed"))
    assert now_confirmed == set(confirmed[15:]) | set(waitlist[:15])
    remaining = order_of(query, task["id"], "waitlisted")
    assert remaining[:25] == waitlist[15:]
    assert set(remaining[25:]) == set(people[60:])
    promoted = [uid for kind, uid in signup_events(query, task["id"]) if kind.endswith("promoted")]
    assert sorted(promoted) == sorted(waitlist[:15])  # each promoted once, and told once


def test_one_person_double_tapping_gets_one_signup(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=5)
    with app.app_context():
        uid = load_user("resident-4").id
        db.session.remove()
    results = statuses(run_together(app, [signs_up(uid, task["id"]) for _ in range(12)]))
    assert results.count("confirmed") == 1, results
    assert results.count("already_signed_up") == 11, results
    row, counts = invariants(query, task["id"])
    assert (row.confirmed_count, row.signup_seq) == (1, 1) and counts == {"confirmed": 1}
    assert signup_events(query, task["id"]) == [("task.signup.confirmed", uid)]


def test_double_tap_after_cancelling_reuses_the_signup_once(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=5)
    with app.app_context():
        uid = load_user("resident-4").id
        first = signup.sign_up_as(uid, task["id"])
        signup.cancel_signup_as(uid, task["id"])
        db.session.remove()
    results = run_together(app, [signs_up(uid, task["id"]) for _ in range(8)])
    winners = [r for r in results if isinstance(r, dict)]
    assert len(winners) == 1 and winners[0]["id"] == first["id"], results
    assert results.count("already_signed_up") == 7, results
    row, counts = invariants(query, task["id"])
    assert (row.confirmed_count, row.signup_seq) == (1, 2) and counts == {"confirmed": 1}
    kinds = [kind for kind, _ in signup_events(query, task["id"])]
    assert kinds == ["task.signup.confirmed", "task.signup.cancelled", "task.signup.confirmed"]


def test_concurrent_completions_credit_each_attendee_once(app, api, seeded, query, frozen):
    task = create_task(api, query, capacity=30, radius_m=None)
    people = make_residents(app, community_id(query), 30)
    for uid in people:
        with app.app_context():
            signup.sign_up_as(uid, task["id"])
            db.session.remove()
    frozen.set(T0 + timedelta(days=1, minutes=5))
    with app.app_context():
        admin = load_user("admin")
        for uid in people:
            from server.tasks.attendance import mark_attendance

            mark_attendance(admin, task["id"], uid)
        admin_id = admin.id
        db.session.remove()

    def complete():
        return completion.complete_task(db.session.get(User, admin_id), task["id"])[
            "newly_credited"
        ]

    results = run_together(app, [complete for _ in range(8)])
    assert sorted(results) == [0] * 7 + [30], results
    entries = query(
        lambda s: s.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(LedgerEntry.cause_type == "task_attendance")
        )
    )
    assert entries == 30
    credited = query(
        lambda s: s.scalar(
            select(func.count())
            .select_from(TaskAttendance)
            .where(TaskAttendance.credited_at.is_not(None))
        )
    )
    assert credited == 30
