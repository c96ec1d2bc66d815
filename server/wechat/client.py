"""The only place that talks to WeChat: wechatpy, pointed at WECHAT_API_BASE."""

import logging
import re
from dataclasses import dataclass

import requests
from flask import current_app
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage

from server.http.errors import AppError, ServiceUnavailable
from server.platform.redis_client import get_redis, redis_key
from server.wechat.token_storage import FallbackStorage

log = logging.getLogger(__name__)

# WeChat errcodes that mean the code the client sent is unusable (not that WeChat is down).
CODE_INVALID = 40029
CODE_USED = 40163
CODE_BLOCKED = 40226
RATE_LIMITED = 45011

# What a code from the mini-program looks like: wx.login gives 32 letters and digits,
# getPhoneNumber 64 hex digits, the local emulator `<identity>.<anything>`. Anything else is the
# client's mistake: refused before WeChat is asked (and never blamed on WeChat).
CODE_SHAPE = r"^[A-Za-z0-9_.-]{1,128}$"
_CODE_SHAPE = re.compile(CODE_SHAPE)


def _check_shape(code: str) -> None:
    if not _CODE_SHAPE.fullmatch(code):
        raise AppError("微信授权码无效或已过期，请重试", code="wechat_code_invalid", status=400)


class WeChatUnavailable(ServiceUnavailable):
    code, message = "wechat_unavailable", "微信服务暂时不可用，请稍后重试"


