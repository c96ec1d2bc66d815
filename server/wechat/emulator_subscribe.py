"""The emulator's subscribeMessage.send: WeChat's checks and errcodes, and what it delivered.

Templates are the DEV ids of subscribe_templates (what the console would hold); pages are the
mini-program's own (miniprogram/app.json). An openid is known when it has the shape the
emulator issues (it cannot tell which app issued it). A user's refusal of a template is set
through a control endpoint; sent messages are kept per openid until `/_emulator/reset`.
"""

import json
import re

from flask import Flask, jsonify, request

from server.platform.config import PROJECT_ROOT
from server.wechat.subscribe_templates import DATE, LIMITS, NUMBER, TEMPLATES, TIME, field_type

OPENID = re.compile(r"^o[A-Za-z0-9_-]{27}$")
BAD_OPENID, BAD_TEMPLATE, REFUSED, BAD_DATA, BAD_PAGE = 40003, 40037, 43101, 47003, 41030
APP_JSON = PROJECT_ROOT / "miniprogram" / "app.json"


def known_pages() -> set[str]:
    try:
        return set(json.loads(APP_JSON.read_text(encoding="utf-8"))["pages"])
    except (OSError, ValueError, KeyError):
        return {"pages/tasks/index"}


def data_problem(template_id: str, data) -> str | None:
    """The field WeChat would name in its 47003, or None when the data fits the template."""
    types = {name: field_type(name) for t in TEMPLATES.values() if t.dev_id == template_id
             for name, _label in t.fields}  # fmt: skip
    if not isinstance(data, dict):
        return "argument invalid! data is invalid"
    for name in types.keys() | data.keys():
        part = data.get(name)
        value = part.get("value") if isinstance(part, dict) else None
        if name not in types:
            return f"argument invalid! data.{name} is not a field of the template"
        if not isinstance(value, str) or not value:
            return f"argument invalid! data.{name}.value is empty"
        kind = types[name]
        if kind in LIMITS and len(value) > LIMITS[kind]:
            return f"argument invalid! data.{name}.value exceeds limit {LIMITS[kind]}"
        pattern = {"time": TIME, "date": DATE, "number": NUMBER}.get(kind)
        if pattern is not None and not pattern.match(value):
            return f"argument invalid! data.{name}.value invalid format"
        if kind in ("character_string", "letter") and not value.isascii():
            return f"argument invalid! data.{name}.value invalid characters"
    return None


def register_subscribe(app: Flask, state, error, apply_fault, check_token) -> None:
    """Add POST /cgi-bin/message/subscribe/send and its control endpoints; wraps reset."""
    template_ids = {t.dev_id for t in TEMPLATES.values()}
    pages = known_pages()
    refused: set[tuple[str, str]] = set()  # (openid, template_id)
    sent: dict[str, list] = {}  # openid -> messages, in order

    @app.post("/cgi-bin/message/subscribe/send")
    def subscribe_send():
        if (failed := apply_fault("subscribe/send")) is not None:
            return failed
        if (failed := check_token()) is not None:
            return failed
        body = request.get_json(force=True, silent=True)
        body = body if isinstance(body, dict) else {}
        openid, template_id = str(body.get("touser") or ""), str(body.get("template_id") or "")
        if not OPENID.match(openid):
            return error(BAD_OPENID, "invalid openid")
        if template_id not in template_ids:
            return error(BAD_TEMPLATE, "invalid template_id")
        page = body.get("page")
        if page is not None and (
            not isinstance(page, str) or page.split("?", 1)[0].lstrip("/") not in pages
        ):
            return error(BAD_PAGE, "invalid page")
        if (problem := data_problem(template_id, body.get("data"))) is not None:
            return error(BAD_DATA, problem)
        with state.lock:
            if (openid, template_id) in refused:
                return error(REFUSED, "user refuse to accept the msg")
            sent.setdefault(openid, []).append(
                {"template_id": template_id, "page": page, "data": body["data"],
                 "received_at": state.now()}
            )  # fmt: skip
        return jsonify({"errcode": 0, "errmsg": "ok"})

    # --- control endpoints (not part of WeChat) ---

    @app.post("/_emulator/subscribe/refuse")
    def subscribe_refuse():
        """The user turned this template off (or never accepted): sends answer 43101."""
        body = request.get_json(force=True, silent=True) or {}
        with state.lock:
            refused.add((str(body.get("openid") or ""), str(body.get("template_id") or "")))
        return jsonify({"ok": True})

    @app.get("/_emulator/subscribe/messages")
    def subscribe_messages():
        with state.lock:
            return jsonify({"messages": list(sent.get(request.args.get("openid", ""), []))})

    reset_view = app.view_functions["reset"]

    def reset_with_subscriptions():
        with state.lock:
            refused.clear()
            sent.clear()
        return reset_view()

    app.view_functions["reset"] = reset_with_subscriptions
