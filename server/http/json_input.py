"""JSON request bodies: one loader for the whole app that refuses what no route can use.

Three kinds of valid JSON used to reach the code and answer 500: nesting thousands deep (a
RecursionError in json), NUL (PostgreSQL refuses it in text) and lone surrogates such as
"\\ud800" (no UTF-8 encoding exists, so they can be neither stored nor answered). The app's
JSON provider and request class (installed by create_app) refuse them for every route before
a schema sees the body; webargs reads bodies through the same loader (server/http/api.py).
"""

import json
import re

from flask import Request
from flask.json.provider import DefaultJSONProvider

from server.http.errors import AppError, Unprocessable

# Our bodies nest three levels at most (an object, a list, an object); 20 leaves room for
# clients' habits while bounding every walk over a body.
MAX_JSON_DEPTH = 20
UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
UNSAFE_TEXT_MESSAGE = "不能包含空字符（U+0000）或不成对的代理字符（U+D800–U+DFFF）"
JSON_MEDIA_TYPE = "application/json"


class JsonInputError(ValueError):
    """A body json parsed but the app refuses; a ValueError so Flask treats it as bad JSON."""

    def __init__(self, error: AppError):
        super().__init__(error.message)
        self.error = error


def field_name(name: str) -> str:
    """A field name fit to be echoed in an answer: unsafe characters are spelt as escapes."""
    if not UNSAFE_TEXT.search(name):
        return name
    return "".join(f"\\u{ord(c):04x}" if UNSAFE_TEXT.match(c) else c for c in name)


def unsafe_text_error(location: str, names: list[str]) -> Unprocessable:
    fields = {field_name(name): [UNSAFE_TEXT_MESSAGE] for name in names}
    return Unprocessable(details={"fields": {location: fields}})


def unsupported_media_type(expected: str) -> AppError:
    """415: the body is not in the one media type the route reads."""
    message = (
        "请以 JSON 格式提交（Content-Type: application/json）"
        if expected == JSON_MEDIA_TYPE
        else f"请以 {expected} 格式提交"
    )
    return AppError(
        message, code="unsupported_media_type", status=415, details={"expected": expected}
    )


def _too_deep() -> JsonInputError:
    return JsonInputError(
        AppError(
            "请求内容嵌套层数过多",
            code="json_too_deep",
            status=400,
            details={"max_depth": MAX_JSON_DEPTH},
        )
    )


def check_json_value(value) -> None:
    """Refuse nesting beyond MAX_JSON_DEPTH and unsafe text in any key or string, by field."""
    bad: list[str] = []
    # (node, depth of the containers around it, the top-level field it sits in)
    stack: list[tuple[object, int, str]] = [(value, 0, "_schema")]
    while stack:
        node, depth, field = stack.pop()
        if isinstance(node, str):
            if UNSAFE_TEXT.search(node) and field not in bad:
                bad.append(field)
            continue
        if isinstance(node, dict):
            pairs = node.items()
        elif isinstance(node, list):
            pairs = (("", item) for item in node)
        else:
            continue
        if depth >= MAX_JSON_DEPTH:
            raise _too_deep()
        for key, item in pairs:
            owner = key if depth == 0 and isinstance(node, dict) else field
            if UNSAFE_TEXT.search(key) and owner not in bad:
                bad.append(owner)
            stack.append((item, depth + 1, owner))
    if bad:
        raise JsonInputError(unsafe_text_error("json", bad))


def loads(data: str | bytes | bytearray, **kwargs):
    """json.loads for request bodies: strict UTF-8, bounded depth, no unsafe text."""
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    try:
        value = json.loads(text, **kwargs)
    except RecursionError as exc:  # thousands deep: json gives up before our walk could
        raise _too_deep() from exc
    check_json_value(value)
    return value


class ApiJSONProvider(DefaultJSONProvider):
    """Flask's JSON, whose loads is the checked loader above (request.get_json uses it)."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)


class ApiRequest(Request):
    """Request whose JSON failures answer the envelope (400/422/415) instead of werkzeug's."""

    def on_json_loading_failed(self, e: ValueError | None):
        if e is None:  # not a JSON media type
            raise unsupported_media_type(JSON_MEDIA_TYPE)
        if isinstance(e, JsonInputError):
            raise e.error from e
        raise AppError("请求内容不是有效的 JSON", code="invalid_json", status=400) from e
