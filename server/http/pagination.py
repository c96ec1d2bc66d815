"""Cursor pagination: every list is `{"items": [...], "next_cursor": str | null}` and bounded."""

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlalchemy import Select

from server.db.types import MAX_ID
from server.http.errors import BadRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class QueryArgsSchema(ma.Schema):
    """Query strings are strict too: unknown names and repeated single values are refused."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def _reject_repeats(self, data, **kwargs):
        getlist = getattr(data, "getlist", None)
        if getlist is None:
            return data
        repeated = [
            name
            for name, field in self.fields.items()
            if not isinstance(field, ma.fields.List) and len(getlist(field.data_key or name)) > 1
        ]
        if repeated:
            raise ma.ValidationError({name: ["参数只能出现一次"] for name in repeated})
        return data


class PageArgsSchema(QueryArgsSchema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"每页条数，1 到 {MAX_LIMIT}"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=200),
        metadata={
            "description": "翻页游标：上一页返回的 next_cursor，原样传回；省略时从第一页开始"
        },
    )


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """Build the `{items, next_cursor}` schema for one item schema."""
    return ma.Schema.from_dict(
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(required=True, allow_none=True),
        },
        name=name,
    )


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("分页参数无效", code="invalid_cursor") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise BadRequest("分页参数无效", code="invalid_cursor")
    if not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in values):
        raise BadRequest("分页参数无效", code="invalid_cursor")
    return values


def decode_id_cursor(cursor: str) -> int:
    """A one-id cursor, refused unless it is a positive id that fits the id columns."""
    (last_id,) = decode_cursor(cursor, 1)
    if not isinstance(last_id, int) or not 0 < last_id <= MAX_ID:
        raise BadRequest("分页参数无效", code="invalid_cursor")
    return last_id


@dataclass
class Page:
    items: list
    next_cursor: str | None

    def as_dict(self) -> dict:
        return {"items": self.items, "next_cursor": self.next_cursor}


def paginate_by_id(session, stmt: Select, id_column, limit: int, cursor: str | None, desc=True):
    """Keyset-paginate `stmt` on a unique integer column, newest first by default."""
    if cursor:
        last_id = decode_id_cursor(cursor)
        stmt = stmt.where(id_column < last_id if desc else id_column > last_id)
    stmt = stmt.order_by(id_column.desc() if desc else id_column.asc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    # The column's own attribute: a card holder's key is user_id, not id.
    next_cursor = encode_cursor([getattr(rows[-1], id_column.key)]) if more and rows else None
    return Page(rows, next_cursor)
