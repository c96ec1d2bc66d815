"""The emulator's WeCom group robot: POST /cgi-bin/webhook/send?key=… with WeCom's checks.

Robots exist once created through `POST /_emulator/robots`; each keeps the messages it
accepted, in order, and accepts at most 20 a minute counted on the emulator's clock (a test
advances `/_emulator/clock` instead of waiting). `/_emulator/reset` also forgets messages,
counts and outages; the robots themselves stay.
"""

import base64
import binascii
import hashlib
import re
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from flask import Flask, Response, jsonify, request

KEY = re.compile(r"^[A-Za-z0-9-]{8,64}$")
PER_MINUTE = 20
TEXT_MAX_BYTES, MARKDOWN_MAX_BYTES = 2048, 4096
IMAGE_MAX_BYTES = 2 * 1024 * 1024
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")
# WeCom's errcodes for the robot.
INVALID_KEY, RATE_LIMITED, EMPTY = 93000, 45009, 44004
INVALID_PARAMETER, INVALID_TYPE = 40058, 40008
OUTAGE_PAGE = "<html><head><title>Bad Gateway</title></head><body>Bad Gateway</body></html>"


@dataclass
class Robot:
    key: str
    messages: list = field(default_factory=list)
    accepted_at: deque = field(default_factory=deque)  # emulator times, for the rate limit


class Refused(Exception):
    def __init__(self, errcode: int, errmsg: str):
        super().__init__(errmsg)
        self.errcode, self.errmsg = errcode, errmsg


def _content(part: dict, limit: int) -> str:
    content = part.get("content")
    if not isinstance(content, str) or not content:
        raise Refused(EMPTY, "empty content")
    if len(content.encode()) > limit:
        raise Refused(INVALID_PARAMETER, f"content exceed max length {limit}")
    return content


