"""Shared set-up for the hall-screen tests (no tests here): the demo with upcoming tasks, a
resident with a full name and a phone who has an approved claim, and a display link."""

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from tests.claims_helpers import item_id, today
from tests.ledger_helpers import user_id_of

LINKS = "/api/v1/admin/display-links"
FULL_NAME, MASKED, PHONE = "张伟明", "张*明", "13812345678"


def create_link(api, as_="admin", name="大厅屏幕") -> tuple[dict, str]:
    resp = api.post(LINKS, as_, json={"name": name})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    return body, body["url"].rsplit("/display/", 1)[1]


@pytest.fixture
def hall(app, api, seeded, query, monkeypatch, upload_dir):
    """The demo with upcoming tasks; resident-1 (张伟明) has a phone and an approved claim."""
    from server.commands.seed_demo import seed_demo

    monkeypatch.setitem(app.config, "SEED_DEMO_TASKS", True)
    with app.app_context():
        seed_demo()
        user = db.session.get(User, user_id_of("resident-1"))
        assert user.real_name == FULL_NAME
        user.phone = PHONE
        db.session.commit()
        db.session.remove()
    body = {
        "item_id": item_id(query, "C01"),
        "occurred_on": today().isoformat(),
        "description": "在小区垃圾分类点督导两小时",
    }
    claim = api.post("/api/v1/points/claims", "resident-1", json=body).get_json()
    approved = api.post(f"/api/v1/points/claims/{claim['id']}/approve", "reviewer", json={})
    assert approved.status_code == 200, approved.get_json()
    return api


def phone_of(query, identity: str) -> str | None:
    return query(lambda s: s.scalar(select(User.phone).where(User.nickname == identity)))
