"""What console forms and filters share: local dates and times from form fields, a form checked
against the API's own schema, and an action whose refusal is shown on the page it came from."""

from datetime import date, datetime

import marshmallow as ma
from flask import request

from server.admin.console import bp
from server.db.session import db
from server.http.errors import AppError, BadRequest, Unprocessable
from server.platform.localtime import SHANGHAI


def day_arg(name: str) -> date | None:
    """A YYYY-MM-DD query parameter, or None when empty."""
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        raise BadRequest("日期格式应为 YYYY-MM-DD", code="invalid_date") from None


def choice_arg(name: str, choices) -> str | None:
    """A query parameter that must be one of `choices` (empty: None)."""
    raw = request.args.get(name) or None
    if raw is not None and raw not in choices:
        raise BadRequest("筛选条件无效", code="invalid_filter", details={"field": name})
    return raw


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


def load_form(schema: ma.Schema, data: dict) -> dict:
    """Check a form's values with the API's schema; refused as 422 with the fields named."""
    try:
        return schema.load({k: v for k, v in data.items() if v not in (None, "")})
    except ma.ValidationError as error:
        fields = sorted(error.normalized_messages())
        raise Unprocessable(
            "请检查：" + "、".join(fields), code="validation_error", details={"fields": fields}
        ) from None


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


@bp.app_template_filter("local_minute")
def local_minute(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as Shanghai wall time for a page ("—" when there is none)."""
    return moment.astimezone(SHANGHAI).strftime(fmt) if moment else "—"
