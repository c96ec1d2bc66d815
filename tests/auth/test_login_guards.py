"""Login refuses what is not a login: malformed codes, deactivated accounts, floods.

The rate limits follow server/auth/login_limits.py: a high per-address limit (a community hall
or a carrier NAT puts hundreds of residents behind one address) and tight per-device and
per-identity limits. A 429's Retry-After is long enough that a client waiting it is admitted;
the tests let that time pass inside the limiter's storage instead of sleeping.
"""

import json

import pytest
import requests
from limits import parse
from limits.storage import MemoryStorage
from sqlalchemy import func, select, update
from werkzeug.exceptions import TooManyRequests

from server.auth import service as auth_service
from server.auth.models import User
from server.db.session import db
from server.http import rate_limits
from server.http.errors import AppError
from server.platform.config import load_config
from tests.conftest import error_code

LOGIN = "/api/v1/auth/wechat-login"


def login(client, code, *, address="127.0.0.1", device=None):
    headers = {"X-Device-Id": device} if device is not None else {}
    return client.post(
        LOGIN, json={"code": code}, headers=headers, environ_base={"REMOTE_ADDR": address}
    )


def wechat_calls(emulator) -> int:
    return requests.get(emulator.base + "_emulator/calls").json().get("jscode2session", 0)


def elapse(app, seconds: int) -> None:
    """Let `seconds` pass for every login counter, as waiting that long would."""
    storage = rate_limits.storage(app)
    if isinstance(storage, MemoryStorage):
        for key in list(storage.expirations):
            storage.expirations[key] -= seconds
        return
    from server.platform.redis_client import get_redis

    with app.app_context():
        redis = get_redis()
        for key in redis.scan_iter(match=app.config["REDIS_PREFIX"] + "limits*"):
            left = redis.pttl(key) - seconds * 1000
            if left > 0:
                redis.pexpire(key, left)
            else:
                redis.delete(key)


@pytest.fixture
def limits_of(app):
    """Set the three login limits for one test, then put the suite's back."""
    names = ("LOGIN_RATE_LIMIT", "LOGIN_DEVICE_RATE_LIMIT", "LOGIN_IDENTITY_RATE_LIMIT")
    saved = {name: app.config[name] for name in names}

    def set_limits(address=None, device=None, identity=None):
        for name, value in zip(names, (address, device, identity), strict=True):
            if value is not None:
                app.config[name] = value

    yield set_limits
    app.config.update(saved)


# -- the code's shape ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    ["resident-1 .abc", "居民.abc", "resident-1.a;b", "a\tb", "resident-1.abc/def", "a+b=="],
)
def test_a_malformed_code_is_422_and_wechat_is_not_asked(client, emulator, code):
    before = wechat_calls(emulator)
    resp = login(client, code)
    assert resp.status_code == 422, resp.get_json()
    assert error_code(resp) == "validation_error"
    messages = resp.get_json()["error"]["details"]["fields"]["json"]["code"]
    assert messages == ["微信登录凭证格式不正确，请重新打开小程序"]
    assert wechat_calls(emulator) == before


def test_a_lone_surrogate_in_the_code_is_refused_without_blaming_wechat(client, emulator):
    before = wechat_calls(emulator)
    body = b'{"code": "resident-1.a\\ud800"}'
    resp = client.post(LOGIN, data=body, content_type="application/json")
    assert resp.status_code in (400, 422), resp.get_json()
    assert error_code(resp) != "wechat_unavailable"
    assert wechat_calls(emulator) == before


def test_codes_shaped_like_wechats_and_the_emulators_reach_wechat(client, emulator):
    assert login(client, emulator.code("resident-1")).status_code == 200
    assert login(client, "resident-2.1765000000000-3").status_code == 200
    # A real wx.login code: 32 letters and digits. The emulator does not know it.
    resp = login(client, "0716AVll20uHk94SLDml27etM946AVlq")
    assert resp.status_code == 400 and error_code(resp) == "wechat_code_invalid"


def test_a_malformed_phone_code_is_422_and_wechat_is_not_asked(api, emulator):
    api.login("resident-1")
    resp = api.post("/api/v1/auth/phone", "resident-1", json={"code": "138 1234 5678"})
    assert resp.status_code == 422 and error_code(resp) == "validation_error"
    assert "code" in json.dumps(resp.get_json()["error"]["details"])


# -- deactivated accounts ----------------------------------------------------------------------


