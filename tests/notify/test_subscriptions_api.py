"""GET/POST /api/v1/me/subscriptions: the templates to ask for, and acceptances counted."""

import pytest

from server.auth.models import User
from server.db.session import db
from server.http.errors import Unprocessable
from server.notify import subscriptions
from server.wechat.subscribe_templates import DEV_TEMPLATE_IDS
from tests.conftest import error_code
from tests.notify import personal_helpers as h

PATH = h.SUBSCRIPTIONS


def test_the_moments_name_at_most_three_templates_and_the_counts_start_at_zero(api, seeded):
    body = api.get(PATH, "resident-1").get_json()
    assert body["moments"]["signup"] == [
        DEV_TEMPLATE_IDS["task_reminder"],
        DEV_TEMPLATE_IDS["task_changed"],
    ]
    assert body["moments"]["claim"] == [DEV_TEMPLATE_IDS["claim_result"]]
    assert body["moments"]["reserve"] == [DEV_TEMPLATE_IDS["redemption"]]
    assert body["moments"]["report"] == [DEV_TEMPLATE_IDS["report_progress"]]
    assert all(1 <= len(ids) <= 3 for ids in body["moments"].values())
    assert {k["kind"]: k["remaining"] for k in body["kinds"]} == dict.fromkeys(DEV_TEMPLATE_IDS, 0)


def test_each_accept_adds_one_and_the_other_answers_add_nothing(api, seeded):
    ids = DEV_TEMPLATE_IDS
    results = {ids["task_reminder"]: "accept", ids["task_changed"]: "reject"}
    resp = api.post(PATH, "resident-1", json={"results": results})
    assert resp.status_code == 200
    h.accept(api, "resident-1", "task_reminder")
    h.accept(api, "resident-1", "claim_result", result="ban")
    h.accept(api, "resident-1", "claim_result", result="filter")
    counts = h.remaining(api, "resident-1")
    assert (counts["task_reminder"], counts["task_changed"], counts["claim_result"]) == (2, 0, 0)
    assert h.remaining(api, "resident-2")["task_reminder"] == 0  # one's own counts only


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"results": {}},
        {"results": {DEV_TEMPLATE_IDS["redemption"]: "maybe"}},
        {"results": {"x" * 65: "accept"}},
        {"results": {f"t{i}": "accept" for i in range(11)}},
        {"results": {DEV_TEMPLATE_IDS["redemption"]: "accept"}, "extra": 1},
    ],
)
def test_malformed_results_are_422_and_count_nothing(api, seeded, body):
    resp = api.post(PATH, "resident-1", json=body)
    assert resp.status_code == 422 and error_code(resp) == "validation_error"
    assert h.remaining(api, "resident-1")["redemption"] == 0


def test_an_unknown_template_is_422_and_counts_nothing_of_the_rest(api, seeded):
    results = {DEV_TEMPLATE_IDS["redemption"]: "accept", "RP-someone-elses": "accept"}
    resp = api.post(PATH, "resident-1", json={"results": results})
    assert resp.status_code == 422 and error_code(resp) == "unknown_template"
    assert resp.get_json()["error"]["details"] == {"template_ids": ["RP-someone-elses"]}
    assert h.remaining(api, "resident-1")["redemption"] == 0


def test_without_a_token_it_is_401(api, seeded):
    assert api.get(PATH).status_code == 401
    assert api.post(PATH, json={"results": {"a": "accept"}}).status_code == 401


def test_configured_template_ids_replace_the_development_ones(api, seeded, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_SUBSCRIBE_TEMPLATES", {"claim_result": "Abc-1"})
    body = api.get(PATH, "resident-1").get_json()
    assert body["moments"]["claim"] == ["Abc-1"] and body["moments"]["signup"] == []
    assert [k["kind"] for k in body["kinds"]] == ["claim_result"]
    assert api.post(PATH, "resident-1", json={"results": {"Abc-1": "accept"}}).status_code == 200
    assert h.remaining(api, "resident-1") == {"claim_result": 1}


def test_the_service_counts_and_refuses_like_the_route(seeded, app):
    with app.app_context():
        user = User(openid="o" + "x" * 27)
        db.session.add(user)
        db.session.commit()
        ids = DEV_TEMPLATE_IDS
        subscriptions.record_subscription_results(user, {ids["wish_progress"]: "accept"})
        view = subscriptions.record_subscription_results(user, {ids["wish_progress"]: "accept"})
        assert {k["kind"]: k["remaining"] for k in view["kinds"]}["wish_progress"] == 2
        with pytest.raises(Unprocessable):
            subscriptions.record_subscription_results(user, {"nope": "accept"})
        db.session.remove()
