"""Shared helpers for the tests of the 任务, 商家, 问题与心愿 and 公示 pages (no tests here):
a logged-in browser, its CSRF token, a second community with an admin, and xlsx reading."""

import io

from openpyxl import load_workbook

from server.auth.models import User
from server.community.models import Membership, RoleGrant, scope_key_for
from server.db.session import db
from server.wechat.emulator import stable_id
from tests.conftest import APPID
from tests.console.console_helpers import csrf_of, log_in
from tests.factories import add_other_community


def browser(app, api, identity: str):
    """A test client logged in to the console as `identity`, and its CSRF token."""
    client = app.test_client()
    log_in(client, api, identity)
    token = csrf_of(client.get("/console/").get_data(as_text=True))
    return client, token


def other_admin(app) -> tuple[int, int]:
    """A second community whose admin is 'stranger-admin'; (community id, user id)."""
    with app.app_context():
        other, _grid = add_other_community(with_grid=True)
        user = User(openid=stable_id(APPID, "stranger-admin", "openid"), real_name="外社区管理员")
        db.session.add(user)
        db.session.flush()
        db.session.add(Membership(user_id=user.id, community_id=other.id))
        db.session.add(
            RoleGrant(
                user_id=user.id,
                community_id=other.id,
                role="admin",
                scope_key=scope_key_for(None, None, None),
            )
        )
        db.session.commit()
        return other.id, user.id


def sheet_rows(data: bytes) -> list[list]:
    return [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]
