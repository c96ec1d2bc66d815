"""Structured JSON logs, one line per request, tagged with a request id."""

import logging
import re
import secrets
import sys
import time

from flask import Flask, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("redpoints.access")
# A display link's path is its credential (server/notices/display_routes.py): logged without it.
_DISPLAY_TOKEN = re.compile(r"^/display/[^/]+")


def loggable_path(path: str) -> str:
    return _DISPLAY_TOKEN.sub("/display/[token]", path)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id") if has_request_context() else None
        return True


def configure_logging(level: str) -> None:
    """Install one JSON handler on the root logger (idempotent across app instances)."""
    root = logging.getLogger()
    if not any(getattr(h, "_redpoints", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"levelname": "level", "asctime": "time"},
            )
        )
        handler.addFilter(RequestIdFilter())
        handler._redpoints = True
        root.addHandler(handler)
    root.setLevel(level)
    # urllib3 logs full URLs at DEBUG, and WeChat URLs carry secrets and login codes.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    # botocore logs signed request headers (the object store's access key id) at DEBUG.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_request_logging(app: Flask) -> None:
    @app.before_request
    def _start():
        # Never carry an identity over from an outer (test) app context.
        g.pop("current_user", None)
        g.pop("current_user_id", None)
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        user_id = g.get("current_user_id")
        access_log.info(
            "request",
            extra={
                "method": request.method,
                "path": loggable_path(request.path),
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2)
                if started
                else None,
                "user_id": user_id,
            },
        )
        return response