class StableTokenClient(WeChatClient):
    """wechatpy client that fetches the stable access token from a configurable base URL."""

    def __init__(self, appid, secret, api_base: str, **kwargs):
        super().__init__(appid, secret, **kwargs)
        self.api_base = api_base if api_base.endswith("/") else api_base + "/"
        self.API_BASE_URL = self.api_base + "cgi-bin/"
        self.wxa.API_BASE_URL = self.api_base

    def fetch_access_token(self):
        # wechatpy hard-codes cgi-bin/token; stable_token does not invalidate other instances'.
        response = self._http.post(
            self.api_base + "cgi-bin/stable_token",
            json={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
            timeout=self.timeout,
        )
        response.raise_for_status()
        result = response.json()
        if result.get("errcode"):
            raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = None  # storage TTL retires the token; shared across processes
        return result


def _session_storage():
    redis = get_redis()
    if redis is not None:
        return FallbackStorage(RedisStorage(redis, prefix=redis_key("wechatpy")), _memory_storage)
    return _memory_storage


_memory_storage = MemoryStorage()


def get_client() -> StableTokenClient:
    """One client (and one pooled HTTP session) per configuration, shared by the threads."""
    cfg = current_app.config
    key = (
        cfg["WECHAT_APPID"],
        cfg["WECHAT_SECRET"],
        cfg["WECHAT_API_BASE"],
        cfg["WECHAT_TIMEOUT"],
        cfg.get("REDIS_URL"),
    )
    clients = current_app.extensions.setdefault("wechat_clients", {})
    client = clients.get(key)
    if client is None:
        client = StableTokenClient(
            cfg["WECHAT_APPID"],
            cfg["WECHAT_SECRET"],
            cfg["WECHAT_API_BASE"],
            session=_session_storage(),
            timeout=cfg["WECHAT_TIMEOUT"],
        )
        # WeChat is reached directly; skipping proxy/netrc lookups also saves time per call.
        client._http.trust_env = False
        clients[key] = client
    return client


def _translate(exc: Exception, what: str) -> AppError:
    """Map a wechatpy or transport failure to an error a resident can act on."""
    if isinstance(exc, WeChatClientException) and exc.errcode is not None:
        errcode = int(exc.errcode)
        if errcode == CODE_INVALID:
            return AppError(
                "微信授权码无效或已过期，请重试", code="wechat_code_invalid", status=400
            )
        if errcode == CODE_USED:
            return AppError("微信授权码已被使用，请重试", code="wechat_code_used", status=400)
        if errcode == CODE_BLOCKED:
            return AppError(
                "该微信账号存在风险，暂时无法登录", code="wechat_login_blocked", status=403
            )
        if errcode == RATE_LIMITED:
            return AppError(
                "操作过于频繁，请稍后再试",
                code="wechat_rate_limited",
                status=429,
                headers={"Retry-After": "60"},
            )
        log.warning("wechat %s failed", what, extra={"errcode": errcode})
    else:
        log.warning("wechat %s unreachable: %s", what, type(exc).__name__)
    return WeChatUnavailable()


def code_to_session(js_code: str) -> dict:
    """Exchange a wx.login code for {openid, session_key, unionid?}."""
    _check_shape(js_code)
    client = get_client()
    cfg = current_app.config
    # A list (not a dict) of params stops wechatpy from fetching an access token needlessly.
    params = [
        ("appid", cfg["WECHAT_APPID"]),
        ("secret", cfg["WECHAT_SECRET"]),
        ("js_code", js_code),
        ("grant_type", "authorization_code"),
    ]
    try:
        result = client.get("sns/jscode2session", params=params, api_base_url=client.api_base)
    except (WeChatClientException, requests.RequestException, ValueError) as exc:
        raise _translate(exc, "code2session") from None
    if not isinstance(result, dict) or not result.get("openid") or not result.get("session_key"):
        raise WeChatUnavailable()
    return result


def get_phone_number(code: str, openid: str | None = None) -> dict:
    """Exchange a getPhoneNumber button code for phone_info."""
    _check_shape(code)
    client = get_client()
    data = {"code": code}
    if openid:
        data["openid"] = openid
    try:
        result = client.post(
            "wxa/business/getuserphonenumber", data=data, api_base_url=client.api_base
        )
    except (WeChatClientException, requests.RequestException, ValueError) as exc:
        raise _translate(exc, "getuserphonenumber") from None
    info = result.get("phone_info") if isinstance(result, dict) else None
    if not info or not info.get("purePhoneNumber"):
        raise WeChatUnavailable()
    return info


PNG_MAGIC, JPEG_MAGIC = b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff"


def get_unlimited_wxacode(scene: str, page: str | None = None, width: int = 430) -> bytes:
    """A mini-program code (wxacode.getUnlimited) opening `page` (default: the home page) with
    `scene` in its launch query; the image bytes WeChat draws."""
    client = get_client()
    try:
        result = client.wxa.get_wxa_code_unlimited(scene, width=width, page=page)
    except (WeChatClientException, requests.RequestException, ValueError) as exc:
        raise _translate(exc, "getwxacodeunlimit") from None
    # wechatpy hands back the HTTP response itself when the body is not JSON (an image).
    content = getattr(result, "content", None)
    if not isinstance(content, bytes) or not content.startswith((PNG_MAGIC, JPEG_MAGIC)):
        raise WeChatUnavailable()
    return content


@dataclass(frozen=True)
class SubscribeResult:
    """WeChat's answer to one subscribe message: errcode 0 is sent; None means no answer
    (a timeout, no connection, an HTTP error), with what happened in errmsg."""

    errcode: int | None
    errmsg: str


def send_subscribe_message(openid: str, template_id: str, data: dict, page: str) -> SubscribeResult:
    """subscribeMessage.send through wechatpy; never raises for WeChat's or the network's
    answer (the caller decides what to retry). The openid is never logged."""
    try:
        get_client().wxa.send_subscribe_message(openid, template_id, data, page=page)
    except WeChatClientException as exc:
        if exc.errcode is not None:
            return SubscribeResult(int(exc.errcode), str(exc.errmsg or "")[:120])
        status = getattr(exc.response, "status_code", None)
        return SubscribeResult(None, f"http {status}" if status else "unreachable")
    except requests.Timeout:
        return SubscribeResult(None, "timeout")
    except (requests.RequestException, ValueError) as exc:
        return SubscribeResult(None, type(exc).__name__)
    return SubscribeResult(0, "ok")
