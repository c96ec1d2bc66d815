"""The committed contract matches the code, and the API keeps it under fuzzing (schemathesis)."""

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.contract.fuzzing import CONTRACT, EXCLUDED

REGENERATE = (
    "scripts/openapi  (flask --app server openapi write --format json schemas/openapi.json)"
)


def test_committed_openapi_matches_the_code(app):
    with app.app_context():
        live = app.extensions["redpoints_api"].spec.to_dict()
    committed = json.loads(CONTRACT.read_text(encoding="utf-8"))
    live = json.loads(json.dumps(live))  # normalise tuples and the like
    assert committed == live, f"schemas/openapi.json is stale; regenerate it with: {REGENERATE}"


schema = schemathesis.openapi.from_path(str(CONTRACT))

FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@pytest.fixture
def fuzz_tokens(api, seeded):
    return {"resident": api.headers("resident-1"), "admin": api.headers("admin")}


# The fuzz runs once, in the PostgreSQL pass: PostgreSQL enforces column types and lengths that
# SQLite lets through, so it is the stricter target for finding 5xx.
@pytest.mark.postgres
@schema.parametrize()
@FUZZ
def test_api_as_resident_never_breaks_the_contract(case, live_url, fuzz_tokens):
    case.call_and_validate(
        base_url=live_url, headers=fuzz_tokens["resident"], excluded_checks=EXCLUDED
    )


@pytest.mark.postgres
@schema.parametrize()
@FUZZ
def test_api_as_admin_never_breaks_the_contract(case, live_url, fuzz_tokens):
    case.call_and_validate(
        base_url=live_url, headers=fuzz_tokens["admin"], excluded_checks=EXCLUDED
    )
