"""One Idempotency-Key behaviour on every POST that takes the header (docs/idempotency.md).

For each: the first request's status and body are replayed for the same key (and nothing
happens again), the same key with another request is 422 idempotency_key_reused, and while the
first is in flight a duplicate is 409 idempotency_in_flight. The list of cases must name every
route marked `idempotent` and every POST with money-like effects.
"""

from datetime import timedelta

import pytest
from sqlalchemy import update

from server.db.types import utcnow
from server.http import idempotency
from server.http.idempotency import IdempotencyRecord
from tests.claims_helpers import upload_dir  # noqa: F401 (fixture)
from tests.conftest import error_code
from tests.contract import idempotency_grid_cases as grid
from tests.contract.idempotency_cases import (
    World,
    adjust,
    approve_claim,
    batch_decide,
    card_redeem,
    complete_task,
    effects,
    register_holder,
    reject_claim,
    reserve,
    resubmit_claim,
    reverse,
    send,
    submit_claim,
    verify,
)
from tests.tasks.test_tasks_support import Clock

# Every route that takes Idempotency-Key, by its scope; money-like effects marked.
CASES = {
    "cards.holders": register_holder,
    "cards.redeem": card_redeem,  # holds and debits
    "points.claims": submit_claim,
    "points.claims.approve": approve_claim,  # credits
    "points.claims.reject": reject_claim,
    "points.claims.resubmit": resubmit_claim,
    "points.claims.batch_decide": batch_decide,  # credits
    "points.adjustments": adjust,  # credits or debits
    "points.reverse": reverse,  # credits or debits
    "rewards.redemptions": reserve,  # holds
    "rewards.verify": verify,  # debits
    "tasks.complete": complete_task,  # credits
    "grid.service_logs": grid.record_service,  # credits (automatic items)
    "grid.service_logs.approve": grid.approve_service_log,  # credits
    "grid.service_logs.reject": grid.reject_service_log,
    "grid.reports": grid.post_report,
    "grid.reports.accept": grid.accept_report,  # credits the reporter
    "wishes.create": grid.create_wish,
    "wishes.cancel": grid.cancel_wish,
    "wishes.approve": grid.approve_wish,
    "wishes.reject": grid.reject_wish,
    "wishes.claim": grid.claim_wish,
    "wishes.hand_back": grid.hand_back_wish,
    "wishes.fulfil": grid.fulfil_wish,
    "wishes.confirm": grid.confirm_wish,  # credits the fulfiller
}
MONEY_LIKE = {
    ("POST", "/api/v1/points/claims/<int:claim_id>/approve"),
    ("POST", "/api/v1/points/claims/batch-decide"),
    ("POST", "/api/v1/points/adjustments"),
    ("POST", "/api/v1/points/adjustments/<int:entry_id>/reverse"),
    ("POST", "/api/v1/redemptions"),
    ("POST", "/api/v1/merchant/verify"),
    ("POST", "/api/v1/merchant/card-redemptions"),
    ("POST", "/api/v1/tasks/<int:task_id>/complete"),
    ("POST", "/api/v1/grid/service-logs"),
    ("POST", "/api/v1/grid/service-logs/<int:log_id>/approve"),
    ("POST", "/api/v1/grid/reports/<int:report_id>/accept"),
    ("POST", "/api/v1/wishes/<int:wish_id>/confirm"),
}


def idempotent_routes(app) -> dict:
    out = {}
    for rule in app.url_map.iter_rules():
        scope = getattr(app.view_functions[rule.endpoint], "idempotency_scope", None)
        if scope is not None:
            out[scope] = {(m, rule.rule) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_the_cases_cover_every_idempotent_route_and_every_money_like_post(app):
    routes = idempotent_routes(app)
    assert set(routes) == set(CASES)
    assert all(methods == {m for m in methods if m[0] == "POST"} for methods in routes.values())
    assert MONEY_LIKE <= set().union(*routes.values())


def test_every_idempotent_route_documents_the_header(app):
    spec = app.extensions["redpoints_api"].spec.to_dict()
    documented = {
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict)
        and any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))
    }
    routes = set().union(*idempotent_routes(app).values())
    as_openapi = {(m, r.replace("<int:", "{").replace(">", "}")) for m, r in routes}
    assert documented == as_openapi


@pytest.mark.usefixtures("upload_dir")
@pytest.mark.parametrize("scope", sorted(CASES))
def test_the_same_key_replays_refuses_reuse_and_waits_for_the_first(
    app, api, seeded, query, monkeypatch, scope
):
    w = World(app, api, query, Clock(monkeypatch))
    case = CASES[scope](w)
    first = send(api, case.first, "key-1")
    assert 200 <= first.status_code < 300, first.get_json()
    after_first = effects(query)

    replay = send(api, case.first, "key-1")
    assert (replay.status_code, replay.get_json()) == (first.status_code, first.get_json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert effects(query) == after_first

    reused = send(api, case.other, "key-1")
    assert reused.status_code == 422 and error_code(reused) == "idempotency_key_reused"
    assert effects(query) == after_first

    def in_flight(s):
        s.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "key-1")
            .values(status="in_flight", created_at=utcnow())
        )
        s.commit()

    query(in_flight)
    busy = send(api, case.first, "key-1")
    assert busy.status_code == 409 and error_code(busy) == "idempotency_in_flight"
    assert effects(query) == after_first


@pytest.mark.parametrize("key", ["x" * 65, "有中文", "with space", ""])
def test_a_malformed_key_is_refused_alike_everywhere(app, api, seeded, query, monkeypatch, key):
    w = World(app, api, query, Clock(monkeypatch))
    for scope in ("points.adjustments", "rewards.redemptions"):
        case = CASES[scope](w)
        before = effects(query)
        resp = send(api, case.first, key)
        assert resp.status_code == 422 and error_code(resp) == "invalid_idempotency_key", scope
        assert effects(query) == before


class Crash(BaseException):
    """The worker dying: not an error the app could answer."""


@pytest.mark.usefixtures("upload_dir")
@pytest.mark.parametrize("scope", sorted(CASES))
def test_a_crash_before_the_answer_is_stored_leaves_no_effect_and_a_retry_runs_once(
    app, api, seeded, query, monkeypatch, scope
):
    """The effect and the stored answer commit together: a worker dying before that commit
    leaves nothing done (tests/faults/test_crash_retry.py kills real gunicorn workers); the
    retry, once the marker is stale, runs the request and its answer is replayed after."""
    w = World(app, api, query, Clock(monkeypatch))
    case = CASES[scope](w)
    before = effects(query)

    def die(*_args):
        raise Crash()

    with monkeypatch.context() as m:
        m.setattr(idempotency, "_store_answer", die)
        with pytest.raises(Crash):
            send(api, case.first, "key-1")
    assert effects(query) == before

    def stale(s):
        s.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "key-1")
            .values(created_at=utcnow() - timedelta(hours=1))
        )
        s.commit()

    query(stale)
    first = send(api, case.first, "key-1")
    assert 200 <= first.status_code < 300, first.get_json()
    after_first = effects(query)
    assert after_first != before
    replay = send(api, case.first, "key-1")
    assert (replay.status_code, replay.get_json()) == (first.status_code, first.get_json())
    assert effects(query) == after_first
