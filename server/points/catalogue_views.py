"""How the catalogue shows an item: the value in force on a day and the next one scheduled."""

from datetime import date

from server.platform.localtime import local_today
from server.points.models import PointItem, PointItemVersion


def item_view(item: PointItem, today: date | None = None) -> dict:
    """An item with the value in force today and the next scheduled value, if any."""
    today = today or local_today()
    current = item.version_on(today)
    upcoming = next((v for v in item.versions if v.effective_from > today), None)
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "category": {
            "id": item.category.id,
            "code": item.category.code,
            "name": item.category.name,
        },
        "direction": item.direction,
        "account_kinds": list(item.account_kinds or []),
        "daily_cap": item.daily_cap,
        "monthly_cap": item.monthly_cap,
        "active": item.active,
        "points": current.points if current else None,
        "version_id": current.id if current else None,
        "effective_from": current.effective_from if current else None,
        "next_version": version_view(upcoming) if upcoming else None,
    }


def version_view(version: PointItemVersion) -> dict:
    return {
        "id": version.id,
        "item_id": version.item_id,
        "points": version.points,
        "effective_from": version.effective_from,
        "created_at": version.created_at,
    }
