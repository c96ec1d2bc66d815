"""The world the matrix walks: the seeded demo, a second community, the actors, and one of each
object owned by someone other than the outsiders (mostly by `owner`, resident-1 on grid g1)."""

import io
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import requests
from sqlalchemy import select, update

from server.auth.models import User
from server.cards.models import PointCard
from server.cards.numbers import qr_text
from server.community.models import Community, Grid, Merchant, RoleGrant, scope_key_for
from server.db.session import db
from server.notify.channel_models import Delivery
from server.points.models import PointItem
from server.rewards.models import Offer
from server.tasks.models import Task
from server.wechat.emulator import stable_id
from tests.claims_helpers import image_bytes, make_other_community
from tests.conftest import APPID

# Actor -> emulator identity. `anonymous` sends no token; `deactivated` logged in, then was
# switched off. Insiders (admin, reviewer, grid, staff) are the demo's own staff: they only
# appear as the actors expected to succeed.
IDENTITIES = {
    "owner": "resident-1",  # owns the objects; grid g1
    "resident": "resident-4",  # same community and grid
    "outsider": "outsider",  # resident of another community
    "outside_reviewer": "other-reviewer",
    "outside_admin": "other-admin",
    "other_staff": "resident-7",  # staff of another merchant of the demo community
    "other_grid": "resident-5",  # grid worker of grid g2
    "organiser": "resident-19",  # org_staff: may organise tasks, owns none of them
    "deactivated": "resident-6",
    "admin": "admin",
    "reviewer": "reviewer",
    "grid": "grid-1",  # grid worker of g1 (the owner's grid) and the task's organiser
    "staff": "merchant-1",  # staff of the demo supermarket, whose offer was reserved
}
ANONYMOUS = "anonymous"
# Acting for the g1 card holder (X-Acting-For) without being their grid worker or the office.
ACTING = {
    "acting_stranger": "other_grid",
    "acting_resident": "resident",
    "acting_outside_admin": "outside_admin",
}
REFUSABLE = [ANONYMOUS, *list(IDENTITIES)[:9], *ACTING]
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Caller:
    """Sends requests as an actor, with the tokens logged in once for the whole module."""

    def __init__(self, client, emulator):
        self.client, self.emulator, self.tokens = client, emulator, {}

    def login(self, actor: str) -> None:
        code = self.emulator.code(IDENTITIES[actor])
        resp = self.client.post("/api/v1/auth/wechat-login", json={"code": code})
        assert resp.status_code == 200, (actor, resp.get_json())
        self.tokens[actor] = resp.get_json()["token"]

    def call(self, method, path, actor=None, headers=None, **kw):
        headers = dict(headers or {})
        if actor and actor != ANONYMOUS:
            headers["Authorization"] = f"Bearer {self.tokens[actor]}"
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kw)

    def ok(self, method, path, actor, status=(200, 201), **kw) -> dict:
        resp = self.call(method, path, actor, **kw)
        assert resp.status_code in status, (method, path, actor, resp.get_json())
        return resp.get_json()


def _uid(identity: str) -> int:
    return db.session.scalar(
        select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
    )


def _grant(identity, community_id, role, **scope) -> None:
    db.session.add(
        RoleGrant(
            user_id=_uid(identity),
            community_id=community_id,
            role=role,
            scope_key=scope_key_for(scope.get("grid_id"), scope.get("merchant_id")),
            **scope,
        )
    )


def _people(app) -> SimpleNamespace:
    """The second community and the roles the actors need; ids of the demo's fixed rows."""
    make_other_community(
        app,
        identities=("outsider", "other-reviewer", "other-admin"),
        admin="other-admin",
        reviewer="other-reviewer",
    )
    with app.app_context():
        community = db.session.scalar(select(Community.id).where(Community.code == "demo"))
        rows = db.session.execute(select(Grid.code, Grid.id).where(Grid.community_id == community))
        grids = {code: gid for code, gid in rows}
        supermarket = db.session.scalar(select(Merchant).where(Merchant.name == "幸福社区积分超市"))
        other_merchant = db.session.scalar(
            select(Merchant.id).where(
                Merchant.community_id == community, Merchant.id != supermarket.id
            )
        )
        _grant("resident-5", community, "grid_worker", grid_id=grids["g2"])
        _grant("resident-7", community, "merchant_staff", merchant_id=other_merchant)
        offer = db.session.scalar(
            select(Offer.id).where(Offer.merchant_id == supermarket.id).order_by(Offer.id)
        )
        item = db.session.scalar(
            select(PointItem.id).where(PointItem.community_id == community, PointItem.code == "C01")
        )
        ids = SimpleNamespace(
            community_id=community,
            g1=grids["g1"],
            g2=grids["g2"],
            merchant_id=supermarket.id,
            other_merchant=other_merchant,
            offer_id=offer,
            point_item=item,
            point_category=db.session.get(PointItem, item).category_id,
            owner_user=_uid("resident-1"),
            resident_user=_uid("resident-4"),
            grid_user=_uid("grid-1"),
        )
        db.session.commit()
        db.session.remove()
    return ids


