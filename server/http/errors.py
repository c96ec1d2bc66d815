"""The error envelope: every failure answers {"error": {"code", "message", "details"}}."""

import logging

import marshmallow as ma
from flask import Flask, jsonify
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from server.db.session import db

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure the client can understand; raised by services, rendered by the handler."""

    status = 400
    code = "bad_request"
    message = "请求有误"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict | None = None,
        headers: dict | None = None,
    ):
        self.message = message or self.message
        self.code = code or self.code
        self.status = status or self.status
        self.details = details or {}
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(AppError):
    status, code, message = 400, "bad_request", "请求有误"


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "请先登录"


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "您没有权限进行此操作"


class NotFound(AppError):
    status, code, message = 404, "not_found", "内容不存在或已删除"


class Conflict(AppError):
    status, code, message = 409, "conflict", "操作与当前状态冲突"


class Unprocessable(AppError):
    status, code, message = 422, "validation_error", "提交的内容有误，请检查后重试"


class ServiceUnavailable(AppError):
    status, code, message = 503, "service_unavailable", "服务暂时不可用，请稍后重试"


# Stable codes and resident-facing messages for the HTTP errors Flask and webargs raise.
HTTP_ERRORS = {
    400: ("bad_request", "请求格式有误"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "您没有权限进行此操作"),
    404: ("not_found", "内容不存在或已删除"),
    405: ("method_not_allowed", "不支持该请求方式"),
    409: ("conflict", "操作与当前状态冲突"),
    413: ("payload_too_large", "提交的内容过大"),
    415: ("unsupported_media_type", "不支持的内容类型"),
    422: ("validation_error", "提交的内容有误，请检查后重试"),
    429: ("rate_limited", "操作过于频繁，请稍后再试"),
    500: ("internal_error", "系统繁忙，请稍后重试"),
}


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable snake_case code"})
    message = ma.fields.String(required=True, metadata={"description": "中文说明"})
    details = ma.fields.Dict(required=True)


class ErrorEnvelopeSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


def envelope(status: int, code: str, message: str, details: dict | None = None, headers=None):
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection itself may be what failed
        log.warning("rollback failed", exc_info=True)


def render_http_exception(error: HTTPException):
    status = error.code or 500
    code, message = HTTP_ERRORS.get(status, ("http_error", error.name or "请求失败"))
    details: dict = {}
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if data.get("messages"):
        messages = data["messages"]
        # webargs nests messages by location (json/query/...): flatten one level for clients.
        details = {"fields": {loc: errs for loc, errs in messages.items()}}
    if status == 405:
        valid = getattr(error, "valid_methods", None)
        if valid:
            headers["Allow"] = ", ".join(valid)
    if status == 429:
        retry_after = getattr(error, "retry_after", None)  # server/http/rate_limits.py sets it
        if retry_after:
            headers["Retry-After"] = str(retry_after)
    if status >= 400:
        _rollback()
    return envelope(status, code, message, details, headers)


def _database_unavailable(error: Exception) -> bool:
    """A connection refused, lost or not to be had (OperationalError, the pool's timeout)."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | PoolTimeout)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def _app_error(error: AppError):
        _rollback()
        return envelope(error.status, error.code, error.message, error.details, error.headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return render_http_exception(error)
        if _database_unavailable(error):
            # The database is down or went away under this request (restart, failover): the
            # pool drops dead connections and reconnects, so the client's retry can succeed.
            log.warning("database unavailable: %s", type(error).__name__)
            _rollback()
            return envelope(
                503,
                "database_unavailable",
                "服务暂时不可用，请稍后重试",
                headers={"Retry-After": "2"},
            )
        log.exception("unhandled exception")
        _rollback()
        code, message = HTTP_ERRORS[500]
        return envelope(500, code, message)
