import json
import logging
import time
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.db.types import utcnow
from server.http import rate_limits
from server.outbox.models import OutboxEvent
from tests.conftest import error_code


def login(client, code):
    return client.post("/api/v1/auth/wechat-login", json={"code": code})


def test_login_creates_user_once_and_returns_token(query, client, emulator):
    first = login(client, emulator.code("resident-1"))
    assert first.status_code == 200
    body = first.get_json()
    assert body["is_new"] is True
    assert body["token"] and body["expires_in"] > 0
    assert body["user"]["membership"] is None

    again = login(client, emulator.code("resident-1"))
    assert again.get_json()["is_new"] is False
    assert again.get_json()["user"]["id"] == body["user"]["id"]
    assert query(lambda s: s.scalar(select(func.count(User.id)))) == 1
    user = query(lambda s: s.scalar(select(User)))
    assert user.unionid and user.session_key
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert events == ["user.registered"]


def test_session_key_never_in_response_or_log(query, client, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    resp = login(client, emulator.code("resident-1"))
    assert "session_key" not in json.dumps(resp.get_json())
    key = query(lambda s: s.scalar(select(User.session_key)))
    assert key and key not in resp.get_data(as_text=True)
    assert key not in caplog.text


def test_reused_code_is_refused(client, emulator):
    code = emulator.code("resident-1")
    assert login(client, code).status_code == 200
    resp = login(client, code)
    assert resp.status_code == 400
    assert error_code(resp) == "wechat_code_used"


def test_expired_code_is_refused(client, emulator):
    code = emulator.code("resident-1")
    emulator.advance(301)
    resp = login(client, code)
    assert resp.status_code == 400
    assert error_code(resp) == "wechat_code_invalid"


def test_invalid_code_is_refused(client):
    resp = login(client, "not-a-real-code")
    assert resp.status_code == 400
    assert error_code(resp) == "wechat_code_invalid"


def test_wechat_busy_gives_503(client, emulator):
    emulator.fault("jscode2session", errcode=-1)
    resp = login(client, emulator.code("resident-1"))
    assert resp.status_code == 503
    assert error_code(resp) == "wechat_unavailable"
    assert "微信" in resp.get_json()["error"]["message"]


def test_wechat_slow_gives_503_within_timeout(client, emulator):
    emulator.fault("jscode2session", delay=2.5, times=1)
    resp = login(client, emulator.code("resident-1"))
    assert resp.status_code == 503
    assert error_code(resp) == "wechat_unavailable"


def test_wechat_rate_limit_gives_429(client, emulator):
    emulator.fault("jscode2session", errcode=45011)
    resp = login(client, emulator.code("resident-1"))
    assert resp.status_code == 429
    assert error_code(resp) == "wechat_rate_limited"


def test_wechat_unreachable_gives_503(app, client, emulator):
    app.config["WECHAT_API_BASE"] = "http://127.0.0.1:9/"
    try:
        resp = login(client, emulator.code("resident-1"))
    finally:
        app.config["WECHAT_API_BASE"] = emulator.base
    assert resp.status_code == 503
    assert error_code(resp) == "wechat_unavailable"


def test_login_is_rate_limited_per_ip(app, client, emulator):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        statuses = [login(client, emulator.code("resident-1")).status_code for _ in range(3)]
        resp = login(client, emulator.code("resident-1"))
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    assert statuses == [200, 200, 200]
    assert resp.status_code == 429 and error_code(resp) == "rate_limited"
    assert 1 <= int(resp.headers["Retry-After"]) <= 61


def test_only_routes_that_declare_a_limit_count_requests(app, client, emulator, monkeypatch):
    counters = rate_limits.storage(app)
    counted, real = [], counters.incr

    def incr(key, *args, **kwargs):
        counted.append(key)
        return real(key, *args, **kwargs)

    monkeypatch.setattr(counters, "incr", incr)
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/communities").status_code == 401
    assert counted == []
    code = emulator.code("resident-1")
    assert client.post("/api/v1/auth/wechat-login", json={"code": code}).status_code == 200
    # Login counts its address and (once WeChat named it) its identity; no device id was sent.
    assert len(counted) == 2 and all("/login" in key for key in counted)


@pytest.mark.redis
def test_login_counters_live_in_redis_under_the_apps_prefix(app, client, emulator):
    from server.platform.redis_client import get_redis

    code = emulator.code("resident-1")
    assert client.post("/api/v1/auth/wechat-login", json={"code": code}).status_code == 200
    with app.app_context():
        keys = list(get_redis().scan_iter(match=app.config["REDIS_PREFIX"] + "limits*"))
    assert len(keys) == 2 and all(b"login" in key for key in keys)


def test_login_body_validation(client):
    assert error_code(client.post("/api/v1/auth/wechat-login", json={})) == "validation_error"
    resp = client.post("/api/v1/auth/wechat-login", json={"code": "x", "extra": 1})
    assert resp.status_code == 422
    assert "extra" in json.dumps(resp.get_json()["error"]["details"])
    resp = client.post("/api/v1/auth/wechat-login", json={"code": 12})
    assert resp.status_code == 422
    resp = client.post("/api/v1/auth/wechat-login", json={"code": "a" * 129})
    assert resp.status_code == 422
    resp = client.post(
        "/api/v1/auth/wechat-login", data="{not json", content_type="application/json"
    )
    assert resp.status_code == 400
    assert error_code(resp) == "invalid_json"


def _token(app, **overrides):
    now = utcnow()
    claims = {"sub": "1", "aud": "redpoints-api", "iss": "redpoints", "iat": now}
    claims["exp"] = now + timedelta(hours=1)
    claims.update(overrides)
    return jwt.encode(claims, app.config["SECRET_KEY"], algorithm="HS256")


def test_token_expired_tampered_and_missing(app, api):
    user_id = api.login("resident-1")["user"]["id"]
    expired = _token(app, sub=str(user_id), exp=utcnow() - timedelta(seconds=1))
    resp = api.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert resp.status_code == 401 and error_code(resp) == "token_expired"

    good = api.tokens["resident-1"]
    head, payload, sig = good.split(".")
    tampered = f"{head}.{payload}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    resp = api.get("/api/v1/me", headers={"Authorization": f"Bearer {tampered}"})
    assert resp.status_code == 401 and error_code(resp) == "token_invalid"

    forged = jwt.encode(
        {"sub": str(user_id), "aud": "redpoints-api"},
        "a-guessed-secret-that-is-long-enough!",
        algorithm="HS256",
    )
    resp = api.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert error_code(resp) == "token_invalid"

    none_alg = jwt.encode(
        {"sub": str(user_id), "aud": "redpoints-api", "iss": "redpoints"}, None, algorithm="none"
    )
    resp = api.get("/api/v1/me", headers={"Authorization": f"Bearer {none_alg}"})
    assert error_code(resp) == "token_invalid"

    wrong_aud = _token(app, sub=str(user_id), aud="other")
    resp = api.get("/api/v1/me", headers={"Authorization": f"Bearer {wrong_aud}"})
    assert error_code(resp) == "token_invalid"

    resp = api.get("/api/v1/me")
    assert resp.status_code == 401 and error_code(resp) == "unauthorized"
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_bind_phone_shows_it_masked(api, query):
    api.login("resident-1")
    code = api.emulator.code("13812345678")
    resp = api.post("/api/v1/auth/phone", "resident-1", json={"code": code})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["phone"] == "138****5678" and body["phone_bound"] is True
    assert "13812345678" not in resp.get_data(as_text=True)
    assert query(lambda s: s.scalar(select(User.phone))) == "13812345678"
    me = api.get("/api/v1/me", "resident-1").get_json()
    assert me["phone"] == "138****5678"


def test_bind_phone_with_bad_or_used_code(api):
    api.login("resident-1")
    resp = api.post("/api/v1/auth/phone", "resident-1", json={"code": "garbage"})
    assert resp.status_code == 400 and error_code(resp) == "wechat_code_invalid"
    code = api.emulator.code("13812345678")
    assert api.post("/api/v1/auth/phone", "resident-1", json={"code": code}).status_code == 200
    resp = api.post("/api/v1/auth/phone", "resident-1", json={"code": code})
    assert error_code(resp) == "wechat_code_used"
    assert api.post("/api/v1/auth/phone", json={"code": code}).status_code == 401


def test_expired_access_token_is_refreshed_for_phone_binding(api, emulator):
    api.login("resident-1")
    first = api.post(
        "/api/v1/auth/phone", "resident-1", json={"code": emulator.code("13800000001")}
    )
    assert first.status_code == 200
    import requests

    requests.post(emulator.base + "_emulator/expire-tokens").raise_for_status()
    second = api.post(
        "/api/v1/auth/phone", "resident-1", json={"code": emulator.code("13800000002")}
    )
    assert second.status_code == 200
    assert second.get_json()["phone"] == "138****0002"


def test_a_remembered_token_still_expires_and_follows_the_secret(app, api, monkeypatch):
    """Verified tokens are remembered per worker; that must not stretch their life or key."""
    from server.auth import tokens

    user_id = api.login("resident-1")["user"]["id"]
    token = _token(app, sub=str(user_id), exp=utcnow() + timedelta(seconds=30))
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/me", headers=headers).status_code == 200
    assert tokens._verified.cache_info().currsize >= 1

    later = time.time() + 31
    monkeypatch.setattr(tokens.time, "time", lambda: later)
    resp = api.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401 and error_code(resp) == "token_expired"
    monkeypatch.undo()

    assert api.get("/api/v1/me", headers=headers).status_code == 200
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-rotated-secret-that-is-long-enough-0123")
    resp = api.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401 and error_code(resp) == "token_invalid"
