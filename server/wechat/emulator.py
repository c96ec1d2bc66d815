"""A local stand-in for the WeChat endpoints the project uses, for development and tests.

It behaves like WeChat where the project depends on it: login codes expire after five minutes
and work once, errors come back as errcodes, and faults (45011, -1, slowness) can be switched
on through `/_emulator` control endpoints. A login code `<identity>.<anything>` logs in as
`<identity>`; a phone code `<11 digits>.<anything>` yields that number. msg_sec_check flags
SEC_RISKY_WORDS, SEC_REVIEW_WORDS. Own modules: wxacode, robot (WeCom), subscribe messages.
"""

import argparse
import base64
import hashlib
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, request

from server.wechat.emulator_robot import register_robot
from server.wechat.emulator_subscribe import register_subscribe
from server.wechat.emulator_wxacode import register_wxacode

CODE_TTL_SECONDS, TOKEN_TTL_SECONDS, DEMO_APPID = 300, 7200, "wxdemo0000000000"
LOGIN_CODE = re.compile(r"^(?P<identity>[A-Za-z0-9_-]{1,32})\.[A-Za-z0-9_.-]{1,64}$")
PHONE_CODE = re.compile(r"^(?P<phone>1\d{10})\.[A-Za-z0-9_.-]{1,64}$")


@dataclass
class Fault:
    endpoint: str
    errcode: int | None
    delay: float
    times: int | None  # None: until cleared


@dataclass
class EmulatorState:
    appid: str
    secret: str
    clock_offset: float = 0.0
    codes: dict = field(default_factory=dict)  # code -> {"issued": t, "used": bool}
    tokens: dict = field(default_factory=dict)  # token -> expires_at
    stable_token: str | None = None
    faults: list = field(default_factory=list)
    calls: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.time() + self.clock_offset


# msg_sec_check word lists: WeChat would block risky texts; review texts need a human look.
SEC_RISKY_WORDS = {"赌博": 20006, "代开发票": 20006, "诈骗": 20006}
SEC_REVIEW_WORDS = {"广告": 10001}


def sec_check_verdict(content: str) -> tuple[str, int, str | None]:
    """The emulated (suggest, label, keyword) for a text: risky > review > pass."""
    for words, suggest in ((SEC_RISKY_WORDS, "risky"), (SEC_REVIEW_WORDS, "review")):
        for word, label in words.items():
            if word in content:
                return suggest, label, word
    return "pass", 100, None


def stable_id(appid: str, identity: str, kind: str) -> str:
    digest = hashlib.sha256(f"{kind}:{appid}:{identity}".encode()).digest()
    return ("o" if kind == "openid" else "u") + base64.urlsafe_b64encode(digest).decode()[:27]


