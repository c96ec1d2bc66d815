import pytest
import requests

from server.wechat.content_security import SCENE_PROFILE, check_text
from server.wechat.emulator import sec_check_verdict
from tests.conftest import APPID, SECRET

OPENID = "o-test-openid"


@pytest.mark.parametrize(
    "text,suggest,label",
    [
        ("组织居民参加垃圾分类志愿督导两小时", "pass", 100),
        ("楼道里贴满了广告，我清理了", "review", 10001),
        ("有人在小区里组织赌博", "risky", 20006),
        ("代开发票请联系", "risky", 20006),
        ("提醒老人防范电信诈骗，顺便清理广告", "risky", 20006),  # risky outranks review
    ],
)
def test_check_text_through_the_emulator(ctx, text, suggest, label):
    verdict = check_text(text, openid=OPENID)
    assert (verdict.suggest, verdict.label) == (suggest, label)
    assert verdict.passed is (suggest == "pass")
    assert verdict.trace_id


def test_empty_text_passes_without_asking_wechat(ctx, emulator):
    assert check_text("   ", openid=OPENID).suggest == "pass"
    assert requests.get(emulator.base + "_emulator/calls").json().get("msg_sec_check") is None


def test_long_text_is_checked_in_pieces_and_the_worst_wins(ctx, emulator):
    text = "志" * 2600 + "赌博"
    assert check_text(text, openid=OPENID).suggest == "risky"
    assert requests.get(emulator.base + "_emulator/calls").json()["msg_sec_check"] == 2
    # A word across the boundary between two pieces is still seen.
    assert check_text("志" * 2499 + "赌博" + "志" * 100, openid=OPENID).suggest == "risky"


@pytest.mark.parametrize("errcode", [-1, 45009, 40129])
def test_wechat_errors_become_unavailable_not_exceptions(ctx, emulator, errcode):
    emulator.fault("msg_sec_check", errcode=errcode, times=1)
    verdict = check_text("正常内容", openid=OPENID, scene=SCENE_PROFILE)
    assert verdict.suggest == "unavailable" and not verdict.passed
    assert check_text("正常内容", openid=OPENID).suggest == "pass"


def test_slow_wechat_becomes_unavailable(ctx, emulator):
    emulator.fault("msg_sec_check", delay=1.5, times=1)  # the app's timeout is 1 s
    assert check_text("正常内容", openid=OPENID).suggest == "unavailable"


def test_expired_access_token_is_refreshed(ctx, emulator):
    assert check_text("正常内容", openid=OPENID).passed
    requests.post(emulator.base + "_emulator/expire-tokens").raise_for_status()
    assert check_text("正常内容", openid=OPENID).passed


def _token(base):
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    return requests.post(base + "cgi-bin/stable_token", json=body).json()["access_token"]


def test_emulator_validates_like_wechat(emulator):
    url = emulator.base + "wxa/msg_sec_check"
    good = {"content": "你好", "version": 2, "scene": 2, "openid": OPENID}
    assert requests.post(url, json=good).json()["errcode"] == 40001  # no token
    url += "?access_token=" + _token(emulator.base)
    assert requests.post(url, json=good).json()["errcode"] == 0
    assert requests.post(url, json={**good, "scene": 9}).json()["errcode"] == 40129
    assert requests.post(url, json={**good, "version": 1}).json()["errcode"] == 40097
    assert requests.post(url, json={**good, "openid": ""}).json()["errcode"] == 40003
    assert requests.post(url, json={**good, "content": "x" * 2501}).json()["errcode"] != 0
    body = requests.post(url, json={**good, "content": "赌博"}).json()
    assert body["result"] == {"suggest": "risky", "label": 20006}
    assert body["detail"][0]["keyword"] == "赌博"


def test_word_list():
    assert sec_check_verdict("正常") == ("pass", 100, None)
    assert sec_check_verdict("小广告") == ("review", 10001, "广告")


@pytest.mark.redis
def test_redis_down_the_access_token_is_kept_in_this_process(api, seeded, query, monkeypatch):
    """Found by tests/faults: with Redis gone, the access token's storage raised RedisError and a
    claim (its text checked by WeChat, which needs the token) answered 500."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from wechatpy.session.redisstorage import RedisStorage

    from tests.claims_helpers import item_id, today

    def down(*_args, **_kwargs):
        raise RedisConnectionError("Connection refused")

    for name in ("get", "set", "delete"):
        monkeypatch.setattr(RedisStorage, name, down)
    body = {"item_id": item_id(query, "C01"), "occurred_on": today().isoformat(),
            "description": "在小区垃圾分类点督导两小时"}  # fmt: skip
    resp = api.post("/api/v1/points/claims", "resident-1", json=body)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["status"] == "pending"  # WeChat was asked and said pass
