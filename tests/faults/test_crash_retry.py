"""A gunicorn worker SIGKILLed just before or just after the commit of a money-like request; the
client retries with the same `Idempotency-Key`: the effect happens once and the answer the
client finally gets is the one replayed for every later retry.

Before the effect and its stored answer committed together (server/db/deferred_commits.py), a
kill after the effect's commit left the key "in flight" for a minute and then let the retry run
again: a second claim, or 409 claim_already_decided for an approval that had been made.
"""

import time
import uuid
from datetime import date

import pytest
import requests

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("faults")]
KILL = "X-Fault-Kill"  # tests/faults/wsgi.py
SHOP = "幸福社区积分超市"  # merchant-1 is its staff in the demo
RETRY_FOR = 20  # seconds; the stack takes over a crashed request's key after 2 s
MOMENTS = ["before-commit", "after-commit"]


def crash(stack, path: str, headers: dict, key: str, when: str, body: dict) -> None:
    """POST so that the worker dies at `when` (tests/faults/wsgi.py's failpoint)."""
    workers = set(stack.api.worker_pids())
    with pytest.raises(requests.ConnectionError):
        requests.post(
            stack.url(path),
            json=body,
            timeout=30,
            headers={**headers, "Idempotency-Key": key, KILL: when},
        )
    deadline = time.monotonic() + 30  # gunicorn replaces the dead worker
    while workers <= set(stack.api.worker_pids()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not workers <= set(stack.api.worker_pids()), "no worker died"


def retry(stack, path: str, headers: dict, key: str, body: dict):
    """What a client does: the same request and key again, waiting out idempotency_in_flight."""
    deadline = time.monotonic() + RETRY_FOR
    while True:
        resp = requests.post(
            stack.url(path), json=body, timeout=30, headers={**headers, "Idempotency-Key": key}
        )
        if resp.status_code != 409 or time.monotonic() > deadline:
            return resp
        assert resp.json()["error"]["code"] == "idempotency_in_flight"
        time.sleep(float(resp.headers["Retry-After"]))


def account(stack, headers: dict) -> tuple[int, int]:
    body = requests.get(stack.url("/points/balance"), headers=headers, timeout=10).json()
    return body["balance"], body["held"]


def an_offer(stack, headers: dict) -> dict:
    offers = requests.get(stack.url("/offers?limit=100"), headers=headers, timeout=10).json()
    return next(o for o in offers["items"] if o["merchant_name"] == SHOP and o["stock"] > 5)


def reserve(stack, resident):
    return requests.post(
        stack.url("/redemptions"),
        headers=resident,
        timeout=10,
        json={"offer_id": an_offer(stack, resident)["id"]},
    )


def a_claim(stack, resident, nth: int) -> dict:
    """A claim for the catalogue's `nth` item (one claim per item a day is allowed)."""
    items = requests.get(stack.url("/points/items"), headers=resident, timeout=10).json()
    return {
        "item_id": items["items"][nth]["id"],
        "occurred_on": date.today().isoformat(),
        "description": "扶老人过马路",
    }


def own_claims(stack, resident) -> int:
    return len(
        requests.get(stack.url("/points/claims?limit=100"), headers=resident, timeout=10).json()[
            "items"
        ]
    )


def run(stack, when, path, actor, body, sql):
    """Crash, check the effect is all-or-nothing, retry; return (answer, crashed effect?)."""
    key = f"crash-{uuid.uuid4().hex}"
    crash(stack, path, actor, key, f"{when} {sql}", body)
    first = retry(stack, path, actor, key, body)
    assert 200 <= first.status_code < 300, first.text
    # A kill after the commit leaves the stored answer: the very first retry is its replay.
    assert (first.headers.get("Idempotent-Replayed") == "true") == (when == "after-commit")
    again = retry(stack, path, actor, key, body)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert (again.status_code, again.json()) == (first.status_code, first.json())
    return first


@pytest.mark.parametrize("when", MOMENTS)
def test_a_reservation_holds_the_points_once(stack, when):
    resident = stack.login("resident-2")
    offer = an_offer(stack, resident)
    balance, held = account(stack, resident)
    first = run(
        stack, when, "/redemptions", resident, {"offer_id": offer["id"]}, "INSERT INTO redemptions"
    )
    assert first.status_code == 201
    assert account(stack, resident) == (balance, held + offer["points_cost"])


@pytest.mark.parametrize("when", MOMENTS)
def test_a_claim_is_filed_once(stack, when):
    resident = stack.login("resident-6")
    before = own_claims(stack, resident)
    run(
        stack,
        when,
        "/points/claims",
        resident,
        a_claim(stack, resident, MOMENTS.index(when)),
        "INSERT INTO point_claims",
    )
    assert own_claims(stack, resident) == before + 1


@pytest.mark.parametrize("when", MOMENTS)
def test_an_approval_credits_once(stack, when):
    resident, reviewer = stack.login("resident-3"), stack.login("reviewer")
    claim = requests.post(
        stack.url("/points/claims"),
        headers=resident,
        timeout=10,
        json=a_claim(stack, resident, MOMENTS.index(when)),
    )
    assert claim.status_code == 201, claim.text
    balance, held = account(stack, resident)
    first = run(
        stack,
        when,
        f"/points/claims/{claim.json()['id']}/approve",
        reviewer,
        {},
        "INSERT INTO ledger_entries",
    )
    assert first.json()["status"] == "approved"
    assert account(stack, resident) == (balance + claim.json()["points"], held)


@pytest.mark.parametrize("when", MOMENTS)
def test_a_verification_debits_once(stack, when):
    resident, merchant = stack.login("resident-4"), stack.login("merchant-1")
    made = reserve(stack, resident)
    assert made.status_code == 201, made.text
    rid, cost = made.json()["id"], made.json()["points"]
    token = requests.get(stack.url(f"/redemptions/{rid}/code"), headers=resident, timeout=10)
    balance, held = account(stack, resident)
    first = run(
        stack,
        when,
        "/merchant/verify",
        merchant,
        {"token": token.json()["token"]},
        "INSERT INTO ledger_entries",
    )
    assert (first.json()["redemption_id"], first.json()["status"]) == (rid, "redeemed")
    assert account(stack, resident) == (balance - cost, held - cost)
