"""Reading console forms and filters and running their actions: typed, bounded fields with
Chinese errors, a form checked by the API's own schema, and an action whose refusal is shown
on the page it came from. No business rule here: services still decide."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import marshmallow as ma
from flask import request

from server.db.session import db
from server.http.errors import AppError, BadRequest, Unprocessable
from server.platform.localtime import SHANGHAI


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
    if not raw.isdecimal() or not lo <= int(raw) <= hi:
        raise FormInvalid(f"{label}应为 {lo} 到 {hi} 之间的整数", details={"field": name})
    return int(raw)


def _date(raw: str, fail: Callable[[], Exception]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise fail() from None


def day(name: str, label: str, required: bool = True) -> date | None:
    """A YYYY-MM-DD form field."""
    raw = (request.form.get(name) or "").strip()
    if not raw and required:
        raise FormInvalid(f"请填写{label}", details={"field": name})
    return _date(raw, lambda: FormInvalid(f"{label}格式应为 YYYY-MM-DD", details={"field": name}))


def day_arg(name: str) -> date | None:
    """A YYYY-MM-DD filter (query parameter), or None when empty."""
    raw = (request.args.get(name) or "").strip()
    return _date(raw, lambda: BadRequest("日期格式应为 YYYY-MM-DD", code="invalid_date"))


def choice(name: str, label: str, options, required: bool = True) -> str | None:
    value = request.form.get(name) or None
    if value is None and not required:
        return None
    if value not in options:
        raise FormInvalid(f"请选择{label}", details={"field": name})
    return value


def choice_arg(name: str, choices) -> str | None:
    """A filter (query parameter) that must be one of `choices` (empty: None)."""
    raw = request.args.get(name) or None
    if raw is not None and raw not in choices:
        raise BadRequest("筛选条件无效", code="invalid_filter", details={"field": name})
    return raw


def checked(name: str) -> list[str]:
    """The values of a group of checkboxes."""
    return request.form.getlist(name)


def local_datetime(raw: str | None) -> str | None:
    """A `datetime-local` field (Shanghai wall time) as an aware ISO string for the schema."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Unprocessable("时间格式有误", code="invalid_datetime") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.isoformat()


def validated(schema, data: dict) -> dict:
    """`data` (typed from the form) loaded by the API's own schema, so both check alike."""
    try:
        return schema.load(data)
    except ma.ValidationError as error:
        said = [m for m in _flat(error.messages) if any("\u4e00" <= c <= "\u9fff" for c in m)]
        fields = sorted(error.normalized_messages())
        message = f"表单填写有误：{said[0]}" if said else "请检查：" + "、".join(fields)
        raise FormInvalid(message, details={"fields": fields}) from None


def load_form(schema: ma.Schema, data: dict) -> dict:
    """A form's raw values checked by the API's schema; empty fields count as not given."""
    return validated(schema, {k: v for k, v in data.items() if v not in (None, "")})


def _flat(messages) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flat(value)]
    return [str(messages)]


def attempt(action):
    """Run a service action: (result, None), or (None, error) for a refusal the page shows.
    A missing object or a missing right still ends in the error page (404/403)."""
    try:
        return action(), None
    except AppError as error:
        if error.status in (403, 404):
            raise
        db.session.rollback()
        return None, error


@dataclass
class Outcome:
    """What an action did, for the page's result area; `status` is the response's."""

    message: str
    kind: str = "ok"
    status: int = 200
    value: object = None


def act(action: Callable[[], object], done: str) -> Outcome:
    """Run one form action (`attempt`); a refusal changes nothing and comes back as an error
    message with its status."""
    value, error = attempt(action)
    if error is not None:
        return Outcome(error.message, "error", error.status)
    return Outcome(done, value=value)
