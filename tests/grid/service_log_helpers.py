"""Shared set-up for the grid service-log tests: the demo community with two service items.

The demo (server/commands/seed_demo.py) has grids g1-g3; grid-1 (陈志强) is g1's grid worker;
resident-n lives in grid g((n-1) % 3 + 1), so resident-1 and resident-4 are in g1, resident-2
in g2; reviewer (李秀英) and admin (王建国) review.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import Community, Grid, RoleGrant, scope_key_for
from server.db.session import db
from server.grid.service_log_models import ServiceLog
from server.points.ledger_models import Account, LedgerEntry
from server.wechat.emulator import stable_id
from tests import claims_helpers
from tests.conftest import APPID

LOGS = "/api/v1/grid/service-logs"
ITEMS = "/api/v1/grid/service-items"
ADMIN_ITEMS = "/api/v1/admin/grid/service-items"
RESIDENTS = "/api/v1/grid/residents"

upload_dir = claims_helpers.upload_dir
upload = claims_helpers.upload


def uid(query, identity: str) -> int:
    openid = stable_id(APPID, identity, "openid")
    return query(lambda s: s.scalar(select(User.id).where(User.openid == openid)))


def grid_id(query, code: str, community_code: str = "demo") -> int:
    return query(
        lambda s: s.scalar(
            select(Grid.id)
            .join(Community, Community.id == Grid.community_id)
            .where(Grid.code == code, Community.code == community_code)
        )
    )


def grant(app, query, identity: str, role: str, grid_code: str | None = None) -> None:
    """Give a demo identity one more role in the demo community (a grid role scoped to a grid)."""
    user_id = uid(query, identity)
    gid = grid_id(query, grid_code) if grid_code else None
    with app.app_context():
        cid = db.session.scalar(select(Community.id).where(Community.code == "demo"))
        db.session.add(
            RoleGrant(
                user_id=user_id,
                community_id=cid,
                role=role,
                grid_id=gid,
                scope_key=scope_key_for(gid),
            )
        )
        db.session.commit()
        db.session.remove()


def now_iso(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).isoformat()


def record(api, identity="grid-1", *, item=None, headers=None, **body):
    payload = {
        "item_id": item if item is not None else api.items.visit,
        "duration_minutes": 30,
        "served_at": now_iso(timedelta(minutes=-5)),
        "place": "幸福里 3 栋 2 单元",
        **body,
    }
    return api.post(LOGS, identity, json=payload, headers=dict(headers or {}))


def entries(query) -> list[LedgerEntry]:
    return query(lambda s: s.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all())


def log_count(query) -> int:
    return query(lambda s: s.scalar(select(func.count(ServiceLog.id))))


def balance(query, identity: str) -> int:
    user_id = uid(query, identity)
    account = query(
        lambda s: s.scalar(
            select(Account).where(Account.holder_type == "user", Account.holder_id == user_id)
        )
    )
    return account.balance if account else 0


@pytest.fixture
def gapi(api, query, seeded, upload_dir):
    """The API as the demo's people, with two items: 走访 (review, 10) and 代办 (auto, 5)."""
    api.query = query
    visit = api.post(
        ADMIN_ITEMS, "admin", json={"code": "VISIT", "name": "走访", "points": 10}
    ).get_json()
    errand = api.post(
        ADMIN_ITEMS,
        "admin",
        json={"code": "ERRAND", "name": "代办", "points": 5, "rule": "auto"},
    ).get_json()
    api.items = SimpleNamespace(visit=visit["id"], errand=errand["id"])
    return api


def other_community(app, query) -> SimpleNamespace:
    """和谐社区: outsider (a resident), other-admin (admin) and other-worker (its g1's worker),
    with a 走访 item of its own."""
    from server.grid.service_log_models import ServiceItem

    cid, _ = claims_helpers.make_other_community(
        app, identities=("outsider", "other-admin", "other-worker"), admin="other-admin"
    )
    gid = grid_id(query, "g1", "other")
    worker = uid(query, "other-worker")
    with app.app_context():
        db.session.add(
            RoleGrant(
                user_id=worker,
                community_id=cid,
                role="grid_worker",
                grid_id=gid,
                scope_key=scope_key_for(gid),
            )
        )
        item = ServiceItem(community_id=cid, code="VISIT", name="走访", points=10, rule="review")
        db.session.add(item)
        db.session.commit()
        item_id = item.id
        db.session.remove()
    return SimpleNamespace(community_id=cid, grid_id=gid, item_id=item_id)
