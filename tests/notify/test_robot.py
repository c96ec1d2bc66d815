"""The WeCom group robot client: pasted keys, message builders at their limits, and what each
answer of the emulator's robot becomes."""

import base64
import hashlib
import io
import logging
import secrets
import socket

import pytest
import requests
from PIL import Image

from server.http.errors import AppError
from server.notify import robot
from server.notify.robot import InvalidMessage, MessageTooLong
from server.platform.config import load_config

KEY = "693a91f6-7a0c-4bc4-97a0-0ec2f1fa5aaa"
CJK = "志"  # three bytes in UTF-8


def new_robot(emulator) -> str:
    response = requests.post(emulator.base + "_emulator/robots", json={})
    response.raise_for_status()
    return response.json()["key"]


def received(emulator, key) -> list[dict]:
    return requests.get(f"{emulator.base}_emulator/robots/{key}/messages").json()["messages"]


def png(size=(4, 4)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


# --- keys ---


@pytest.mark.parametrize(
    "pasted",
    [
        KEY,
        f"  {KEY}\n",
        f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}",
        f"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}",
        f"HTTPS://QYAPI.WEIXIN.QQ.COM/cgi-bin/webhook/send?key={KEY}",
        f"qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}",
        f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send/?key={KEY}",
        f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?debug=1&key={KEY}&x=y",
        f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?foo=1&amp;key={KEY}",
        f"https://wecom.example.gov.cn:8443/cgi-bin/webhook/send?key={KEY}#top",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7a0c-\n4bc4-97a0-"
        "0ec2f1fa5aaa",
        f'\u3000\u200b"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"\u3000',
    ],
)
def test_a_key_is_read_from_what_an_admin_pastes(pasted):
    assert robot.parse_key(pasted) == KEY


@pytest.mark.parametrize(
    "pasted",
    [
        "",
        "   ",
        None,
        12345678,
        "short",
        "a" * 65,
        "key_with_underscore",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc",
        f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}&key={KEY}",
        f"https://qyapi.weixin.qq.com/cgi-bin/message/send?key={KEY}",
        f"https://developer.work.weixin.qq.com/document/path/91770?key={KEY}",
        f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}!",
        f"http://[qyapi/cgi-bin/webhook/send?key={KEY}",
        "请填写机器人地址",
    ],
)
def test_anything_else_is_refused_with_a_clear_422(pasted):
    with pytest.raises(AppError) as refused:
        robot.parse_key(pasted)
    error = refused.value
    assert (error.status, error.code) == (422, "invalid_robot_key")
    assert "企业微信机器人" in error.message


def test_a_key_is_shown_only_by_its_last_four_characters():
    assert robot.key_hint(KEY) == "…5aaa"


# --- builders ---


def test_text_fits_exactly_2048_bytes_of_cjk_and_not_one_more():
    at_limit = CJK * 682 + "ab"  # 2,046 + 2 bytes
    assert len(at_limit.encode()) == 2048
    assert robot.text(at_limit) == {"msgtype": "text", "text": {"content": at_limit}}
    for over in (at_limit + "c", CJK * 683):
        with pytest.raises(MessageTooLong):
            robot.text(over)


def test_text_mentions_split_into_userids_and_mobiles():
    body = robot.text("请查收", mentions=["zhangsan", "13800001111", "@all"])
    assert body["text"]["mentioned_list"] == ["zhangsan", "@all"]
    assert body["text"]["mentioned_mobile_list"] == ["13800001111"]
    assert "mentioned_list" not in robot.text("无人提醒")["text"]
    with pytest.raises(InvalidMessage):
        robot.text("")


def test_markdown_up_to_4096_bytes_of_cjk_is_sent_whole():
    at_limit = CJK * 1365 + "a"  # 4,095 + 1 bytes
    assert robot.markdown(at_limit, more_url="https://example.org/r/1") == {
        "msgtype": "markdown",
        "markdown": {"content": at_limit},
    }


