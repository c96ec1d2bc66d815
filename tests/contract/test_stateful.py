"""Stateful fuzz: schemathesis walks the contract's links through the real flows.

The walk (tests/contract/fuzzing.py) must reach the far ends of the flows, not only collect
404s: each operation in MUST_REACH answers 2xx at least once, and the budget is spent.
"""

import os

import pytest

from tests.contract.fuzzing import MUST_REACH, reached, run_walks

# Scenarios of up to 50 steps; about 2,500 calls in two minutes on PostgreSQL.
SCENARIOS = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "50"))
MIN_CALLS = int(os.environ.get("FUZZ_STATEFUL_MIN_CALLS", "2000"))


# PostgreSQL pass only, as the stateless fuzz: it enforces the types and lengths SQLite lets by.
@pytest.mark.postgres
def test_stateful_walk_keeps_the_contract_through_the_flows(live_url, app, api, seeded):
    # One merchant's staff verify every redemption of the walk: lift the per-staff limit.
    limit = app.config.get("REDEMPTION_VERIFY_RATE_LIMIT")
    app.config["REDEMPTION_VERIFY_RATE_LIMIT"] = "100000 per minute"
    try:
        stats = run_walks(live_url, app, api.headers, scenarios=SCENARIOS)
    finally:
        app.config["REDEMPTION_VERIFY_RATE_LIMIT"] = limit
    succeeded = reached(stats)
    print(f"\nstateful fuzz: {stats['calls']} calls, {len(succeeded)} operations answered 2xx")
    if os.environ.get("FUZZ_DEBUG"):  # what each operation answered, and why it refused
        for key, count in sorted((k, v) for k, v in stats.items() if isinstance(k, tuple)):
            print(key, count)
    assert [op for op in MUST_REACH if op not in succeeded] == []
    assert stats["calls"] >= MIN_CALLS
