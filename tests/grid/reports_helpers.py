"""Shared set-up for the report tests: the demo community, a movable clock, categories, posts.

Demo people (server/commands/seed_demo.py): admin and reviewer, grid-1 (grid worker of g1),
resident-N in grid g1, g2, g3 by turns (resident-1 g1, resident-2 g2, resident-3 g3, ...).
"""

from datetime import datetime

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.community.models import Community, Grid, RoleGrant, scope_key_for
from server.db.session import db
from server.grid import report_sla
from server.platform.localtime import SHANGHAI
from server.wechat.emulator import stable_id
from tests.conftest import APPID

BASE = "/api/v1/grid"


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


class Clock:
    def __init__(self):
        self.at = shanghai(2026, 10, 12, 10, 0)

    def set(self, *args):
        self.at = shanghai(*args)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(report_sla, "now", lambda: c.at)
    return c


def user_id(identity: str) -> int:
    return db.session.scalar(
        select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
    )


def grid_id(code: str, community_code: str = "demo") -> int:
    return db.session.scalar(
        select(Grid.id)
        .join(Community, Community.id == Grid.community_id)
        .where(Grid.code == code, Community.code == community_code)
    )


def demo_community_id() -> int:
    return db.session.scalar(select(Community.id).where(Community.code == "demo"))


def make_grid_worker(app, identity: str, code: str) -> None:
    with app.app_context():
        gid = grid_id(code)
        db.session.add(
            RoleGrant(
                user_id=user_id(identity),
                community_id=demo_community_id(),
                role="grid_worker",
                grid_id=gid,
                scope_key=scope_key_for(gid),
            )
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def reports_world(app, seeded, api, clock):
    """The demo community, a second grid worker (resident-5 on g2) and two categories."""
    make_grid_worker(app, "resident-5", "g2")
    general = create_category(api, "环境卫生")
    photo = create_category(api, "安全隐患", photo_required=True)
    return {"general": general["id"], "photo": photo["id"]}


def create_category(api, name, **fields) -> dict:
    resp = api.post("/api/v1/admin/grid/report-categories", "admin", json={"name": name, **fields})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def post_report(api, identity, category_id, text="楼道堆放杂物，存在消防隐患", **fields):
    body = {"category_id": category_id, "text": text, "place": "幸福里3栋", **fields}
    return api.post(f"{BASE}/reports", identity, json=body)


def new_report(api, identity, category_id, **fields) -> dict:
    resp = post_report(api, identity, category_id, **fields)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def step(api, identity, report_id, name, **body):
    return api.post(f"{BASE}/reports/{report_id}/{name}", identity, json=body)


def ok_step(api, identity, report_id, name, **body) -> dict:
    resp = step(api, identity, report_id, name, **body)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()
