"""Shared helpers for the subscribe-message tests (no tests here): acceptances, the objects
personal events name, the events themselves and what the emulator delivered."""

from datetime import UTC, date, datetime, timedelta

import requests
from sqlalchemy import select

from server.auth.models import User
from server.community.models import Community, Grid
from server.db.session import db
from server.grid.report_models import Report, ReportCategory
from server.grid.wish_models import Wish
from server.notify.pump import pump
from server.notify.subscribe_models import PersonalNotice
from server.outbox.emit import emit_event
from server.points.models import PointItem
from server.rewards.models import Offer, Redemption
from server.wechat.emulator import stable_id
from server.wechat.subscribe_templates import DEV_TEMPLATE_IDS
from tests.conftest import APPID

SUBSCRIPTIONS = "/api/v1/me/subscriptions"
WHEN = datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def openid(identity: str) -> str:
    return stable_id(APPID, identity, "openid")


def uid(identity: str) -> int:
    """A demo identity's user id (inside an app context)."""
    return db.session.scalar(select(User.id).where(User.openid == openid(identity)))


def accept(api, identity: str, *kinds: str, result: str = "accept"):
    body = {"results": {DEV_TEMPLATE_IDS[k]: result for k in kinds}}
    resp = api.post(SUBSCRIPTIONS, identity, json=body)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def remaining(api, identity: str) -> dict[str, int]:
    body = api.get(SUBSCRIPTIONS, identity).get_json()
    return {k["kind"]: k["remaining"] for k in body["kinds"]}


def received(emulator, identity: str) -> list[dict]:
    resp = requests.get(
        emulator.base + "_emulator/subscribe/messages", params={"openid": openid(identity)}
    )
    resp.raise_for_status()
    return resp.json()["messages"]


def refuse(emulator, identity: str, kind: str) -> None:
    body = {"openid": openid(identity), "template_id": DEV_TEMPLATE_IDS[kind]}
    requests.post(emulator.base + "_emulator/subscribe/refuse", json=body).raise_for_status()


def drain(app, now=None) -> dict:
    with app.app_context():
        try:
            return pump(now)
        finally:
            db.session.remove()


def notices(query) -> list[PersonalNotice]:
    return query(lambda s: s.scalars(select(PersonalNotice).order_by(PersonalNotice.id)).all())


def community() -> int:
    return db.session.scalar(select(Community.id).where(Community.code == "demo"))


def grid(code: str) -> int:
    return db.session.scalar(
        select(Grid.id).where(Grid.community_id == community(), Grid.code == code)
    )


def emit(event_type: str, aggregate_type: str, aggregate_id: int, payload: dict) -> None:
    """Write one outbox event in the demo community and commit (inside an app context)."""
    emit_event(
        event_type,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        community_id=community(),
        payload=payload,
    )
    db.session.commit()


def make_report(reporter: str, grid_code: str = "g1") -> Report:
    category = ReportCategory(community_id=community(), name="楼道堆物")
    db.session.add(category)
    db.session.flush()
    report = Report(community_id=community(), reporter_id=uid(reporter), grid_id=grid(grid_code),
                    category_id=category.id, text="楼道里堆了很多纸箱", status="accepted",
                    accept_within=1, resolve_within=3)  # fmt: skip
    db.session.add(report)
    db.session.commit()
    return report


def make_wish(resident: str, title: str = "帮独居的奶奶修一下漏水的水龙头") -> Wish:
    wish = Wish(community_id=community(), resident_id=uid(resident), title=title,
                needed_by=date(2026, 6, 9), status="published")  # fmt: skip
    db.session.add(wish)
    db.session.commit()
    return wish


def make_redemption(resident: str) -> Redemption:
    offer = db.session.scalars(select(Offer).where(Offer.community_id == community())).first()
    redemption = Redemption(community_id=community(), user_id=uid(resident), offer_id=offer.id,
                            merchant_id=offer.merchant_id, points=offer.points_cost,
                            period_key="2026-06", expires_at=WHEN + timedelta(days=1))  # fmt: skip
    db.session.add(redemption)
    db.session.commit()
    return redemption


def item() -> PointItem:
    return db.session.scalars(
        select(PointItem).where(PointItem.community_id == community())
    ).first()
