"""PostgreSQL stopped under traffic and started again: while it is gone requests fail fast
with 503 `database_unavailable` (never a 500, never a hang), and once it is back the same
gunicorn workers answer again, with no restart, and every balance still equals its ledger."""

import time
from collections import Counter

import pytest
import requests

from tests.faults.test_redis_outage import ledger_disagreements

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("faults")]
FAST = 3.0  # seconds: a refused connection is known at once; nothing should wait for a timeout


def test_postgres_restarted_under_traffic(stack):
    resident = stack.login("resident-11")
    workers = set(stack.api.worker_pids())
    paths = ["/me", "/points/balance", "/offers", "/tasks", "/points/ledger"]
    for path in paths:  # warm: every worker thread has pooled connections to lose
        assert requests.get(stack.url(path), headers=resident, timeout=10).status_code == 200

    stack.pg.stop("fast")
    try:
        down, slowest = Counter(), 0.0
        for _ in range(4):
            for path in paths:
                started = time.monotonic()
                resp = requests.get(stack.url(path), headers=resident, timeout=30)
                slowest = max(slowest, time.monotonic() - started)
                code = resp.json()["error"]["code"] if resp.status_code >= 400 else None
                down[(path, resp.status_code, code)] += 1
        health = requests.get(stack.api.url + "/readyz", timeout=30)
    finally:
        stack.pg.start()

    # /me may come from its Redis copy (server/profile/cache.py); everything else needs the DB.
    assert {(s, c) for p, s, c in down if p != "/me"} == {(503, "database_unavailable")}, down
    assert {(s, c) for p, s, c in down if p == "/me"} <= {
        (503, "database_unavailable"),
        (200, None),
    }
    assert slowest < FAST, slowest
    assert health.status_code == 503

    def recovered() -> bool:
        return all(
            requests.get(stack.url(p), headers=resident, timeout=10).status_code == 200
            for p in paths
        )

    deadline = time.monotonic() + 10
    while not recovered():
        assert time.monotonic() < deadline, "the API did not recover after PostgreSQL returned"
        time.sleep(0.2)
    after = Counter(
        requests.get(stack.url(p), headers=resident, timeout=10).status_code
        for _ in range(5)
        for p in paths
    )
    assert after == {200: 25}
    assert set(stack.api.worker_pids()) == workers  # the same processes, not restarted
    assert ledger_disagreements(stack) == []
