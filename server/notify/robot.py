"""WeCom group robots (企业微信群机器人): read a pasted key, build messages, send one.

No maintained library covers the robot (wechatpy does not), and it is one POST: the key in
the query string is the credential, so it is a secret. Only `key_hint` of it is ever shown or
logged; urllib3's DEBUG line of the URL is redacted below. `send` never raises for WeCom's
answers: it classifies them as ok, retry or permanent, and the caller decides what next.
"""

import base64
import hashlib
import html
import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import requests
from flask import current_app

from server.http.errors import Unprocessable

log = logging.getLogger(__name__)

KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
SEND_PATH = "/cgi-bin/webhook/send"
TEXT_MAX_BYTES = 2048
MARKDOWN_MAX_BYTES = 4096
IMAGE_MAX_BYTES = 2 * 1024 * 1024
PNG_MAGIC, JPEG_MAGIC = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"
MOBILE = re.compile(r"^1\d{10}$")
RATE_LIMITED, SYSTEM_BUSY, INVALID_KEY, INVALID_PARAMETER = 45009, -1, 93000, 40058
RETRY_ERRCODES = frozenset({RATE_LIMITED, SYSTEM_BUSY})
# Pasted text may carry line breaks, full-width spaces or invisible marks from a chat window.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_KEY_IN_URL = re.compile(r"([?&]key=)[^&\s\"']+", re.IGNORECASE)


class InvalidMessage(ValueError):
    """A message WeCom would refuse; the caller decides whether to shorten, cut or drop it."""


class MessageTooLong(InvalidMessage):
    """Over WeCom's size limit for its type (text 2,048 bytes, image 2 MB)."""


def _refuse() -> Unprocessable:
    return Unprocessable(
        "企业微信机器人地址无效，请粘贴机器人的 Webhook 地址（…/cgi-bin/webhook/send?key=…）"
        "或其中的 key",
        code="invalid_robot_key",
    )


def parse_key(text) -> str:
    """The key of a robot from a bare key or a pasted webhook URL; 422 for anything else."""
    if not isinstance(text, str):
        raise _refuse()
    pasted = "".join(html.unescape(text).translate(_INVISIBLE).split()).strip("\"'<>`")
    if KEY.match(pasted):
        return pasted
    # Any scheme (or none) and any host: private WeCom deployments answer on their own hosts.
    try:
        url = urlsplit(pasted if "://" in pasted else "https://" + pasted.lstrip("/"))
    except ValueError:  # e.g. an unclosed [IPv6] host
        raise _refuse() from None
    if not url.path.rstrip("/").lower().endswith(SEND_PATH):
        raise _refuse()
    keys = parse_qs(url.query).get("key", [])
    if len(keys) != 1 or not KEY.match(keys[0]):
        raise _refuse()
    return keys[0]


def key_hint(key: str) -> str:
    """All of a key anyone may see: its last four characters."""
    return "…" + key[-4:]


def text(content: str, mentions=()) -> dict:
    """A text message; `mentions` are userids, mobile numbers or "@all"."""
    if not content:
        raise InvalidMessage("text content is empty")
    if len(content.encode()) > TEXT_MAX_BYTES:
        raise MessageTooLong(f"text is over {TEXT_MAX_BYTES} bytes")
    body = {"content": content}
    users = [m for m in mentions if not MOBILE.match(m)]
    mobiles = [m for m in mentions if MOBILE.match(m)]
    if users:
        body["mentioned_list"] = users
    if mobiles:
        body["mentioned_mobile_list"] = mobiles
    return {"msgtype": "text", "text": body}


def markdown(content: str, more_url: str | None = None) -> dict:
    """A markdown message; over 4,096 bytes it is cut on a line boundary and ends with a line
    linking to `more_url` (or saying it was cut), the whole within 4,096 bytes."""
    if not content:
        raise InvalidMessage("markdown content is empty")
    tail = _tail(more_url)  # checked even when unused, so a bad URL fails on every message
    if len(content.encode()) > MARKDOWN_MAX_BYTES:
        content = _cut(content, tail)
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _tail(more_url: str | None) -> str:
    if more_url is None:
        return "\n（内容过长，已截断）"
    if not re.match(r"^https?://[^\s]+$", more_url, re.IGNORECASE):
        raise InvalidMessage("more_url must be an http(s) URL")
    # Brackets would end the markdown link early.
    escaped = more_url.replace("(", "%28").replace(")", "%29")
    return f"\n[查看全文]({escaped})"


