"""The authorisation matrix: every contract operation as every actor (docs/authz.md).

Refused actors must get the table's refusal and change nothing (every table compared before and
after); the table's allowed actor must succeed once. The counts print with -s / in the summary.
"""

import pytest

from tests.authz import contract
from tests.authz.table import TABLE
from tests.authz.walk import key, refusal_cases, send, success_cases

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