def _image_md5(part: dict) -> str:
    try:
        data = base64.b64decode(str(part.get("base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise Refused(INVALID_PARAMETER, "invalid image base64") from None
    if not data:
        raise Refused(INVALID_PARAMETER, "invalid image base64")
    if len(data) > IMAGE_MAX_BYTES:
        raise Refused(INVALID_PARAMETER, "image size exceed 2M")
    if not data.startswith(IMAGE_MAGIC):
        raise Refused(INVALID_TYPE, "invalid image type, only jpg and png")
    md5 = hashlib.md5(data).hexdigest()
    if str(part.get("md5") or "").lower() != md5:
        raise Refused(INVALID_PARAMETER, "image md5 not match")
    return md5


def check_message(body) -> dict:
    """What the robot records of a message WeCom would accept; Refused otherwise."""
    msgtype = body.get("msgtype") if isinstance(body, dict) else None
    part = body.get(msgtype) if msgtype in ("text", "markdown", "image") else None
    if not isinstance(part, dict):
        raise Refused(INVALID_TYPE, "invalid message type")
    if msgtype == "image":
        return {"msgtype": msgtype, "md5": _image_md5(part)}
    limit = TEXT_MAX_BYTES if msgtype == "text" else MARKDOWN_MAX_BYTES
    record = {"msgtype": msgtype, "content": _content(part, limit)}
    for name in ("mentioned_list", "mentioned_mobile_list") if msgtype == "text" else ():
        mentions = part.get(name)
        if mentions is None:
            continue
        if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
            raise Refused(INVALID_PARAMETER, f"invalid {name}")
        record[name] = mentions
    return record


def register_robot(app: Flask, *, state, error, apply_fault) -> None:
    """Add the robot and its control endpoints; call after the emulator's own routes."""
    robots: dict[str, Robot] = {}
    outages: list[dict] = []  # {"status", "times"}: HTTP errors before WeCom answers
    holds: list[dict] = []  # {"seconds", "times"}: sends stuck in the network before WeCom
    window = {"seconds": 60.0}  # WeCom's minute; a test may compress it

    def take_outage() -> int | None:
        with state.lock:
            if not outages:
                return None
            outage = outages[0]
            if outage["times"] is not None:
                outage["times"] -= 1
                if outage["times"] <= 0:
                    outages.pop(0)
            return outage["status"]

    def take_hold() -> float:
        with state.lock:
            if not holds:
                return 0.0
            hold = holds[0]
            hold["times"] -= 1
            if hold["times"] <= 0:
                holds.pop(0)
            return hold["seconds"]

    def accept(key: str, record) -> Response:
        with state.lock:
            robot = robots.get(key)
            if robot is None:
                return error(INVALID_KEY, "invalid webhook url")
            now = state.now()
            while robot.accepted_at and now - robot.accepted_at[0] >= window["seconds"]:
                robot.accepted_at.popleft()
            if len(robot.accepted_at) >= PER_MINUTE:
                return error(RATE_LIMITED, "api freq out of limit")
            if isinstance(record, Refused):
                return error(record.errcode, record.errmsg)
            robot.accepted_at.append(now)
            robot.messages.append({**record, "received_at": now})
        return jsonify({"errcode": 0, "errmsg": "ok"})

    def held(seconds: float, key: str, record):
        """The send waits in the network: WeCom sees it only if the sender is still there
        when the wait ends (a sender that died meanwhile fails a write and is dropped)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            yield b" "  # JSON allows leading whitespace; a dead peer makes a write fail
            time.sleep(0.05)
        yield accept(key, record).get_data()

    @app.post("/cgi-bin/webhook/send")
    def webhook_send():
        if (failed := apply_fault("webhook/send")) is not None:
            return failed
        if (status := take_outage()) is not None:
            return Response(OUTAGE_PAGE, status=status, mimetype="text/html")
        try:
            record = check_message(request.get_json(force=True, silent=True))
        except Refused as refused:
            record = refused
        key = request.args.get("key", "")
        if seconds := take_hold():
            return Response(held(seconds, key, record), mimetype="application/json")
        return accept(key, record)

    # --- control endpoints (not part of WeCom) ---

    @app.post("/_emulator/robots")
    def create_robot():
        body = request.get_json(force=True, silent=True) or {}
        key = str(body.get("key") or uuid.uuid4())
        if not KEY.match(key):
            return jsonify({"error": "key must match [A-Za-z0-9-]{8,64}"}), 400
        with state.lock:
            robots.setdefault(key, Robot(key))
        return jsonify({"key": key})

    @app.delete("/_emulator/robots/<key>")
    def remove_robot(key):
        """A robot removed from its group: its key answers 93000 from now on."""
        with state.lock:
            robots.pop(key, None)
        return jsonify({"ok": True})

    @app.get("/_emulator/robots/<key>/messages")
    def robot_messages(key):
        with state.lock:
            robot = robots.get(key)
            if robot is None:
                return jsonify({"error": "no such robot"}), 404
            return jsonify({"messages": list(robot.messages)})

    @app.post("/_emulator/robots/outage")
    def robot_outage():
        """The next `times` sends (all while null) answer HTTP `status`, as a gateway would."""
        body = request.get_json(force=True, silent=True) or {}
        status, times = body.get("status", 502), body.get("times", 1)
        if not isinstance(status, int) or not 500 <= status <= 599:
            return jsonify({"error": "status must be a 5xx"}), 400
        if times is not None and (not isinstance(times, int) or times < 1):
            return jsonify({"error": "times must be a positive integer or null"}), 400
        with state.lock:
            outages.append({"status": status, "times": times})
        return jsonify({"ok": True})

    @app.post("/_emulator/robots/hold")
    def robot_hold():
        """The next `times` sends wait `seconds` in the network before WeCom sees them; one
        whose sender is gone by then never arrives (a worker killed mid-send)."""
        body = request.get_json(force=True, silent=True) or {}
        seconds, times = body.get("seconds"), body.get("times", 1)
        if not isinstance(seconds, int | float) or not 0 < seconds <= 60:
            return jsonify({"error": "seconds must be in (0, 60]"}), 400
        if not isinstance(times, int) or times < 1:
            return jsonify({"error": "times must be a positive integer"}), 400
        with state.lock:
            holds.append({"seconds": float(seconds), "times": times})
        return jsonify({"ok": True})

    @app.post("/_emulator/robots/window")
    def robot_window():
        """Compress WeCom's minute (20 messages per `seconds`) for tests of a long burst."""
        body = request.get_json(force=True, silent=True) or {}
        seconds = body.get("seconds")
        if not isinstance(seconds, int | float) or not 0 < seconds <= 60:
            return jsonify({"error": "seconds must be in (0, 60]"}), 400
        with state.lock:
            window["seconds"] = float(seconds)
        return jsonify({"ok": True})

    reset_view = app.view_functions["reset"]

    def reset_with_robots():
        with state.lock:
            for robot in robots.values():
                robot.messages.clear()
                robot.accepted_at.clear()
            outages.clear()
            holds.clear()
            window["seconds"] = 60.0
        return reset_view()

    app.view_functions["reset"] = reset_with_robots
