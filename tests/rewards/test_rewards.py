"""Merchants, offers, redemption windows and merchant statements, through the service and HTTP."""

import io
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from server.community.models import Merchant
from server.db.audit import AuditLog
from server.rewards.models import Offer, RedemptionWindow
from server.rewards.periods import current_month
from tests.conftest import error_code
from tests.rewards.test_rewards_support import (
    add_staff,
    demo_community_id,
    give_points,
    make_offer,
    make_other_community,
    merchant_id,
    stock,
)

M = "/api/v1/merchants"
OFFERS = "/api/v1/offers"


def test_seed_has_supermarket_partners_and_offers(seeded, query):
    merchants = query(lambda s: s.scalars(select(Merchant).order_by(Merchant.id)).all())
    assert [(m.kind, m.status) for m in merchants] == [
        ("supermarket", "approved"),
        ("partner", "approved"),
        ("partner", "approved"),
    ]
    offers = query(lambda s: s.scalars(select(Offer)).all())
    assert len(offers) == 8 and {o.merchant_id for o in offers} == {m.id for m in merchants}


def test_partner_application_and_admin_approval(api, seeded, query):
    resp = api.post(M, "resident-5", json={"name": "老街修鞋铺", "address": "幸福路 9 号"})
    assert resp.status_code == 201 and resp.get_json()["status"] == "pending"
    mid = resp.get_json()["id"]
    listed = [m["id"] for m in api.get(M, "resident-1").get_json()["items"]]
    assert mid not in listed and len(listed) == 3
    assert api.get(f"{M}/{mid}", "resident-1").status_code == 404
    pending = api.get(M, "admin", query_string={"status": "pending"}).get_json()["items"]
    assert [m["id"] for m in pending] == [mid]

    denied = api.post(f"/api/v1/admin/merchants/{mid}/approve", "resident-5")
    assert denied.status_code == 403
    ok = api.post(f"/api/v1/admin/merchants/{mid}/approve", "admin")
    assert ok.status_code == 200 and ok.get_json()["status"] == "approved"
    assert mid in [m["id"] for m in api.get(M, "resident-1").get_json()["items"]]
    actions = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert "merchant.approve" in actions

    dup = api.post(M, "resident-6", json={"name": "老街修鞋铺"})
    assert dup.status_code == 409 and error_code(dup) == "merchant_exists"
    market = api.post(M, "resident-6", json={"name": "第二超市", "kind": "supermarket"})
    assert market.status_code == 422 and error_code(market) == "merchant_kind_not_allowed"
    admin_market = api.post(M, "admin", json={"name": "第二超市", "kind": "supermarket"})
    assert admin_market.status_code == 201 and admin_market.get_json()["status"] == "approved"
    for body in ({}, {"name": "x" * 65}, {"name": "a", "kind": "bank"}, {"name": "a", "z": 1}):
        assert api.post(M, "resident-6", json=body).status_code == 422
    assert api.post(M, "stranger", json={"name": "无社区"}).status_code == 403


def test_admins_of_another_community_cannot_touch_merchants(api, app, seeded, query):
    make_other_community(app)
    mid = merchant_id(query)
    resp = api.post(f"/api/v1/admin/merchants/{mid}/suspend", "other-admin")
    assert resp.status_code == 403
    other_listing = api.get(M, "other-admin").get_json()["items"]
    assert [m["name"] for m in other_listing] == ["和谐超市"]
    assert api.get(f"{M}/{mid}", "other-resident").status_code == 403


