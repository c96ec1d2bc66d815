"""The emulator's WeCom group robot answers like WeCom: its checks, its errcodes, its limit."""

import base64
import hashlib
import io
import uuid

import pytest
import requests
from PIL import Image

CJK = "志"  # three bytes in UTF-8


@pytest.fixture
def robot(emulator):
    """A new robot's key and a `send(body)` to it that returns WeCom's JSON answer."""
    key = requests.post(emulator.base + "_emulator/robots", json={}).json()["key"]

    def send(body=None, *, data=None, to=None):
        url = emulator.base + "cgi-bin/webhook/send"
        response = requests.post(url, params={"key": to or key}, json=body, data=data)
        assert response.status_code == 200
        return response.json()

    send.key = key
    return send


def messages(emulator, key) -> list[dict]:
    response = requests.get(f"{emulator.base}_emulator/robots/{key}/messages")
    response.raise_for_status()
    return response.json()["messages"]


def text(content: str, **mentions) -> dict:
    return {"msgtype": "text", "text": {"content": content, **mentions}}


def image_body(data: bytes, md5: str | None = None) -> dict:
    encoded = base64.b64encode(data).decode()
    return {"msgtype": "image", "image": {"base64": encoded, "md5": md5 or _md5(data)}}


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_robots_are_created_with_a_given_or_a_random_uuid_key(emulator):
    given = requests.post(emulator.base + "_emulator/robots", json={"key": "my-robot-key-1"})
    assert given.json() == {"key": "my-robot-key-1"}
    made = requests.post(emulator.base + "_emulator/robots").json()["key"]
    assert str(uuid.UUID(made)) == made
    bad = requests.post(emulator.base + "_emulator/robots", json={"key": "bad key!"})
    assert bad.status_code == 400
    assert requests.get(emulator.base + "_emulator/robots/nobody/messages").status_code == 404


def test_accepted_messages_are_listed_in_order(emulator, robot):
    data = png()
    assert robot(text("早上好", mentioned_list=["@all"])) == {"errcode": 0, "errmsg": "ok"}
    assert robot({"msgtype": "markdown", "markdown": {"content": "**公示**"}})["errcode"] == 0
    assert robot(image_body(data))["errcode"] == 0
    listed = messages(emulator, robot.key)
    assert [m["msgtype"] for m in listed] == ["text", "markdown", "image"]
    assert listed[0]["content"] == "早上好" and listed[0]["mentioned_list"] == ["@all"]
    assert listed[1]["content"] == "**公示**"
    assert listed[2]["md5"] == _md5(data) and "content" not in listed[2]
    times = [m["received_at"] for m in listed]
    assert times == sorted(times) and all(isinstance(t, float) for t in times)


def test_an_unknown_or_removed_key_answers_93000(emulator, robot):
    assert robot(text("你好"), to="no-such-robot-key")["errcode"] == 93000
    requests.delete(f"{emulator.base}_emulator/robots/{robot.key}").raise_for_status()
    assert robot(text("你好"))["errcode"] == 93000


@pytest.mark.parametrize(
    "body,data,errcode",
    [
        (None, "这不是 JSON", 40008),
        ({"msgtype": "news", "news": {"articles": []}}, None, 40008),
        ({"msgtype": "text"}, None, 40008),
        ({"msgtype": "text", "text": {"content": ""}}, None, 44004),
        (text("好", mentioned_list="@all"), None, 40058),
        (text(CJK * 682 + "abc"), None, 40058),
        ({"msgtype": "markdown", "markdown": {"content": CJK * 1365 + "ab"}}, None, 40058),
    ],
)
def test_bad_messages_answer_wecom_errcodes_and_are_not_recorded(
    emulator, robot, body, data, errcode
):
    answer = robot(body, data=data and data.encode())
    assert answer["errcode"] == errcode and answer["errmsg"]
    assert messages(emulator, robot.key) == []


def test_text_and_markdown_are_accepted_exactly_at_their_limits(emulator, robot):
    assert robot(text(CJK * 682 + "ab"))["errcode"] == 0  # 2,048 bytes
    markdown = {"msgtype": "markdown", "markdown": {"content": CJK * 1365 + "a"}}  # 4,096
    assert robot(markdown)["errcode"] == 0
    assert len(messages(emulator, robot.key)) == 2


def test_images_are_checked_like_wecom(robot):
    data = png()
    assert robot(image_body(data, md5="0" * 32))["errcode"] == 40058
    bad_base64 = {"msgtype": "image", "image": {"base64": "不是base64", "md5": _md5(data)}}
    assert robot(bad_base64)["errcode"] == 40058
    gif = b"GIF89a" + b"\0" * 10
    assert robot(image_body(gif))["errcode"] == 40008
    at_limit = data + b"\0" * (2 * 1024 * 1024 - len(data))
    assert robot(image_body(at_limit))["errcode"] == 0
    assert robot(image_body(at_limit + b"\0"))["errcode"] == 40058
    assert robot(image_body(b"\xff\xd8\xff\xe0" + b"\0" * 10))["errcode"] == 0


def test_twenty_a_minute_on_the_emulator_clock(emulator, robot):
    for n in range(20):
        assert robot(text(f"第{n}条"))["errcode"] == 0
    assert robot(text("第21条"))["errcode"] == 45009
    emulator.advance(59)
    assert robot(text("第21条"))["errcode"] == 45009
    emulator.advance(1)
    assert robot(text("第21条"))["errcode"] == 0
    contents = [m["content"] for m in messages(emulator, robot.key)]
    assert len(contents) == 21 and contents[-1] == "第21条"


def test_the_limit_is_per_robot(emulator, robot):
    for n in range(20):
        robot(text(f"第{n}条"))
    other = requests.post(emulator.base + "_emulator/robots").json()["key"]
    assert robot(text("另一个机器人"), to=other)["errcode"] == 0


def test_reset_forgets_messages_and_counts_but_keeps_robots(emulator, robot):
    for n in range(20):
        robot(text(f"第{n}条"))
    assert robot(text("满了"))["errcode"] == 45009
    emulator.reset()
    assert messages(emulator, robot.key) == []
    assert robot(text("重置之后"))["errcode"] == 0


@pytest.mark.parametrize("errcode", [45009, -1])
def test_faults_apply_to_the_robot(emulator, robot, errcode):
    emulator.fault("webhook/send", errcode=errcode, times=1)
    assert robot(text("故障"))["errcode"] == errcode
    assert robot(text("恢复"))["errcode"] == 0
    assert [m["content"] for m in messages(emulator, robot.key)] == ["恢复"]
    assert requests.get(emulator.base + "_emulator/calls").json()["webhook/send"] == 2


def test_an_outage_answers_a_gateway_error_page(emulator, robot):
    outage = emulator.base + "_emulator/robots/outage"
    assert requests.post(outage, json={"status": 418}).status_code == 400
    assert requests.post(outage, json={"status": 502, "times": 0}).status_code == 400
    requests.post(outage, json={"status": 502, "times": 2}).raise_for_status()
    url = emulator.base + "cgi-bin/webhook/send"
    for _ in range(2):
        answer = requests.post(url, params={"key": robot.key}, json=text("网关"))
        assert answer.status_code == 502 and answer.headers["Content-Type"].startswith("text/html")
    assert robot(text("恢复"))["errcode"] == 0
    assert len(messages(emulator, robot.key)) == 1