def test_a_deactivated_user_gets_403_and_no_token(app, client, emulator, query):
    user_id = login(client, emulator.code("resident-1")).get_json()["user"]["id"]

    def deactivate(s):
        s.execute(update(User).where(User.id == user_id).values(is_active=False))
        s.commit()

    query(deactivate)
    resp = login(client, emulator.code("resident-1"))
    assert resp.status_code == 403, resp.get_json()
    assert error_code(resp) == "account_deactivated"
    assert "停用" in resp.get_json()["error"]["message"]
    assert "token" not in resp.get_data(as_text=True)
    assert query(lambda s: s.scalar(select(func.count(User.id)))) == 1


# -- rate limits -------------------------------------------------------------------------------


def test_the_default_address_limit_lets_a_hall_full_of_residents_in(client, emulator, limits_of):
    """Sixty residents behind one address log in within a minute; tight per-person limits."""
    limits_of(
        address=load_config("/tmp")["LOGIN_RATE_LIMIT"], device="2 per minute", identity="2/minute"
    )
    statuses = [
        login(client, emulator.code(f"hall-{n}"), address="10.1.1.1", device=f"dev-{n}")
        for n in range(60)
    ]
    assert {r.status_code for r in statuses} == {200}


def test_the_documented_defaults_hold_a_hall_and_stop_one_person(monkeypatch):
    for name in ("LOGIN_RATE_LIMIT", "LOGIN_DEVICE_RATE_LIMIT", "LOGIN_IDENTITY_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    cfg = load_config("/tmp")

    def per_minute(limit: str) -> float:
        item = parse(limit)
        return item.amount * 60 / item.get_expiry()

    assert per_minute(cfg["LOGIN_RATE_LIMIT"]) >= 300
    assert per_minute(cfg["LOGIN_DEVICE_RATE_LIMIT"]) <= 20
    assert per_minute(cfg["LOGIN_IDENTITY_RATE_LIMIT"]) <= 20


def test_one_identity_is_limited_from_any_device_and_address(client, emulator, limits_of):
    limits_of(identity="3 per minute")
    for n in range(3):
        resp = login(client, emulator.code("resident-1"), address=f"10.0.0.{n}", device=f"d{n}")
        assert resp.status_code == 200
    resp = login(client, emulator.code("resident-1"), address="10.0.0.9", device="d9")
    assert resp.status_code == 429 and error_code(resp) == "rate_limited"
    assert "token" not in resp.get_data(as_text=True)
    assert login(client, emulator.code("resident-2"), address="10.0.0.9").status_code == 200


def test_one_device_is_limited_whoever_logs_in(client, emulator, limits_of):
    limits_of(device="3 per minute")
    for n in range(3):
        assert login(client, emulator.code(f"resident-{n}"), device="phone-a").status_code == 200
    resp = login(client, emulator.code("resident-9"), device="phone-a")
    assert resp.status_code == 429 and error_code(resp) == "rate_limited"
    assert login(client, emulator.code("resident-9"), device="phone-b").status_code == 200
    assert login(client, emulator.code("resident-8")).status_code == 200  # no device id sent


@pytest.mark.parametrize("device", ["x" * 65, "phone a", "手机", ""])
def test_a_malformed_device_id_is_422(client, emulator, device):
    resp = login(client, emulator.code("resident-1"), device=device)
    assert resp.status_code == 422 and error_code(resp) == "validation_error"
    assert "X-Device-Id" in json.dumps(resp.get_json()["error"]["details"])


@pytest.mark.parametrize("scope", ["address", "device", "identity"])
def test_a_client_that_waits_retry_after_is_admitted(app, client, emulator, limits_of, scope):
    limits_of(**{scope: "2 per minute"})
    assert login(client, emulator.code("resident-1"), device="phone-a").status_code == 200
    assert login(client, emulator.code("resident-1"), device="phone-a").status_code == 200
    refused = login(client, emulator.code("resident-1"), device="phone-a")
    assert refused.status_code == 429 and error_code(refused) == "rate_limited"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 61
    elapse(app, wait)
    assert login(client, emulator.code("resident-1"), device="phone-a").status_code == 200


def test_the_login_rules_hold_in_the_service(app, emulator, limits_of, query):
    limits_of(identity="1 per minute")
    with app.test_request_context():
        first = auth_service.login_with_wechat(emulator.code("resident-1"), device_id="phone-a")
        with pytest.raises(TooManyRequests):
            auth_service.login_with_wechat(emulator.code("resident-1"))
        db.session.execute(update(User).where(User.id == first.user_id).values(is_active=False))
        db.session.commit()
        limits_of(identity="1000 per minute")
        with pytest.raises(AppError) as refused:
            auth_service.login_with_wechat(emulator.code("resident-1"))
        assert (refused.value.status, refused.value.code) == (403, "account_deactivated")
        with pytest.raises(AppError) as malformed:
            auth_service.login_with_wechat("居民.abc")
        assert (malformed.value.status, malformed.value.code) == (400, "wechat_code_invalid")
        db.session.remove()
