"""Helpers shared by the catalogue, claims and uploads tests."""

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import select

from server.community.models import Community, Membership, RoleGrant
from server.db.session import db
from server.points.models import PointCategory, PointItem, PointItemVersion
from server.uploads.storage import LocalStorage
from tests.factories import add_other_community


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def image_bytes(fmt="PNG", size=(64, 48), color=(200, 30, 30), **save) -> bytes:
    out = io.BytesIO()
    mode = "RGB" if fmt != "PNG" else "RGBA"
    Image.new(mode, size, color).save(out, fmt, **save)
    return out.getvalue()


def upload(api, identity, data=None, name="photo.png"):
    data = image_bytes() if data is None else data
    return api.post(
        "/api/v1/uploads",
        identity,
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def item_id(query, code, community_code="demo"):
    def fn(s):
        return s.scalar(
            select(PointItem.id)
            .join(Community, Community.id == PointItem.community_id)
            .where(PointItem.code == code, Community.code == community_code)
        )

    return query(fn)


def make_other_community(app, identities=("outsider",), admin=None, reviewer=None):
    """A second community with one category and item; returns (community_id, item_id)."""
    from server.auth.models import User
    from server.wechat.emulator import stable_id

    with app.app_context():
        other, grid = add_other_community(with_grid=True)
        category = PointCategory(community_id=other.id, code="misc", name="其他")
        db.session.add(category)
        db.session.flush()
        item = PointItem(
            community_id=other.id, category_id=category.id, code="X01", name="外社区项目"
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(
            PointItemVersion(item_id=item.id, points=10, effective_from=date(2026, 1, 1))
        )
        for identity in identities:
            user = User(
                openid=stable_id(app.config["WECHAT_APPID"], identity, "openid"), nickname=identity
            )
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, community_id=other.id, grid_id=grid.id))
            role = "admin" if identity == admin else "reviewer" if identity == reviewer else None
            if role:
                db.session.add(RoleGrant(user_id=user.id, community_id=other.id, role=role))
        db.session.commit()
        return other.id, item.id


def days_ago(n: int) -> str:
    return (today() - timedelta(days=n)).isoformat()


@pytest.fixture
def upload_dir(app, tmp_path):
    """Uploaded files go to a per-test directory, not the project's instance/ folder."""
    previous = app.extensions["upload_storage"]
    app.extensions["upload_storage"] = LocalStorage(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.extensions["upload_storage"] = previous
