"""Request bodies: the JSON limit holds on the bytes read, whatever the framing; writes are JSON."""

import io
import json

import pytest
import requests

from tests.conftest import error_code

LOGIN = "/api/v1/auth/wechat-login"


def _chunks(body: bytes, size: int = 4096):
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _envelope_code(resp) -> str:
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]["code"]


def test_chunked_json_over_the_json_limit_is_413(app, live_url):
    body = json.dumps({"code": "x" * (app.config["JSON_BODY_LIMIT"] + 10)}).encode()
    resp = requests.post(
        live_url + LOGIN,
        data=_chunks(body),  # a generator: requests sends Transfer-Encoding: chunked
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert resp.status_code == 413, resp.text
    assert _envelope_code(resp) == "payload_too_large"
    assert resp.json()["error"]["details"]["max_bytes"] == app.config["JSON_BODY_LIMIT"]


def test_chunked_json_within_the_limit_is_read(live_url):
    resp = requests.post(
        live_url + LOGIN,
        data=_chunks(json.dumps({"code": ""}).encode()),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    # Read and validated like any JSON body: the empty code is a field error, not a framing one.
    assert resp.status_code == 422 and _envelope_code(resp) == "validation_error", resp.text


def test_json_sent_as_text_plain_over_the_json_limit_is_413(app, client):
    body = json.dumps({"code": "x" * (app.config["JSON_BODY_LIMIT"] + 10)})
    resp = client.post(LOGIN, data=body, content_type="text/plain")
    assert resp.status_code == 413 and error_code(resp) == "payload_too_large"


def test_chunked_body_without_content_length_over_the_json_limit_is_413(app, client):
    big = b"x" * (app.config["JSON_BODY_LIMIT"] + 10)
    resp = client.post(
        LOGIN,
        input_stream=io.BytesIO(big),
        content_type="text/plain",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert resp.status_code == 413 and error_code(resp) == "payload_too_large"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_write_whose_body_is_not_json_is_415_and_changes_nothing(api, seeded, content_type):
    before = api.get("/api/v1/me", "resident-1").get_json()["nickname"]
    kwargs = {"data": json.dumps({"nickname": "改过的昵称"})}
    if content_type:
        kwargs["content_type"] = content_type
    # PATCH with only optional fields used to run as if it had no body and answer 200.
    resp = api.patch("/api/v1/me", "resident-1", **kwargs)
    assert resp.status_code == 415, resp.get_json()
    assert error_code(resp) == "unsupported_media_type"
    assert "JSON" in resp.get_json()["error"]["message"]
    assert api.get("/api/v1/me", "resident-1").get_json()["nickname"] == before


def test_a_chunked_write_whose_body_is_not_json_is_415(api, seeded, live_url):
    resp = requests.patch(
        live_url + "/api/v1/me",
        data=_chunks(json.dumps({"nickname": "改过的昵称"}).encode()),
        headers={**api.headers("resident-1"), "Content-Type": "text/plain"},
        timeout=30,
    )
    assert resp.status_code == 415 and _envelope_code(resp) == "unsupported_media_type"


def test_a_json_body_sent_to_the_upload_route_is_415(api, seeded):
    resp = api.post("/api/v1/uploads", "resident-1", json={"file": "x"})
    assert resp.status_code == 415 and error_code(resp) == "unsupported_media_type"


def test_a_multipart_body_sent_to_a_json_route_is_415(api, seeded):
    resp = api.patch(
        "/api/v1/me",
        "resident-1",
        data={"nickname": "改过的昵称"},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 415 and error_code(resp) == "unsupported_media_type"


def test_writes_without_a_body_and_json_writes_still_work(api, seeded):
    # No body at all (no Content-Type): a write that takes none runs as before.
    resp = api.post("/api/v1/tasks/999999/signups", "resident-1")
    assert resp.status_code == 404 and error_code(resp) == "task_not_found"
    resp = api.patch("/api/v1/me", "resident-1", json={"nickname": "新昵称"})
    assert resp.status_code == 200 and resp.get_json()["nickname"] == "新昵称"
    resp = api.patch(
        "/api/v1/me",
        "resident-1",
        data=json.dumps({"nickname": "又一个"}),
        content_type="application/json; charset=utf-8",
    )
    assert resp.status_code == 200 and resp.get_json()["nickname"] == "又一个"