def _upload(c: Caller, actor: str) -> int:
    data = {"file": (io.BytesIO(image_bytes()), "photo.png")}
    return c.ok("POST", "/uploads", actor, data=data, content_type="multipart/form-data")["id"]


def today() -> date:
    return datetime.now(SHANGHAI).date()


def build(app, client, emulator) -> SimpleNamespace:
    """Seeded demo plus every object the walk's path parameters name; returns their ids."""
    w = _people(app)
    c = Caller(client, emulator)
    for actor in IDENTITIES:
        c.login(actor)
    on_day = today().isoformat()
    w.entry_id = c.ok(
        "POST",
        "/points/adjustments",
        "admin",
        json={"user_id": w.owner_user, "amount": 500, "reason": "矩阵测试初始积分"},
    )["entry"]["id"]
    c.ok(  # spare points, so reversing the first adjustment never meets a hold
        "POST",
        "/points/adjustments",
        "admin",
        json={"user_id": w.owner_user, "amount": 500, "reason": "矩阵测试备用积分"},
    )
    w.upload_id = _upload(c, "owner")
    claim = {"item_id": w.point_item, "occurred_on": on_day, "description": "督导垃圾分类一小时"}
    w.claim_id = c.ok("POST", "/points/claims", "owner", json=claim)["id"]
    yesterday = (today() - timedelta(days=1)).isoformat()
    claim = {**claim, "occurred_on": yesterday}
    w.rejected_claim = c.ok("POST", "/points/claims", "owner", json=claim)["id"]
    c.ok(
        "POST", f"/points/claims/{w.rejected_claim}/reject", "reviewer", json={"reason": "照片不清"}
    )
    robot, w.spare_robot = (
        requests.post(emulator.base + "_emulator/robots", json={}).json()["key"] for _ in range(2)
    )
    w.channel_id = c.ok(
        "POST", "/admin/group-channels", "admin", json={"key": robot, "name": "幸福社区志愿者群"}
    )["id"]
    starts = datetime.now(UTC) + timedelta(days=2)
    task = {
        "title": "垃圾分类志愿督导",
        "description": "周末早上在小区垃圾投放点督导分类",
        "reward_kind": "item",
        "point_item_id": w.point_item,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 5,
        "place_name": "幸福里 3 号投放点",
    }
    w.task_id = c.ok("POST", "/tasks", "grid", json=task)["id"]
    c.ok("POST", f"/tasks/{w.task_id}/signups", "owner")
    w.running_task = c.ok("POST", "/tasks", "grid", json={**task, "title": "河道巡护"})["id"]
    c.ok("POST", f"/tasks/{w.running_task}/signups", "owner")
    w.redemption_id = c.ok("POST", "/redemptions", "owner", json={"offer_id": w.offer_id})["id"]
    code_url = f"/redemptions/{w.redemption_id}/code"
    w.fresh_code = lambda: c.ok("GET", code_url, "owner")["token"]  # codes live a minute
    w.category_id = c.ok(
        "POST", "/admin/grid/report-categories", "admin", json={"name": "环境卫生"}
    )["id"]
    report = {
        "category_id": w.category_id,
        "text": "楼道堆放杂物，存在消防隐患",
        "place": "幸福里3栋",
    }
    w.report_id = c.ok("POST", "/grid/reports", "owner", json=report)["id"]

    def filed(text: str, *steps: tuple[str, dict]) -> int:
        """Another report of the owner's, taken by grid-1 through `steps`."""
        report_id = c.ok("POST", "/grid/reports", "owner", json={**report, "text": text})["id"]
        for step, body in steps:
            c.ok("POST", f"/grid/reports/{report_id}/{step}", "grid", json=body)
        return report_id

    accept = ("accept", {})
    w.flagged_report = filed("楼下有人发小广告")  # held for content review (in_review)
    w.accepted_report = filed("路灯不亮，晚上很黑", accept)
    w.waiting_report = filed("井盖松动", accept, ("wait", {"reason": "等待居民补充照片"}))
    w.resolved_report = filed("绿地有垃圾", accept, ("resolve", {"note": "已清理干净"}))
    wish = {
        "title": "帮独居的奶奶修一下漏水的水龙头",
        "details": "厨房水龙头一直滴水",
        "needed_by": (today() + timedelta(days=7)).isoformat(),
        "place": "幸福里 3 栋 2 单元",
    }
    w.wish_id = c.ok("POST", "/wishes", "owner", json=wish)["id"]
    w.published_wish, w.claimed_wish, w.fulfilled_wish = (
        c.ok("POST", "/wishes", "owner", json={**wish, "title": f"微心愿{n}"})["id"]
        for n in range(3)
    )
    for wish_id in (w.published_wish, w.claimed_wish, w.fulfilled_wish):
        c.ok("POST", f"/wishes/{wish_id}/approve", "admin", json={"audience": "community"})
    for wish_id in (w.claimed_wish, w.fulfilled_wish):
        c.ok("POST", f"/wishes/{wish_id}/claim", "reviewer", json={})
    w.photo_id, w.spare_photo = _upload(c, "reviewer"), _upload(c, "reviewer")
    fulfil = {"note": "已经修好", "photo_ids": [w.photo_id]}
    c.ok("POST", f"/wishes/{w.fulfilled_wish}/fulfil", "reviewer", json=fulfil)
    holder = {"real_name": "刘桂兰", "building": "3栋", "unit": "2单元201", "pin": "2580"}
    w.holder_id = c.ok("POST", "/card-holders", "grid", json=holder)["id"]
    points = {"user_id": w.holder_id, "amount": 200, "reason": "矩阵测试持卡积分"}
    c.ok("POST", "/points/adjustments", "admin", json=points)  # so the counter can redeem
    service_item = {"code": "visit", "name": "入户走访", "points": 5}
    w.service_item = c.ok("POST", "/admin/grid/service-items", "admin", json=service_item)["id"]
    log = {
        "item_id": w.service_item,
        "duration_minutes": 30,
        "served_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "place": "幸福里 3 栋 2 单元",
    }
    w.log_id = c.ok("POST", "/grid/service-logs", "grid", json=log)["id"]
    grant = {"user_id": w.resident_user, "role": "party_member", "party_kind": "在职"}
    w.grant_id = c.ok("POST", f"/admin/communities/{w.community_id}/roles", "admin", json=grant)[
        "id"
    ]
    issued = c.ok(
        "POST",
        f"/admin/communities/{w.community_id}/invitations",
        "admin",
        json={"role": "reviewer"},
    )
    w.invitation_id, w.invitation_code = issued["invitation"]["id"], issued["code"]
    window = {"starts_on": on_day, "ends_on": (today() + timedelta(days=30)).isoformat()}
    w.window_id = c.ok(
        "POST", f"/admin/communities/{w.community_id}/redemption-windows", "admin", json=window
    )["items"][0]["id"]
    w.pending_merchant = c.ok("POST", "/merchants", "owner", json={"name": "王记修鞋铺"})["id"]
    w.link_id = c.ok("POST", "/admin/display-links", "admin", json={"name": "大厅屏幕"})["id"]
    last_month = (today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    w.notice_id = c.ok("POST", "/admin/notices", "admin", json={"period": last_month})["id"]
    w.reference_id = c.ok("POST", "/me/credit-references", "owner", json={"valid_days": 30})["id"]
    page = client.get("/console/login", headers={"User-Agent": "Mozilla/5.0 Chrome/120.0"})
    w.scene = page.get_data(as_text=True).split('data-scene="', 1)[1].split('"', 1)[0]
    with app.app_context():
        number = db.session.scalar(
            select(PointCard.number).where(
                PointCard.holder_id == w.holder_id, PointCard.status == "active"
            )
        )
        w.card = qr_text(number)
        w.delivery_id = db.session.scalar(select(Delivery.id).order_by(Delivery.id)) or 999999
        now = datetime.now(UTC)  # the running task started ten minutes ago
        db.session.execute(
            update(Task)
            .where(Task.id == w.running_task)
            .values(starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=2))
        )
        db.session.execute(
            update(User).where(User.id == _uid("resident-6")).values(is_active=False)
        )
        db.session.commit()
        db.session.remove()
    checkin_url = f"/tasks/{w.running_task}/checkin-code"
    w.checkin_code = lambda: c.ok("GET", checkin_url, "grid")["token"]
    w.emulator_code = emulator.code  # one-time WeChat codes, for login and the phone
    w.caller = c
    return w