def _cut(content: str, tail: str) -> str:
    budget = MARKDOWN_MAX_BYTES - len(tail.encode())
    if budget < 16:
        raise InvalidMessage("more_url is too long to fit in a markdown message")
    kept, used = [], 0
    for line in content.split("\n"):
        size = len(line.encode()) + (1 if kept else 0)
        if used + size > budget:
            break
        kept.append(line)
        used += size
    if not "".join(kept).strip():
        # The first text line is longer than the whole budget: cut inside it, on a character.
        head = content.encode()[: budget - len("…".encode())].decode(errors="ignore")
        kept = [head + "…"]
    return "\n".join(kept) + tail


def image(data: bytes) -> dict:
    """An image message: JPEG or PNG, at most 2 MB before base64."""
    if not data.startswith((PNG_MAGIC, JPEG_MAGIC)):
        raise InvalidMessage("a robot image must be a JPEG or PNG")
    if len(data) > IMAGE_MAX_BYTES:
        raise MessageTooLong(f"image is over {IMAGE_MAX_BYTES} bytes")
    return {
        "msgtype": "image",
        "image": {
            "base64": base64.b64encode(data).decode("ascii"),
            "md5": hashlib.md5(data).hexdigest(),
        },
    }


@dataclass(frozen=True)
class SendResult:
    """What became of one send: `ok`, `retry` (try again later) or `permanent` (do not)."""

    outcome: str
    errcode: int | None = None
    errmsg: str | None = None
    http_status: int | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


_session = requests.Session()
_session.trust_env = False  # WeCom is reached directly, like WeChat (server/wechat/client.py)


def send(
    key: str, body: dict, *, timeout: float | None = None, base: str | None = None
) -> SendResult:
    """POST `body` to the robot `key`; a SendResult, never an exception for WeCom's answer."""
    cfg = current_app.config
    url = (base or cfg["WECOM_ROBOT_BASE"]).rstrip("/") + SEND_PATH
    timeout = cfg["WECOM_ROBOT_TIMEOUT"] if timeout is None else timeout
    hint = key_hint(key)
    try:
        response = _session.post(url, params={"key": key}, json=body, timeout=timeout)
    except requests.RequestException as exc:
        # The exception's text holds the URL, and with it the key: only its type is logged.
        reason = "timeout" if isinstance(exc, requests.Timeout) else "unreachable"
        log.warning("wecom robot %s %s", hint, reason, extra={"exception": type(exc).__name__})
        return SendResult("retry", errmsg=reason)
    return _classify(response, key, hint)


def _classify(response: requests.Response, key: str, hint: str) -> SendResult:
    status = response.status_code
    if status >= 500 or status == 429:
        log.warning("wecom robot %s answered HTTP %s", hint, status)
        return SendResult("retry", errmsg=f"HTTP {status}", http_status=status)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    success = 200 <= status < 300
    if not success or not isinstance(errcode, int) or isinstance(errcode, bool):
        # A 2xx without an errcode is a proxy's or a glitch's, not WeCom's verdict.
        outcome = "retry" if success else "permanent"
        log.warning("wecom robot %s answered HTTP %s, errcode %r", hint, status, errcode)
        return SendResult(outcome, errmsg=f"HTTP {status}", http_status=status)
    if errcode == 0:
        log.debug("wecom robot %s sent", hint)
        return SendResult("ok", 0, "ok", status)
    errmsg = str(answer.get("errmsg") or "").replace(key, hint)[:500]
    outcome = "retry" if errcode in RETRY_ERRCODES else "permanent"
    log.warning("wecom robot %s: %s errcode %s", hint, outcome, errcode, extra={"errmsg": errmsg})
    return SendResult(outcome, errcode, errmsg, status)


class _RedactKeys(logging.Filter):
    """urllib3 logs each request line, query string included, at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if SEND_PATH in message:
            record.msg, record.args = _KEY_IN_URL.sub(r"\1[redacted]", message), ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactKeys())
