"""One export section: a bounded SELECT of one person's rows, other people's ids masked."""

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, select

from server.auth.models import User
from server.db.session import db
from server.platform.masking import mask_name

ROW_CAP = 10_000  # a resident has a few dozen rows a year; the cap only bounds a freak account


@dataclass
class Section:
    name: str
    title: str  # the sheet's name in the xlsx (Chinese, ≤ 31 characters)
    columns: list[str]
    items: list[dict] = field(default_factory=list)
    capped: bool = False


def plain(value):
    """JSON-ready values: times as ISO 8601 with their offset, days as YYYY-MM-DD."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def section(name: str, title: str, stmt: Select, masked: dict[str, str] | None = None):
    """Run one bounded SELECT; `masked` maps a user-id column to the masked-name column
    shown in its place (the id itself never leaves)."""
    cap = row_cap()
    rows = db.session.execute(stmt.limit(cap + 1)).mappings().all()
    capped = len(rows) > cap
    rows = rows[:cap]
    masked = masked or {}
    names = _masked_names({row[col] for row in rows for col in masked} - {None})
    columns = [masked.get(c, c) for c in rows[0].keys()] if rows else _columns(stmt, masked)
    items = []
    for row in rows:
        item = {}
        for key, value in row.items():
            if key in masked:
                item[masked[key]] = names.get(value) if value is not None else None
            else:
                item[key] = plain(value)
        items.append(item)
    return Section(name, title, columns, items, capped)


def _columns(stmt: Select, masked: dict[str, str]) -> list[str]:
    return [masked.get(c.key, c.key) for c in stmt.selected_columns]


def _masked_names(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.real_name, User.nickname).where(User.id.in_(user_ids))
    )
    return {r.id: mask_name(r.real_name or r.nickname) for r in rows}


def row_cap() -> int:
    """Read at call time, so a test can lower it."""
    return ROW_CAP