@pytest.mark.parametrize(
    "content",
    [
        CJK * 1000 + "\n" + CJK * 365 + "a",  # 4,097 bytes: one over
        "\n".join(f"第{i}行：" + CJK * 40 for i in range(200)),
    ],
)
def test_longer_markdown_is_cut_on_a_line_and_links_to_the_rest(content):
    assert len(content.encode()) > 4096
    url = "https://example.org/reports/7?tab=all"
    sent = robot.markdown(content, more_url=url)["markdown"]["content"]
    tail = f"\n[查看全文]({url})"
    assert len(sent.encode()) <= 4096 and sent.endswith(tail)
    head = sent[: -len(tail)]
    assert content.startswith(head + "\n"), "cut on a line boundary"
    next_line = content[len(head) + 1 :].split("\n")[0]
    assert len((head + "\n" + next_line + tail).encode()) > 4096, "kept every line that fits"


def test_a_cut_without_a_url_says_so():
    content = "\n".join(CJK * 100 for _ in range(20))
    sent = robot.markdown(content)["markdown"]["content"]
    assert len(sent.encode()) <= 4096 and sent.endswith("\n（内容过长，已截断）")


def test_one_line_longer_than_the_limit_is_cut_on_a_character():
    sent = robot.markdown(CJK * 2000, more_url="https://example.org/a(b)")["markdown"]["content"]
    assert len(sent.encode()) <= 4096
    assert sent.endswith("…\n[查看全文](https://example.org/a%28b%29)")
    assert set(sent.split("…")[0]) == {CJK}
    assert robot.markdown("\n" + CJK * 2000)["markdown"]["content"].startswith("\n志志")
    for content in (CJK * 2000, "短"):
        with pytest.raises(InvalidMessage):
            robot.markdown(content, more_url="javascript:alert(1)")


def test_image_carries_base64_and_md5_of_the_raw_bytes():
    data = png()
    body = robot.image(data)
    assert body["msgtype"] == "image"
    assert base64.b64decode(body["image"]["base64"]) == data
    assert body["image"]["md5"] == hashlib.md5(data).hexdigest()
    assert robot.image(b"\xff\xd8\xff\xe0" + b"\0" * 16)["image"]["md5"]


def test_image_must_be_jpeg_or_png_and_at_most_2_mb():
    with pytest.raises(InvalidMessage) as refused:
        robot.image(b"GIF89a" + b"\0" * 16)
    assert not isinstance(refused.value, MessageTooLong)
    at_limit = png() + b"\0" * (2 * 1024 * 1024 - len(png()))
    assert robot.image(at_limit)["image"]["md5"] == hashlib.md5(at_limit).hexdigest()
    with pytest.raises(MessageTooLong):
        robot.image(at_limit + b"\0")


# --- send, against the emulator ---


def test_config_points_the_robot_at_the_emulator_outside_production(app, emulator):
    assert app.config["WECOM_ROBOT_BASE"] == emulator.base
    assert app.config["WECOM_ROBOT_TIMEOUT"] == 5.0


