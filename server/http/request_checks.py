"""Checks every request passes before a route runs: body framing and query-string text.

The body limit is enforced on the bytes actually read (Flask's per-request
max_content_length, which werkzeug applies to Content-Length and to chunked bodies alike),
so neither chunked framing nor a JSON body labelled text/plain reads past JSON_BODY_LIMIT.
A write that carries a body must say it is JSON (multipart for the upload routes): anything
else is 415, never run as if it had no body.
"""

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from server.http.errors import AppError, envelope
from server.http.json_input import (
    JSON_MEDIA_TYPE,
    UNSAFE_TEXT,
    unsafe_text_error,
    unsupported_media_type,
)

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MULTIPART = "multipart/form-data"
FORM = "application/x-www-form-urlencoded"


def _payload_too_large(limit: int | None) -> AppError:
    return AppError(
        "提交的内容过大", code="payload_too_large", status=413, details={"max_bytes": limit}
    )


def _takes_files(view) -> bool:
    """Routes whose arguments come from a multipart form (the photo upload)."""
    params = (getattr(view, "_apidoc", None) or {}).get("arguments", {}).get("parameters", [])
    return any(param["in"] in ("files", "form") for param in params)


def _has_body() -> bool:
    if request.content_length:
        return True
    # A chunked body was read (bounded) by check_framing; other framings without a length
    # give an empty stream.
    return bool(request.get_data(cache=True))


def _chunked() -> bool:
    """No Content-Length, yet the server delimits the body (chunked Transfer-Encoding)."""
    return request.content_length is None and "wsgi.input_terminated" in request.environ


def check_framing(app: Flask) -> None:
    view = app.view_functions.get(request.endpoint or "")
    uploads = view is not None and _takes_files(view)
    limit = app.config["MAX_CONTENT_LENGTH"]
    if not uploads:
        limit = min(limit, app.config["JSON_BODY_LIMIT"])
    if (request.content_length or 0) > limit:
        raise _payload_too_large(limit)
    # Set before anything opens the input stream: werkzeug then never reads past it.
    request.max_content_length = limit
    if _chunked() and not uploads:
        # werkzeug stops quietly at the maximum, so read one byte past the limit to know
        # whether the body went on; JSON bodies are small, so reading them here is cheap.
        request.max_content_length = limit + 1
        if len(request.get_data(cache=True)) > limit:
            raise _payload_too_large(limit)
    if view is None or request.method not in WRITE_METHODS:
        return
    fits = request.mimetype == MULTIPART if uploads else request.is_json
    if getattr(view, "accepts_form", False):
        # Server-rendered pages (the office console) post HTML forms.
        fits = fits or request.mimetype in (FORM, MULTIPART)
    if not fits and _has_body():
        raise unsupported_media_type(MULTIPART if uploads else JSON_MEDIA_TYPE)


def check_query_text() -> None:
    """NUL or a lone surrogate in any query name or value is refused, for every route."""
    bad = [
        name
        for name, values in request.args.lists()
        if UNSAFE_TEXT.search(name) or any(UNSAFE_TEXT.search(v) for v in values)
    ]
    if bad:
        raise unsafe_text_error("query", bad)


def init_body_framing(app: Flask) -> None:
    """Register the framing check; it must run before any hook that reads the body."""
    app.before_request(lambda: check_framing(app))

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error):
        # Raised by werkzeug while reading past max_content_length (a chunked body).
        error = _payload_too_large(request.max_content_length)
        return envelope(error.status, error.code, error.message, error.details)


def init_query_checks(app: Flask) -> None:
    """Register the query-string check; after authentication, like every validation."""
    app.before_request(check_query_text)
