"""Helpers shared by the wish (微心愿) tests: the demo community, posting and publishing."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from server.auth.models import User
from server.community.models import Merchant
from server.db.session import db
from server.grid.wish_models import Wish
from server.points.ledger_models import Account, LedgerEntry
from server.wechat.emulator import stable_id
from tests.claims_helpers import today, upload
from tests.conftest import APPID, error_code

WISHES = "/api/v1/wishes"
# resident-4 (刘洋, grid g1) posts; resident-1/2/3 are party members in g1/g2/g3;
# resident-5 (g2) is a plain resident; resident-19 staffs 幸福路小学; merchant-1 the supermarket.
POSTER = "resident-4"
# The shop merchant-1 staffs (the demo has other merchants too).
SHOP = select(Merchant.id).where(Merchant.name == "幸福社区积分超市")

__all__ = ["error_code", "today", "upload"]


@pytest.fixture
def wapi(api, query, seeded, upload_dir):
    api.query = query
    return api


def uid(identity: str) -> int:
    """A demo identity's user id (inside an app context)."""
    return db.session.scalar(
        select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
    )


def user_id(query, identity: str) -> int:
    return query(lambda s: uid(identity))


def wish_body(**over) -> dict:
    body = {
        "title": "帮独居的奶奶修一下漏水的水龙头",
        "details": "厨房水龙头一直滴水，老人行动不便",
        "needed_by": (today() + timedelta(days=7)).isoformat(),
        "place": "幸福里 3 栋 2 单元",
        "beneficiary": "独居老人",
    }
    body.update(over)
    return body


def post(api, identity=POSTER, **over):
    return api.post(WISHES, identity, json=wish_body(**over))


def posted(api, identity=POSTER, **over) -> dict:
    resp = post(api, identity, **over)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def published(api, identity=POSTER, audience="community", **over) -> dict:
    wish = posted(api, identity, **over)
    resp = api.post(f"{WISHES}/{wish['id']}/approve", "reviewer", json={"audience": audience})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def claimed(api, claimer="resident-1", identity=POSTER, **claim) -> dict:
    wish = published(api, identity)
    resp = api.post(f"{WISHES}/{wish['id']}/claim", claimer, json=claim)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def fulfilled(api, claimer="resident-1", **claim) -> dict:
    wish = claimed(api, claimer, **claim)
    photo = upload(api, claimer).get_json()["id"]
    resp = api.post(
        f"{WISHES}/{wish['id']}/fulfil", claimer, json={"note": "已经修好", "photo_ids": [photo]}
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def act(api, wish_id: int, action: str, identity: str, body=None):
    return api.post(f"{WISHES}/{wish_id}/{action}", identity, json={} if body is None else body)


def set_needed_by(query, wish_id: int, days_from_today: int) -> None:
    """Move a wish's needed_by (as if time had passed), bypassing the API's checks."""

    def fn(s):
        s.execute(
            update(Wish)
            .where(Wish.id == wish_id)
            .values(needed_by=today() + timedelta(days=days_from_today))
        )
        s.commit()

    query(fn)


def status_of(query, wish_id: int) -> str:
    return query(lambda s: s.get(Wish, wish_id).status)


def wish_entries(query) -> list:
    return query(
        lambda s: s.scalars(
            select(LedgerEntry).where(LedgerEntry.cause_type == "wish").order_by(LedgerEntry.id)
        ).all()
    )


def balance(query, holder_type: str, holder_id: int) -> int:
    def fn(s):
        account = s.scalar(
            select(Account).where(
                Account.holder_type == holder_type, Account.holder_id == holder_id
            )
        )
        return account.balance if account else 0

    return query(fn)


def wish_count(query) -> int:
    return query(lambda s: s.scalar(select(func.count(Wish.id))))
