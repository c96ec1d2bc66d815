import json
import logging
import secrets

import pytest

from server import create_app
from server.platform.config import ConfigError
from tests.conftest import error_code


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["database"] == "ok"


def test_readyz_reports_unreachable_redis(app, client):
    original = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:9/0"
    try:
        resp = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = original
    assert resp.status_code == 503
    assert error_code(resp) == "not_ready"
    assert resp.get_json()["error"]["details"]["redis"] == "unavailable"


def test_unknown_route_and_wrong_method_use_the_envelope(client):
    resp = client.get("/api/v1/nowhere")
    assert resp.status_code == 404 and error_code(resp) == "not_found"
    resp = client.delete("/api/v1/auth/wechat-login")
    assert resp.status_code == 405 and error_code(resp) == "method_not_allowed"
    assert "POST" in resp.headers["Allow"]


def test_oversized_json_body_is_413(client):
    body = json.dumps({"code": "x" * 70_000})
    resp = client.post("/api/v1/auth/wechat-login", data=body, content_type="application/json")
    assert resp.status_code == 413 and error_code(resp) == "payload_too_large"


def test_body_over_max_content_length_is_413(app, client):
    original = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        resp = client.post(
            "/api/v1/auth/wechat-login", data=b"x" * 5000, content_type="application/octet-stream"
        )
    finally:
        app.config["MAX_CONTENT_LENGTH"] = original
    assert resp.status_code == 413


def test_non_object_json_and_wrong_content_type(client):
    resp = client.post("/api/v1/auth/wechat-login", json=["code"])
    assert resp.status_code == 422
    resp = client.post("/api/v1/auth/wechat-login", data="code=x")
    assert resp.status_code == 415
    assert error_code(resp) == "unsupported_media_type"


def test_unexpected_exception_is_500_envelope_and_logged(database_url, caplog):
    # Not the embedded default's drain thread: it would keep working on the suite's database.
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "NOTIFY_IN_PROCESS": False})

    @app.get("/_boom")
    def _boom():
        raise RuntimeError("kaboom")

    caplog.set_level(logging.ERROR)
    resp = app.test_client().get("/_boom")
    assert resp.status_code == 500
    assert error_code(resp) == "internal_error"
    assert "kaboom" not in resp.get_data(as_text=True)
    assert "unhandled exception" in caplog.text


def test_request_id_is_echoed_or_generated(client):
    resp = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert resp.headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"
    assert len(generated.headers["X-Request-ID"]) == 32


def test_no_cookie_session_is_read_or_written(app, client):
    from flask import session

    resp = client.get("/healthz", headers={"Cookie": "session=forged.value"})
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers
    with app.test_request_context("/", headers={"Cookie": "session=forged.value"}):
        with pytest.raises(RuntimeError):
            session["user_id"] = 1


def test_production_refuses_default_or_short_secret(monkeypatch):
    monkeypatch.setenv("REDPOINTS_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.delenv("WECHAT_SECRET", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_production_starts_with_real_secrets_and_hides_docs(monkeypatch, database_url):
    monkeypatch.setenv("REDPOINTS_ENV", "production")
    key = secrets.token_urlsafe(48)
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.setenv("WECHAT_APPID", "wx1234567890abcdef")
    monkeypatch.setenv("WECHAT_SECRET", "real-secret")
    monkeypatch.delenv("WECHAT_API_BASE", raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    prod = create_app()
    assert prod.config["SECRET_KEY"] == key
    assert prod.config["WECHAT_API_BASE"] == "https://api.weixin.qq.com/"
    assert prod.test_client().get("/api/v1/docs/swagger").status_code == 404


def test_docs_served_in_development(client):
    assert client.get("/api/v1/docs/openapi.json").status_code == 200
    assert client.get("/api/v1/docs/swagger").status_code == 200


def test_database_url_postgres_scheme_is_normalised(monkeypatch):
    from server.platform.config import load_config

    monkeypatch.setenv("DATABASE_URL", "postgres://u@127.0.0.1/db")
    cfg = load_config("/tmp")
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1/db"


def test_post_with_method_override_acts_as_patch(api, seeded):
    # wx.request cannot send PATCH; the mini-program POSTs with X-HTTP-Method-Override instead.
    resp = api.post(
        "/api/v1/me",
        "resident-1",
        json={"nickname": "新昵称"},
        headers={"X-HTTP-Method-Override": "PATCH"},
    )
    assert resp.status_code == 200 and resp.get_json()["nickname"] == "新昵称"
    resp = api.post(
        "/api/v1/me", "resident-1", json={}, headers={"X-HTTP-Method-Override": "TRACE"}
    )
    assert resp.status_code == 405


def test_id_cursors_beyond_the_id_columns_are_refused(api, seeded):
    from server.http.pagination import encode_cursor

    too_big = encode_cursor([2**31])
    # Each used to reach SQL, where PostgreSQL's INTEGER overflowed into a 500.
    for path, who in [
        ("/api/v1/merchant/statement", "merchant-1"),
        ("/api/v1/tasks/me/signups", "resident-1"),
        ("/api/v1/points/ledger", "resident-1"),
    ]:
        resp = api.get(f"{path}?cursor={too_big}", who)
        assert resp.status_code == 400 and error_code(resp) == "invalid_cursor", path
        assert api.get(f"{path}?cursor={encode_cursor([5])}", who).status_code == 200, path