def create_emulator(appid: str = DEMO_APPID, secret: str = "demo-secret") -> Flask:
    app = Flask("wechat-emulator")
    state = EmulatorState(appid=appid, secret=secret)
    app.extensions["wechat_emulator"] = state

    def error(errcode: int, errmsg: str):
        return jsonify({"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(4)}"})

    def apply_fault(endpoint: str):
        with state.lock:
            state.calls[endpoint] = state.calls.get(endpoint, 0) + 1
            fault = next((f for f in state.faults if f.endpoint in (endpoint, "*")), None)
            if fault and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    state.faults.remove(fault)
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.errcode is not None:
            return error(fault.errcode, "emulated fault")
        return None

    def consume_code(code: str, pattern: re.Pattern):
        """Check a one-time code: 40029 if unknown or expired, 40163 if used before."""
        match = pattern.match(code or "")
        if not match:
            return None, error(40029, "invalid code")
        with state.lock:
            entry = state.codes.setdefault(code, {"issued": state.now(), "used": False})
            if state.now() - entry["issued"] > CODE_TTL_SECONDS:
                return None, error(40029, "invalid code")
            if entry["used"]:
                return None, error(40163, "code been used")
            entry["used"] = True
        return match, None

    def check_token():
        token = request.args.get("access_token", "")
        with state.lock:
            expires = state.tokens.get(token)
        if expires is None:
            return error(40001, "invalid credential, access_token is invalid or not latest")
        if expires < state.now():
            return error(42001, "access_token expired")
        return None

    @app.get("/sns/jscode2session")
    def jscode2session():
        if (failed := apply_fault("jscode2session")) is not None:
            return failed
        if request.args.get("appid") != state.appid:
            return error(40013, "invalid appid")
        if request.args.get("secret") != state.secret:
            return error(40125, "invalid appsecret")
        if request.args.get("grant_type") != "authorization_code":
            return error(40002, "invalid grant_type")
        match, failed = consume_code(request.args.get("js_code", ""), LOGIN_CODE)
        if failed is not None:
            return failed
        identity = match["identity"]
        return jsonify(
            {
                "openid": stable_id(state.appid, identity, "openid"),
                "unionid": stable_id(state.appid, identity, "unionid"),
                "session_key": base64.b64encode(secrets.token_bytes(16)).decode(),
            }
        )

    def issue_token(force: bool):
        with state.lock:
            now = state.now()
            current = state.stable_token
            if force or current is None or state.tokens.get(current, 0) - now < 300:
                current = secrets.token_urlsafe(96)
                state.tokens[current] = now + TOKEN_TTL_SECONDS
                state.stable_token = current
            return jsonify(
                {"access_token": current, "expires_in": int(state.tokens[current] - now)}
            )

    @app.post("/cgi-bin/stable_token")
    def stable_token():
        if (failed := apply_fault("stable_token")) is not None:
            return failed
        body = request.get_json(force=True, silent=True) or {}
        if body.get("grant_type") != "client_credential":
            return error(40002, "invalid grant_type")
        if body.get("appid") != state.appid or body.get("secret") != state.secret:
            return error(40013, "invalid appid or secret")
        return issue_token(bool(body.get("force_refresh")))

    @app.get("/cgi-bin/token")
    def token():
        if (failed := apply_fault("token")) is not None:
            return failed
        if request.args.get("appid") != state.appid or request.args.get("secret") != state.secret:
            return error(40013, "invalid appid or secret")
        return issue_token(True)

    @app.post("/wxa/business/getuserphonenumber")
    def getuserphonenumber():
        if (failed := apply_fault("getuserphonenumber")) is not None:
            return failed
        if (failed := check_token()) is not None:
            return failed
        body = request.get_json(force=True, silent=True) or {}
        match, failed = consume_code(str(body.get("code", "")), PHONE_CODE)
        if failed is not None:
            return failed
        phone = match["phone"]
        return jsonify(
            {
                "errcode": 0,
                "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone,
                    "purePhoneNumber": phone,
                    "countryCode": "86",
                    "watermark": {"timestamp": int(state.now()), "appid": state.appid},
                },
            }
        )

    @app.post("/wxa/msg_sec_check")
    def msg_sec_check():
        """Content security v2: a verdict from a small word list, as WeChat's would look."""
        if (failed := apply_fault("msg_sec_check")) is not None:
            return failed
        if (failed := check_token()) is not None:
            return failed
        body = request.get_json(force=True, silent=True) or {}
        if body.get("version") != 2:
            return error(40097, "invalid args, version must be 2")
        if body.get("scene") not in (1, 2, 3, 4):
            return error(40129, "invalid scene")
        if not str(body.get("openid") or ""):
            return error(40003, "invalid openid")
        content = body.get("content")
        if not isinstance(content, str) or not content or len(content) > 2500:
            return error(44991 if content else 44004, "invalid content")
        suggest, label, keyword = sec_check_verdict(content)
        detail = {"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label}
        if keyword:
            detail.update(keyword=keyword, prob=90)
        return jsonify(
            {
                "errcode": 0,
                "errmsg": "ok",
                "result": {"suggest": suggest, "label": label},
                "detail": [detail],
                "trace_id": secrets.token_hex(12),
            }
        )

    register_wxacode(app, error=error, apply_fault=apply_fault, check_token=check_token)
    # --- control endpoints (not part of WeChat) ---

    @app.post("/_emulator/codes")
    def new_code():
        body = request.get_json(force=True, silent=True) or {}
        prefix = str(body.get("identity") or body.get("phone") or "")
        code = f"{prefix}.{secrets.token_hex(8)}"
        if not (LOGIN_CODE.match(code) or PHONE_CODE.match(code)):
            return jsonify({"error": "identity must match [A-Za-z0-9_-]{1,32}"}), 400
        with state.lock:
            state.codes[code] = {"issued": state.now(), "used": False}
        return jsonify({"code": code})

    @app.post("/_emulator/faults")
    def add_fault():
        body = request.get_json(force=True, silent=True) or {}
        fault = Fault(
            endpoint=str(body.get("endpoint", "*")),
            errcode=body.get("errcode"),
            delay=float(body.get("delay", 0)),
            times=body.get("times"),
        )
        with state.lock:
            state.faults.append(fault)
        return jsonify({"ok": True})

    @app.post("/_emulator/clock")
    def advance_clock():
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            state.clock_offset += float(body.get("advance_seconds", 0))
        return jsonify({"clock_offset": state.clock_offset})

    @app.post("/_emulator/expire-tokens")
    def expire_tokens():
        with state.lock:
            for token in state.tokens:
                state.tokens[token] = state.now() - 1
        return jsonify({"ok": True})

    @app.post("/_emulator/reset")
    def reset():
        with state.lock:
            state.faults.clear()
            state.calls.clear()
            state.clock_offset = 0.0
        return jsonify({"ok": True})

    @app.get("/_emulator/calls")
    def calls():
        with state.lock:
            return jsonify(dict(state.calls))

    register_robot(app, state=state, error=error, apply_fault=apply_fault)  # wraps reset too
    register_subscribe(app, state, error, apply_fault, check_token)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the local WeChat emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    env = os.environ.get
    app = create_emulator(env("WECHAT_APPID", DEMO_APPID), env("WECHAT_SECRET", "demo-secret"))
    app.run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
