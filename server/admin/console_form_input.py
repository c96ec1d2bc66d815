"""Reading console forms and running their actions: typed, bounded fields (Chinese errors) and
`act`, which turns a service's AppError into the page's result message instead of a bare page.
No business rule here: services still decide."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import marshmallow as ma
from flask import request

from server.db.session import db
from server.http.errors import AppError, Unprocessable


class FormInvalid(Unprocessable):
    code = "form_invalid"


def text(name: str, label: str, max_len: int, required: bool = True) -> str:
    value = (request.form.get(name) or "").strip()
    if required and not value:
        raise FormInvalid(f"请填写{label}", details={"field": name})
    if len(value) > max_len:
        raise FormInvalid(f"{label}最多 {max_len} 个字", details={"field": name})
    return value


def number(name: str, label: str, *, required: bool = True, lo: int = 1, hi: int = 2**31 - 1):
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            raise FormInvalid(f"请填写{label}", details={"field": name})
        return None
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise FormInvalid(f"{label}应为 {lo} 到 {hi} 之间的整数", details={"field": name})
    return int(raw)


def day(name: str, label: str, required: bool = True) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        if required:
            raise FormInvalid(f"请填写{label}", details={"field": name})
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise FormInvalid(f"{label}格式应为 YYYY-MM-DD", details={"field": name}) from None


def choice(name: str, label: str, options, required: bool = True) -> str | None:
    value = request.form.get(name) or None
    if value is None and not required:
        return None
    if value not in options:
        raise FormInvalid(f"请选择{label}", details={"field": name})
    return value


@dataclass
class Outcome:
    """What an action did, for the page's result area; `status` is the response's."""

    message: str
    kind: str = "ok"
    status: int = 200
    value: object = None


def act(action: Callable[[], object], done: str) -> Outcome:
    """Run one form action; a refusal (bad input or a service's AppError) changes nothing and
    comes back as an error message with its status."""
    try:
        value = action()
    except AppError as error:
        db.session.rollback()
        return Outcome(error.message, "error", error.status)
    return Outcome(done, value=value)


def checked(name: str) -> list[str]:
    """The values of a group of checkboxes."""
    return request.form.getlist(name)


def validated(schema, data: dict) -> dict:
    """`data` (typed from the form) loaded by the API's own schema, so both check alike."""
    try:
        return schema.load(data)
    except ma.ValidationError as error:
        said = [m for m in _flat(error.messages) if any("\u4e00" <= c <= "\u9fff" for c in m)]
        message = "表单填写有误" + (f"：{said[0]}" if said else "")
        raise FormInvalid(message, details={"fields": error.messages}) from None


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flat(value)]
    return [str(messages)]
