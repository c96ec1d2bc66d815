"""Idempotent POSTs racing on PostgreSQL through HTTP: each request's commits are held back
until its stored answer commits with them (server/db/deferred_commits.py), so these prove the
hold-back neither breaks the one-time rules nor deadlocks when threads collide."""

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from server.rewards.models import Redemption
from tests.ledger_helpers import check_invariants
from tests.rewards.test_rewards_support import give_points, make_offer

pytestmark = pytest.mark.postgres


def together(app, calls: list[tuple[dict, dict]]) -> list:
    """POST /redemptions for each (headers, body), released by one barrier, each thread with
    its own client (and so its own session and connection)."""
    barrier = threading.Barrier(len(calls))
    answers = [None] * len(calls)

    def one(i, headers, body):
        client = app.test_client()
        barrier.wait()
        resp = client.post("/api/v1/redemptions", json=body, headers=headers)
        answers[i] = (resp.status_code, resp.get_json())

    threads = [threading.Thread(target=one, args=(i, h, b)) for i, (h, b) in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return answers


def test_twelve_residents_racing_for_five_items_with_their_own_keys(app, api, seeded, query):
    offer = make_offer(app, points_cost=10, stock=5)
    people = [f"resident-{n}" for n in range(1, 13)]
    for who in people:
        give_points(app, who, 50)
    calls = [
        ({**api.headers(who), "Idempotency-Key": f"race-{who}"}, {"offer_id": offer})
        for who in people
    ]
    answers = together(app, calls)
    codes = Counter(status for status, _ in answers)
    assert codes[201] == 5 and codes[201] + codes[409] == 12, answers
    assert {body["error"]["code"] for status, body in answers if status == 409} == {"out_of_stock"}
    made = query(lambda s: s.scalar(select(func.count()).where(Redemption.offer_id == offer)))
    assert made == 5
    query(check_invariants)
    # Each winner's key now replays its answer; each loser's was freed and runs again.
    again = together(app, calls)
    assert sorted(a[0] for a in again) == sorted(a[0] for a in answers)
    assert [a for a in again if a[0] == 201] == [a for a in answers if a[0] == 201]


def test_one_resident_tapping_eight_times_with_one_key_reserves_once(app, api, seeded, query):
    offer = make_offer(app, points_cost=10, stock=50)
    give_points(app, "resident-1", 100)
    headers = {**api.headers("resident-1"), "Idempotency-Key": "one-tap-eight-times"}
    answers = together(app, [(headers, {"offer_id": offer})] * 8)
    first = [body for status, body in answers if status == 201]
    busy = [body for status, body in answers if status == 409]
    assert len(first) + len(busy) == 8 and first, answers
    assert {b["error"]["code"] for b in busy} <= {"idempotency_in_flight"}
    assert all(body == first[0] for body in first)  # replays of the one answer
    made = query(lambda s: s.scalar(select(func.count()).where(Redemption.offer_id == offer)))
    assert made == 1
    query(check_invariants)