def test_staff_manage_their_own_offers(api, app, seeded, query):
    mid = merchant_id(query)
    body = {
        "merchant_id": mid,
        "title": "酱油一瓶",
        "description": "生抽 500ml",
        "image_url": "https://img.example.com/soy.png",
        "points_cost": 15,
        "stock": 20,
        "limit_per_person": 2,
        "limit_period": "quarter",
        "valid_from": date.today().isoformat(),
    }
    resp = api.post(OFFERS, "merchant-1", json=body)
    assert resp.status_code == 201, resp.get_json()
    offer = resp.get_json()
    assert offer["stock"] == 20 and offer["limit_period"] == "quarter"
    assert offer["merchant_name"] == "幸福社区积分超市"

    partner = merchant_id(query, "阳光理发店")
    resp = api.post(OFFERS, "merchant-1", json={**body, "merchant_id": partner})
    assert resp.status_code == 403
    assert api.post(OFFERS, "resident-1", json=body).status_code == 403
    make_other_community(app)
    assert api.post(OFFERS, "other-admin", json=body).status_code == 403
    assert api.post(OFFERS, "admin", json=body).status_code == 201  # community admin may

    bad_bodies = [
        {**body, "points_cost": 0},
        {**body, "points_cost": "15"},
        {**body, "title": "x" * 65},
        {**body, "stock": -1},
        {**body, "limit_period": "week"},
        {**body, "image_url": "http://insecure.example.com/a.png"},
        {**body, "extra": 1},
        {k: v for k, v in body.items() if k != "title"},
    ]
    for bad in bad_bodies:
        assert api.post(OFFERS, "merchant-1", json=bad).status_code == 422, bad
    backwards = {**body, "valid_until": (date.today() - timedelta(days=1)).isoformat()}
    resp = api.post(OFFERS, "merchant-1", json=backwards)
    assert resp.status_code == 422 and error_code(resp) == "offer_ends_before_start"

    oid = offer["id"]
    resp = api.patch(f"{OFFERS}/{oid}", "merchant-1", json={"add_stock": 5, "points_cost": 12})
    assert resp.status_code == 200 and resp.get_json()["stock"] == 25
    assert resp.get_json()["points_cost"] == 12
    resp = api.patch(f"{OFFERS}/{oid}", "merchant-1", json={"add_stock": -26})
    assert resp.status_code == 409 and error_code(resp) == "stock_out_of_range"
    assert stock(query, oid) == 25
    assert api.patch(f"{OFFERS}/{oid}", "resident-1", json={"active": False}).status_code == 403
    assert api.patch(f"{OFFERS}/{oid}", "merchant-1", json={"active": False}).status_code == 200
    audit = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert audit.count("offer.create") == 2 and audit.count("offer.update") == 2


def test_offer_listing_for_residents_and_staff(api, app, seeded, query):
    mid = merchant_id(query)
    hidden = make_offer(app, title="已下架", active=False)
    ended = make_offer(app, title="已结束", valid_until=date.today() - timedelta(days=3))
    listed = api.get(OFFERS, "resident-1", query_string={"limit": 100}).get_json()
    titles = {o["title"] for o in listed["items"]}
    assert len(listed["items"]) == 8 and "已下架" not in titles and "已结束" not in titles
    page = api.get(OFFERS, "resident-1", query_string={"limit": 3}).get_json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    nxt = api.get(OFFERS, "resident-1", query_string={"limit": 3, "cursor": page["next_cursor"]})
    assert not {o["id"] for o in nxt.get_json()["items"]} & {o["id"] for o in page["items"]}
    only = api.get(OFFERS, "resident-1", query_string={"merchant_id": mid}).get_json()["items"]
    assert {o["merchant_id"] for o in only} == {mid} and len(only) == 4

    everything = api.get(
        OFFERS, "merchant-1", query_string={"merchant_id": mid, "include_inactive": "true"}
    ).get_json()["items"]
    assert {hidden, ended} <= {o["id"] for o in everything}
    refused = api.get(
        OFFERS, "resident-1", query_string={"merchant_id": mid, "include_inactive": "true"}
    )
    assert refused.status_code == 403
    assert api.get(f"{OFFERS}/{hidden}", "resident-1").get_json()["active"] is False
    make_other_community(app)
    assert api.get(OFFERS, "other-resident").get_json()["items"] == []
    assert api.get(f"{OFFERS}/{hidden}", "other-resident").status_code == 404
    assert api.get(OFFERS, "resident-1", query_string={"limit": 101}).status_code == 422
    assert api.get(OFFERS, "resident-1", query_string={"cursor": "???"}).status_code == 400


def test_window_administration(api, app, seeded, query):
    cid = demo_community_id(query)
    base = f"/api/v1/admin/communities/{cid}/redemption-windows"
    today = date.today()
    body = {"starts_on": today.isoformat(), "ends_on": (today + timedelta(days=6)).isoformat()}
    assert api.post(base, "resident-1", json=body).status_code == 403
    make_other_community(app)
    assert api.post(base, "other-admin", json=body).status_code == 403
    backwards = {"starts_on": body["ends_on"], "ends_on": body["starts_on"]}
    resp = api.post(base, "admin", json=backwards)
    assert resp.status_code == 422 and error_code(resp) == "window_ends_before_start"
    long = {"starts_on": "2030-01-01", "ends_on": "2031-06-01"}
    assert error_code(api.post(base, "admin", json=long)) == "window_too_long"
    assert api.post(base, "admin", json={"starts_on": "2030-13-01"}).status_code == 422

    created = api.post(base, "admin", json={**body, "note": "本周兑换"})
    assert created.status_code == 201
    wid = created.get_json()["items"][0]["id"]
    state = api.get("/api/v1/redemption-windows/current", "resident-1").get_json()
    assert state["open"] is True and state["current"]["id"] == wid

    quarterly = api.post(f"{base}/quarterly", "admin", json={"year": 2031, "days": 7})
    assert quarterly.status_code == 201
    starts = [(w["starts_on"], w["ends_on"]) for w in quarterly.get_json()["items"]]
    assert starts == [
        ("2031-01-01", "2031-01-07"),
        ("2031-04-01", "2031-04-07"),
        ("2031-07-01", "2031-07-07"),
        ("2031-10-01", "2031-10-07"),
    ]
    listing = api.get(f"/api/v1/communities/{cid}/redemption-windows", "resident-1").get_json()
    assert len(listing["items"]) == 5
    listing = api.get(f"/api/v1/communities/{cid}/redemption-windows", "other-admin")
    assert listing.status_code == 403

    assert api.delete(f"{base}/{wid}", "resident-1").status_code == 403
    assert api.delete(f"{base}/{wid}", "admin").status_code == 204
    assert api.delete(f"{base}/{wid}", "admin").status_code == 404
    assert query(lambda s: s.get(RedemptionWindow, wid)) is None
    actions = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert actions.count("redemption_window.create") == 5
    assert "redemption_window.delete" in actions