def test_production_talks_to_wecom(monkeypatch, tmp_path):
    monkeypatch.setenv("REDPOINTS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv("WECHAT_APPID", "wx1234567890abcdef")
    monkeypatch.setenv("WECHAT_SECRET", "0f3a9c1e5b7d2468ace0f3a9c1e5b7d2")
    for name in ("WECHAT_API_BASE", "WECOM_ROBOT_BASE", "WECHAT_EMULATOR_STAND_IN"):
        monkeypatch.delenv(name, raising=False)
    assert load_config(str(tmp_path))["WECOM_ROBOT_BASE"] == "https://qyapi.weixin.qq.com/"


def test_a_message_is_delivered(ctx, emulator):
    key = new_robot(emulator)
    result = robot.send(key, robot.text("本周积分公示已发布", mentions=["@all"]))
    assert result == robot.SendResult("ok", 0, "ok", 200) and result.ok
    (message,) = received(emulator, key)
    assert message["content"] == "本周积分公示已发布"
    assert message["mentioned_list"] == ["@all"]


@pytest.mark.parametrize("errcode", [45009, -1])
def test_rate_limit_and_busy_are_retried(ctx, emulator, errcode):
    key = new_robot(emulator)
    emulator.fault("webhook/send", errcode=errcode, times=1)
    result = robot.send(key, robot.text("稍后重试"))
    assert (result.outcome, result.errcode) == ("retry", errcode)
    assert received(emulator, key) == []
    assert robot.send(key, robot.text("稍后重试")).ok


def test_a_gateway_error_is_retried(ctx, emulator):
    key = new_robot(emulator)
    requests.post(emulator.base + "_emulator/robots/outage", json={"status": 502, "times": 1})
    result = robot.send(key, robot.text("网关错误"))
    assert (result.outcome, result.http_status, result.errcode) == ("retry", 502, None)


def test_a_timeout_is_retried(ctx, emulator):
    key = new_robot(emulator)
    emulator.fault("webhook/send", delay=1.0, times=1)
    result = robot.send(key, robot.text("超时"), timeout=0.3)
    assert (result.outcome, result.errmsg) == ("retry", "timeout")


def test_an_unreachable_robot_is_retried(ctx):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = robot.send(KEY, robot.text("连不上"), base=f"http://127.0.0.1:{port}/")
    assert (result.outcome, result.errmsg) == ("retry", "unreachable")


def test_a_removed_robot_is_permanent(ctx, emulator):
    key = new_robot(emulator)
    requests.delete(f"{emulator.base}_emulator/robots/{key}").raise_for_status()
    result = robot.send(key, robot.text("机器人已移除"))
    assert (result.outcome, result.errcode) == ("permanent", 93000)
    assert result.errmsg and not result.ok


@pytest.mark.parametrize(
    "body,errcode",
    [
        ({"msgtype": "text", "text": {"content": CJK * 683}}, 40058),
        ({"msgtype": "markdown", "markdown": {"content": CJK * 1366}}, 40058),
        ({"msgtype": "news", "news": {"articles": []}}, 40008),
    ],
)
def test_a_message_wecom_refuses_is_permanent(ctx, emulator, body, errcode):
    key = new_robot(emulator)
    result = robot.send(key, body)
    assert (result.outcome, result.errcode) == ("permanent", errcode)


def test_the_21st_message_in_a_minute_waits_for_the_next_minute(ctx, emulator):
    key = new_robot(emulator)
    for n in range(20):
        assert robot.send(key, robot.text(f"第{n}条")).ok
    result = robot.send(key, robot.text("第21条"))
    assert (result.outcome, result.errcode) == ("retry", 45009)
    emulator.advance(60)
    assert robot.send(key, robot.text("第21条")).ok
    assert [m["content"] for m in received(emulator, key)][-2:] == ["第19条", "第21条"]


def test_no_log_record_holds_the_key(ctx, emulator, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # the app quiets it; a debug run may not
    key = new_robot(emulator)
    robot.send(key, robot.text("正常"))
    robot.send(key, {"msgtype": "text", "text": {"content": ""}})
    emulator.fault("webhook/send", errcode=-1, times=1)
    robot.send(key, robot.text("繁忙"))
    emulator.fault("webhook/send", delay=1.0, times=1)
    robot.send(key, robot.text("超时"), timeout=0.3)
    robot.send(key, robot.text("不可达"), base="http://127.0.0.1:9/")
    robot.send(KEY, robot.text("未知机器人"))
    # The emulator's own access log is WeCom's side of the wire, not the app's.
    ours = [r for r in caplog.records if not r.name.startswith("werkzeug")]
    assert any("webhook/send" in r.getMessage() for r in ours), "urllib3 logged the request"
    assert any(robot.key_hint(key) in r.getMessage() for r in ours)
    for record in ours:
        for secret in (key, KEY):
            assert secret not in record.getMessage()
            assert secret not in repr(vars(record))


def test_a_wrong_address_is_permanent_not_retried_forever(ctx, emulator):
    key = new_robot(emulator)
    result = robot.send(key, robot.text("地址错了"), base=emulator.base + "not-wecom/")
    assert (result.outcome, result.http_status, result.errcode) == ("permanent", 404, None)
