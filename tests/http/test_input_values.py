"""Input that used to answer 500 is refused with a 4xx envelope, once for all routes."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from server.points.claim_models import PointClaim
from server.tasks.models import Task
from tests.conftest import error_code
from tests.tasks.test_tasks_support import T0, Clock, task_body


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def _nickname(api) -> str:
    return api.get("/api/v1/me", "resident-1").get_json()["nickname"]


@pytest.mark.parametrize("depth", [100, 5_000, 20_000])
def test_json_nested_deep_is_400(api, seeded, depth):
    body = "[" * depth + "]" * depth
    resp = api.patch("/api/v1/me", "resident-1", data=body, content_type="application/json")
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert error_code(resp) == "json_too_deep"
    assert resp.get_json()["error"]["details"]["max_depth"] >= 3


def test_json_nested_deep_inside_an_object_is_400(api, seeded):
    body = '{"nickname": ' + '{"a": ' * 3000 + "1" + "}" * 3000 + "}"
    resp = api.patch("/api/v1/me", "resident-1", data=body, content_type="application/json")
    assert resp.status_code == 400 and error_code(resp) == "json_too_deep"


@pytest.mark.parametrize(
    "raw",
    [
        '{"nickname": "a\\u0000b"}',  # NUL as a JSON escape
        '{"nickname": "a\\ud800b"}',  # a lone high surrogate
        '{"nickname": "\\udc00"}',  # a lone low surrogate
    ],
)
def test_nul_and_lone_surrogates_in_text_are_422_and_change_nothing(api, seeded, raw):
    before = _nickname(api)
    resp = api.patch("/api/v1/me", "resident-1", data=raw, content_type="application/json")
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert error_code(resp) == "validation_error"
    assert list(resp.get_json()["error"]["details"]["fields"]["json"]) == ["nickname"]
    assert _nickname(api) == before


def test_nul_or_surrogate_in_a_key_or_a_list_item_is_422(api, seeded):
    for raw in ('{"nick\\u0000name": "x"}', '{"ids": ["\\ud800"]}', '["\\u0000"]'):
        resp = api.post(
            "/api/v1/points/claims/batch-decide",
            "reviewer",
            data=raw,
            content_type="application/json",
        )
        assert resp.status_code == 422, (raw, resp.get_data(as_text=True)[:300])
        assert error_code(resp) == "validation_error"
        json.dumps(resp.get_json())  # the answer itself is printable


def test_a_surrogate_pair_is_one_character_and_welcome(api, seeded):
    resp = api.patch(
        "/api/v1/me",
        "resident-1",
        data='{"nickname": "笑\\ud83d\\ude00"}',
        content_type="application/json",
    )
    assert resp.status_code == 200 and resp.get_json()["nickname"] == "笑\U0001f600"


def test_lone_surrogate_as_raw_bytes_is_400_invalid_json(api, seeded):
    raw = b'{"nickname": "\xed\xa0\x80"}'  # UTF-8 of U+D800, which UTF-8 forbids
    resp = api.patch("/api/v1/me", "resident-1", data=raw, content_type="application/json")
    assert resp.status_code == 400 and error_code(resp) == "invalid_json"


@pytest.mark.parametrize(
    "query",
    ["q=a%00b", "q=%00", "limit=1%00", "cursor=%00", "q%00=x"],
)
def test_nul_in_a_query_parameter_is_422(api, seeded, query):
    resp = api.get(f"/api/v1/communities?{query}", "resident-1")
    assert resp.status_code == 422, resp.get_data(as_text=True)[:300]
    assert error_code(resp) == "validation_error"
    assert "query" in resp.get_json()["error"]["details"]["fields"]


def test_nul_in_a_query_parameter_of_a_route_without_query_schema_is_422(api, seeded):
    resp = api.get("/api/v1/me?x=%00", "resident-1")
    assert resp.status_code == 422 and error_code(resp) == "validation_error"


@pytest.mark.parametrize(
    "moment",
    [
        "0001-01-01T00:00:00+14:00",  # before datetime.min once in UTC
        "9999-12-31T23:59:59-14:00",  # after datetime.max once in UTC
        "0001-01-01T00:00:00+00:00",
        "1899-12-31T00:00:00+08:00",
        "3000-01-01T00:00:00+08:00",
    ],
)
def test_out_of_range_datetimes_are_422_and_write_nothing(api, seeded, query, frozen, moment):
    for field in ("starts_at", "ends_at", "signup_deadline"):
        resp = api.post("/api/v1/tasks", "admin", json=task_body(query, **{field: moment}))
        assert resp.status_code == 422, (field, resp.get_data(as_text=True)[:300])
        assert error_code(resp) == "validation_error"
        assert field in resp.get_json()["error"]["details"]["fields"]["json"]
    assert query(lambda s: s.scalar(select(func.count()).select_from(Task))) == 0


def test_datetimes_in_range_still_work(api, seeded, query, frozen):
    starts = T0 + timedelta(days=2)
    resp = api.post(
        "/api/v1/tasks",
        "admin",
        json=task_body(
            query,
            starts_at=starts.isoformat(),
            ends_at=(starts + timedelta(hours=1)).isoformat(),
        ),
    )
    assert resp.status_code == 201, resp.get_json()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
def test_out_of_range_dates_are_422(api, seeded, day):
    resp = api.get(f"/api/v1/points/claims?date_from={day}", "resident-1")
    assert resp.status_code == 422 and error_code(resp) == "validation_error"
    assert "date_from" in resp.get_json()["error"]["details"]["fields"]["query"]


@pytest.mark.parametrize("value", ["yes", "on", "1", 1, 0, "true", "false", None])
def test_json_booleans_only(api, seeded, value):
    resp = api.patch("/api/v1/offers/1", "admin", json={"active": value})
    assert resp.status_code == 422, (value, resp.get_data(as_text=True)[:300])
    assert "active" in resp.get_json()["error"]["details"]["fields"]["json"]


@pytest.mark.parametrize("value", ["yes", "on", "1", "0", "True", "y", ""])
def test_query_booleans_are_true_or_false_only(api, seeded, value):
    resp = api.get(f"/api/v1/points/items?include_inactive={value}", "admin")
    assert resp.status_code == 422, (value, resp.get_data(as_text=True)[:300])
    assert "include_inactive" in resp.get_json()["error"]["details"]["fields"]["query"]


def test_query_booleans_true_and_false_work(api, seeded):
    for value in ("true", "false"):
        resp = api.get(f"/api/v1/points/items?include_inactive={value}", "admin")
        assert resp.status_code == 200, resp.get_json()


def test_nul_in_text_never_reaches_the_database(api, seeded, query):
    """On PostgreSQL a NUL in text used to be a DataError (500); on SQLite it was stored."""
    resp = api.post(
        "/api/v1/points/claims",
        "resident-1",
        json={"item_id": 1, "occurred_on": "2026-12-01", "description": "扫地\x00"},
    )
    assert resp.status_code == 422 and error_code(resp) == "validation_error"
    assert list(resp.get_json()["error"]["details"]["fields"]["json"]) == ["description"]
    assert query(lambda s: s.scalar(select(func.count()).select_from(PointClaim))) == 0