def _verified(api, identity, offer):
    rid = api.post("/api/v1/redemptions", identity, json={"offer_id": offer}).get_json()["id"]
    token = api.get(f"/api/v1/redemptions/{rid}/code", identity).get_json()["token"]
    resp = api.post("/api/v1/merchant/verify", "merchant-1", json={"token": token})
    assert resp.status_code == 200
    return rid


def test_history_statement_and_xlsx_export(api, app, seeded, query):
    soap = make_offer(app, title="肥皂", points_cost=10)
    rice = make_offer(app, title="大米", points_cost=40)
    for n in (1, 2, 3):
        give_points(app, f"resident-{n}", 200)
    _verified(api, "resident-1", soap)
    _verified(api, "resident-2", soap)
    _verified(api, "resident-3", rice)
    api.post("/api/v1/redemptions", "resident-1", json={"offer_id": rice})  # reserved only

    history = api.get("/api/v1/merchant/redemptions", "merchant-1").get_json()
    assert len(history["items"]) == 4
    assert {i["resident_name"] for i in history["items"]} == {"张*明", "王*", "李*"}
    redeemed = api.get(
        "/api/v1/merchant/redemptions", "merchant-1", query_string={"status": "redeemed"}
    ).get_json()["items"]
    assert len(redeemed) == 3 and all(i["redeemed_by"] == "刘*红" for i in redeemed)

    month = current_month()
    statement = api.get("/api/v1/merchant/statement", "merchant-1").get_json()
    assert statement["month"] == month
    assert statement["total_count"] == 3 and statement["total_points"] == 60
    lines = {i["offer_title"]: (i["count"], i["points"]) for i in statement["items"]}
    assert lines == {"肥皂": (2, 20), "大米": (1, 40)}
    paged = api.get("/api/v1/merchant/statement", "merchant-1", query_string={"limit": 1})
    assert len(paged.get_json()["items"]) == 1 and paged.get_json()["next_cursor"]
    empty = api.get("/api/v1/merchant/statement", "merchant-1", query_string={"month": "2020-01"})
    assert empty.get_json()["total_count"] == 0 and empty.get_json()["items"] == []
    bad = api.get("/api/v1/merchant/statement", "merchant-1", query_string={"month": "2026-13"})
    assert bad.status_code == 422

    export = api.get("/api/v1/merchant/statement.xlsx", "merchant-1")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(export.data))
    summary = list(book["月度结算"].iter_rows(values_only=True))
    assert summary[-1] == ("合计", None, 3, 60)
    detail = list(book["核销明细"].iter_rows(values_only=True))
    assert len(detail) == 4 and {row[3] for row in detail[1:]} == {"张*明", "王*", "李*"}

    # Other merchants' staff, residents and other communities see nothing.
    add_staff(app, "barber", "阳光理发店")
    mid = merchant_id(query)
    for identity in ("barber", "resident-1"):
        for path in ("redemptions", "statement", "statement.xlsx"):
            resp = api.get(f"/api/v1/merchant/{path}", identity, query_string={"merchant_id": mid})
            assert resp.status_code == 403, (identity, path)
    barber_own = api.get("/api/v1/merchant/statement", "barber").get_json()
    assert barber_own["merchant_name"] == "阳光理发店" and barber_own["total_count"] == 0
    for path in ("redemptions", "statement", "statement.xlsx"):  # found by tests/authz
        resident = api.get(f"/api/v1/merchant/{path}", "resident-1")
        assert resident.status_code == 403 and error_code(resident) == "not_merchant_staff", path
    unnamed = api.get("/api/v1/merchant/statement", "admin")  # an admin names the merchant
    assert unnamed.status_code == 422 and error_code(unnamed) == "merchant_required"
    admin = api.get("/api/v1/merchant/statement", "admin", query_string={"merchant_id": mid})
    assert admin.status_code == 200 and admin.get_json()["total_points"] == 60
