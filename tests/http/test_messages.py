"""Every message a user can see is Chinese, marshmallow's and webargs' defaults included."""

import re

import marshmallow as ma
import pytest
from marshmallow import validate
from webargs import core

from tests.conftest import error_code

CJK = re.compile(r"[\u4e00-\u9fff]")
# Three English words in a row is a sentence ("Not a valid integer.", "String does not match").
ENGLISH = re.compile(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")
PLACEHOLDER = re.compile(r"\{[^}]*\}")


def _problem(message) -> bool:
    if not isinstance(message, str):
        return False  # e.g. a dict of nested messages, walked on its own
    text = PLACEHOLDER.sub("", message)
    return not CJK.search(text) or bool(ENGLISH.search(text))


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _merged_messages(field_cls) -> dict:
    """The messages an instance of field_cls starts with (marshmallow merges along the MRO)."""
    messages = {}
    for klass in reversed(field_cls.__mro__):
        messages.update(getattr(klass, "default_error_messages", {}) or {})
    return messages


def _validator_messages(validator) -> list[str]:
    names = [n for n in dir(validator) if n == "error" or "message" in n]
    return [getattr(validator, n) for n in names if isinstance(getattr(validator, n), str)]


def test_every_field_class_default_message_is_chinese(app):
    # app: every schema module, webargs and flask-smorest are imported, so every Field exists.
    problems = [
        f"{cls.__module__}.{cls.__name__}.{key}: {message!r}"
        for cls in _subclasses(ma.fields.Field)
        if not cls.__name__.startswith("_")
        for key, message in _merged_messages(cls).items()
        if _problem(message)
    ]
    assert problems == []


def test_every_validator_default_message_is_chinese(app):
    problems = [
        f"{cls.__name__}: {message!r}"
        for cls in _subclasses(validate.Validator)
        for message in _validator_messages(cls)
        if _problem(message)
    ]
    assert problems == []
    assert not _problem(ma.Schema._default_error_messages["unknown"])
    assert not _problem(ma.Schema._default_error_messages["type"])
    assert not _problem(core.Parser.DEFAULT_VALIDATION_MESSAGE)


def _walk_fields(schema, seen):
    for name, field in schema.fields.items():
        yield f"{type(schema).__name__}.{name}", field
        inner = getattr(field, "inner", None)
        if inner is not None:
            yield f"{type(schema).__name__}.{name}[]", inner
            field = inner
        if isinstance(field, ma.fields.Nested) and type(field.schema) not in seen:
            seen.add(type(field.schema))
            yield from _walk_fields(field.schema, seen)


def test_every_message_of_every_schema_in_the_app_is_chinese(app):
    """Instances, as the routes use them: custom messages and validators' errors included."""
    problems = []
    seen: set = set()
    for schema_cls in _subclasses(ma.Schema):
        if not schema_cls.__module__.startswith("server."):
            continue
        try:
            schema = schema_cls()
        except TypeError:
            continue  # a base that needs arguments is covered by its subclasses
        for where, field in _walk_fields(schema, seen):
            for key, message in field.error_messages.items():
                if _problem(message):
                    problems.append(f"{where} {key}: {message!r}")
            for validator in field.validators:
                for message in _validator_messages(validator):
                    if _problem(message):
                        problems.append(f"{where} {type(validator).__name__}: {message!r}")
    assert problems == []


@pytest.mark.parametrize(
    "path, field, expected",
    [
        ("/api/v1/rankings?period=2026-13", "period", "YYYY-Qn"),
        ("/api/v1/rankings?period=x&kind=nobody", "kind", "应为以下之一"),
        ("/api/v1/points/claims?date_from=yesterday", "date_from", "YYYY-MM-DD"),
        ("/api/v1/points/claims?limit=lots", "limit", "整数"),
        ("/api/v1/points/claims?nope=1", "nope", "不支持的字段"),
    ],
)
def test_query_errors_answer_in_chinese(api, seeded, path, field, expected):
    resp = api.get(path, "resident-1")
    assert resp.status_code == 422 and error_code(resp) == "validation_error"
    messages = resp.get_json()["error"]["details"]["fields"]["query"][field]
    assert any(expected in m for m in messages), messages
    assert not any(_problem(m) for m in messages), messages


def test_body_errors_answer_in_chinese(api, seeded):
    resp = api.post(
        "/api/v1/admin/points/categories",
        "admin",
        json={"code": "not valid!", "name": "x" * 40, "sort_order": "1"},
    )
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["details"]["fields"]["json"]
    assert set(fields) == {"code", "name", "sort_order"}
    for messages in fields.values():
        assert not any(_problem(m) for m in messages), fields
    resp = api.post("/api/v1/tasks", "admin", json={"title": "t", "starts_at": "2026-06-01T09:00"})
    fields = resp.get_json()["error"]["details"]["fields"]["json"]
    assert "时区" in fields["starts_at"][0]  # naive: marshmallow's "Not a valid aware datetime."
    assert "此项为必填" in fields["ends_at"][0]
