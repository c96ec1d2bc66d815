"""The authorisation matrix: every contract operation as every actor (docs/authz.md).

Refused actors must get the table's refusal and change nothing (every table compared before and
after); the table's allowed actor must succeed once. The counts print with -s / in the summary.
"""

import pytest

from tests.authz import contract
from tests.authz.table import TABLE
from tests.authz.walk import (
    DEMO_ONLY,
    OUTSIDE,
    OWNER_ONLY,
    key,
    leak_cases,
    query_variants,
    refusal_cases,
    send,
    success_cases,
)
from tests.authz.world import IDENTITIES, REFUSABLE

REFUSALS = refusal_cases()
SUCCESSES = success_cases()


def test_table_and_contract_name_the_same_operations():
    in_contract = {key(m, p) for m, p in contract.operations()}
    missing = sorted(in_contract - set(TABLE))
    stale = sorted(set(TABLE) - in_contract)
    assert not missing, f"contract operations missing from tests/authz/table.py: {missing}"
    assert not stale, f"table entries the contract no longer has: {stale}"
    print(
        f"\nauthz matrix: {len(in_contract)} operations, {len(REFUSALS)} refusals and "
        f"{len(SUCCESSES)} successes walked"
    )


def test_table_names_only_known_actors():
    known = set(REFUSABLE) | set(IDENTITIES)
    for name, rule in TABLE.items():
        named = set(rule.allow) | set(rule.refuse) | ({rule.by} if rule.by else set())
        assert named <= known, f"{name} names unknown actors {sorted(named - known)}"
        assert not set(rule.refuse) & set(rule.allow), f"{name} refuses an allowed actor"


def _body(resp):
    return resp.get_json(silent=True) or resp.get_data()[:200]


@pytest.mark.parametrize(("method", "path", "actor"), REFUSALS, ids=lambda v: v)
def test_refused(matrix_world, method, path, actor):
    rule = TABLE[key(method, path)]
    resp = send(matrix_world, method, path, actor)
    changed = matrix_world.settle()
    expected = rule.expected_refusal(actor)
    assert resp.status_code in expected, (
        f"{method} {path} as {actor}: {resp.status_code}, expected {sorted(expected)}: "
        f"{_body(resp)}"
    )
    changed = [line for line in changed if line.split(":")[0] not in rule.writes]
    assert not changed, f"{method} {path} as {actor} was refused but wrote: {changed}"


@pytest.mark.parametrize(("method", "path", "actor"), SUCCESSES, ids=lambda v: v)
def test_allowed(matrix_world, method, path, actor):
    resp = send(matrix_world, method, path, actor)
    matrix_world.settle()
    assert 200 <= resp.status_code < 400, (
        f"{method} {path} as {actor}: {resp.status_code}: {_body(resp)}"
    )


@pytest.mark.parametrize(
    ("path", "actor", "marker"),
    [
        ("/points/claims", "owner", "督导垃圾分类一小时"),
        ("/grid/reports", "owner", "楼道堆放杂物"),
        ("/wishes/{wish_id}", "owner", "帮独居的奶奶"),
        ("/card-holders/{holder_id}", "grid", "刘*兰"),
        ("/merchants", "owner", "幸福社区积分超市"),
        ("/tasks", "resident", "河道巡护"),
    ],
)
def test_the_markers_are_seen_where_they_belong(matrix_world, path, actor, marker):
    """Keeps the leak check honest: its markers do show up for those who may see them."""
    resp = send(matrix_world, "GET", path, actor)
    assert resp.status_code == 200 and marker in resp.get_data(as_text=True), marker


@pytest.mark.parametrize(("method", "path", "actor"), leak_cases(), ids=lambda v: v)
def test_reads_show_nothing_that_is_not_theirs(matrix_world, method, path, actor):
    """Plain, and with every filter the contract offers (scope=community, grid_id=ours...)."""
    markers = DEMO_ONLY if actor in OUTSIDE else OWNER_ONLY
    for query in query_variants(method, path, matrix_world.ids):
        resp = send(matrix_world, method, path, actor, query=query)
        assert resp.status_code < 500, (path, query, resp.status_code)
        text = resp.get_data(as_text=True) if resp.is_json else ""
        seen = [marker for marker in markers if marker in text]
        assert not seen, f"{method} {path}?{query} as {actor} shows {seen}: {text[:300]}"


def test_the_holders_grid_worker_may_act_for_them(matrix_world):
    """Keeps the acting refusals honest: the same request from grid-1 acts for the holder."""
    ids = matrix_world.ids
    resp = matrix_world.caller.call(
        "POST",
        f"/tasks/{ids.task_id}/signups",
        "grid",
        headers={"X-Acting-For": str(ids.holder_id)},
    )
    matrix_world.settle()
    assert resp.status_code in (200, 201), resp.get_json()
