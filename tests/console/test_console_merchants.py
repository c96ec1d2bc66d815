"""商家 in the console: admins see the community's merchants, merchant staff only their own
shop (another shop's id is a 404, as is another community's merchant for its admin); a
merchant's offers, staff and monthly statement with its xlsx; approve / suspend and offer
changes go through the rewards services with CSRF."""

from sqlalchemy import select

from server.community.models import Merchant
from server.rewards.models import Offer
from server.rewards.periods import current_month
from server.rewards.seed import SUPERMARKET
from tests.console.cc_helpers import console_as, post, sheet_rows
from tests.console.console_helpers import LOGINS, start
from tests.rewards.test_rewards_support import (
    add_staff,
    give_points,
    make_offer,
    make_other_community,
    merchant_id,
)

BARBER = "阳光理发店"


def _verified(api, identity: str, offer: int) -> int:
    rid = api.post("/api/v1/redemptions", identity, json={"offer_id": offer}).get_json()["id"]
    token = api.get(f"/api/v1/redemptions/{rid}/code", identity).get_json()["token"]
    assert (
        api.post("/api/v1/merchant/verify", "merchant-1", json={"token": token}).status_code == 200
    )
    return rid


def _status(query, mid: int) -> str:
    return query(lambda s: s.get(Merchant, mid).status)


def _offer(query, oid: int) -> tuple[int, bool]:
    return query(lambda s: (lambda o: (o.stock, o.active))(s.get(Offer, oid)))


def test_admins_see_every_merchant_and_staff_only_their_own(app, seeded, api, query):
    market, barber = merchant_id(query), merchant_id(query, BARBER)
    admin = console_as(app, api, "admin")
    html = admin.get("/console/merchants").get_data(as_text=True)
    assert SUPERMARKET in html and BARBER in html and "康乐便民洗衣店" in html
    assert ">商家</a>" in html  # the sidebar link
    filtered = admin.get("/console/merchants?kind=partner&q=理发").get_data(as_text=True)
    assert BARBER in filtered and SUPERMARKET not in filtered
    assert admin.get("/console/merchants?status=bogus").status_code == 400
    rows = sheet_rows(admin.get("/console/merchants/export?kind=partner"))
    assert rows[0][:4] == ["编号", "商家名称", "类型", "状态"]
    assert sorted(r[1] for r in rows[1:]) == sorted([BARBER, "康乐便民洗衣店"])
    assert admin.get(f"/console/merchants/{barber}").status_code == 200

    staff = console_as(app, api, "merchant-1")
    html = staff.get("/console/merchants").get_data(as_text=True)
    assert SUPERMARKET in html and BARBER not in html
    assert [r[1] for r in sheet_rows(staff.get("/console/merchants/export"))[1:]] == [SUPERMARKET]
    page = staff.get(f"/console/merchants/{market}").get_data(as_text=True)
    assert "洗衣液 2kg" in page and "刘*红" in page and "通过审核" not in page
    assert staff.get(f"/console/merchants/{barber}").status_code == 404
    assert staff.get(f"/console/merchants/{barber}/statement.xlsx").status_code == 404
    assert staff.get("/console/merchants/999999").status_code == 404

    add_staff(app, "barber", BARBER)
    other_shop = console_as(app, api, "barber")
    assert other_shop.get(f"/console/merchants/{market}").status_code == 404
    assert SUPERMARKET not in other_shop.get("/console/merchants").get_data(as_text=True)

    reviewer = console_as(app, api, "reviewer")
    assert reviewer.get("/console/merchants").status_code == 403
    assert reviewer.get(f"/console/merchants/{market}").status_code == 403


def test_a_resident_cannot_log_in_and_another_communitys_admin_gets_404(app, seeded, api):
    browser = app.test_client()
    scene = start(browser)
    refused = api.post(f"{LOGINS}/{scene}/confirm", "resident-1")
    assert refused.status_code == 403
    assert browser.get("/console/merchants").status_code == 302  # to the login page

    make_other_community(app)
    other = console_as(app, api, "other-admin")
    market = other.get("/console/merchants").get_data(as_text=True)
    assert "和谐超市" in market and SUPERMARKET not in market
    with app.app_context():
        from server.db.session import db

        mid = db.session.scalar(select(Merchant.id).where(Merchant.name == SUPERMARKET))
        db.session.remove()
    assert other.get(f"/console/merchants/{mid}").status_code == 404
    assert other.get(f"/console/merchants/{mid}/statement.xlsx").status_code == 404
    assert post(other, f"/console/merchants/{mid}/suspend").status_code == 404


def test_the_monthly_statement_and_its_xlsx(app, seeded, api, query):
    soap = make_offer(app, title="肥皂", points_cost=10)
    rice = make_offer(app, title="大米", points_cost=40)
    for n in (1, 2, 3):
        give_points(app, f"resident-{n}", 200)
    _verified(api, "resident-1", soap)
    _verified(api, "resident-2", soap)
    _verified(api, "resident-3", rice)
    market, month = merchant_id(query), current_month()

    staff = console_as(app, api, "merchant-1")
    html = staff.get(f"/console/merchants/{market}").get_data(as_text=True)
    assert f'value="{month}"' in html and "<th>3</th><th>60</th>" in html
    empty = staff.get(f"/console/merchants/{market}?month=2020-01").get_data(as_text=True)
    assert "2020-01 没有核销记录" in empty
    assert staff.get(f"/console/merchants/{market}?month=2026-13").status_code == 400

    resp = staff.get(f"/console/merchants/{market}/statement.xlsx?month={month}")
    assert resp.status_code == 200
    from io import BytesIO

    from openpyxl import load_workbook

    book = load_workbook(BytesIO(resp.get_data()))
    summary = [list(r) for r in book["月度结算"].iter_rows(values_only=True)]
    assert summary[0] == [f"{SUPERMARKET} {month} 兑换结算单", None, None, None]
    assert summary[2:] == [[soap, "肥皂", 2, 20], [rice, "大米", 1, 40], ["合计", None, 3, 60]]
    detail = [list(r) for r in book["核销明细"].iter_rows(values_only=True)]
    assert len(detail) == 4 and {r[3] for r in detail[1:]} == {"张*明", "王*", "李*"}
    bad = staff.get(f"/console/merchants/{market}/statement.xlsx?month=bogus")
    assert bad.status_code == 400


def test_approving_and_suspending_a_merchant(app, seeded, api, query):
    applied = api.post("/api/v1/merchants", "resident-5", json={"name": "老街修鞋铺"})
    mid = applied.get_json()["id"]
    admin = console_as(app, api, "admin")
    pending = admin.get("/console/merchants?status=pending").get_data(as_text=True)
    assert "老街修鞋铺" in pending and SUPERMARKET not in pending

    assert post(admin, f"/console/merchants/{mid}/approve", csrf=False).status_code == 400
    assert _status(query, mid) == "pending"
    staff = console_as(app, api, "merchant-1")
    assert post(staff, f"/console/merchants/{mid}/approve").status_code == 403
    assert _status(query, mid) == "pending"

    done = post(admin, f"/console/merchants/{mid}/approve")
    assert done.status_code == 200 and "商家已通过审核" in done.get_data(as_text=True)
    assert _status(query, mid) == "approved"
    again = post(admin, f"/console/merchants/{mid}/suspend")
    assert "商家已暂停" in again.get_data(as_text=True) and _status(query, mid) == "suspended"


def test_changing_an_offers_stock_and_shelf(app, seeded, api, query):
    market, barber = merchant_id(query), merchant_id(query, BARBER)
    oid = make_offer(app, title="肥皂", points_cost=10, stock=10)
    barber_offer = make_offer(app, BARBER, title="洗头", stock=5)
    staff = console_as(app, api, "merchant-1")
    path = f"/console/merchants/{market}/offers/{oid}"

    assert post(staff, path, {"add_stock": "5"}, csrf=False).status_code == 400
    assert _offer(query, oid) == (10, True)
    done = post(staff, path, {"add_stock": "5"})
    assert done.status_code == 200 and "已更新商品：肥皂" in done.get_data(as_text=True)
    assert _offer(query, oid) == (15, True)
    too_few = post(staff, path, {"add_stock": "-100"})
    assert too_few.status_code == 409 and "库存调整后不能小于 0" in too_few.get_data(as_text=True)
    assert post(staff, path, {"add_stock": "abc"}).status_code == 422
    assert _offer(query, oid) == (15, True)
    assert post(staff, path, {"active": "0"}).status_code == 200
    assert _offer(query, oid) == (15, False)
    assert "已下架" in staff.get(f"/console/merchants/{market}").get_data(as_text=True)

    # Another shop's offer, by its own path or slipped under this shop's: 404, unchanged.
    assert (
        post(
            staff, f"/console/merchants/{barber}/offers/{barber_offer}", {"add_stock": "1"}
        ).status_code
        == 404
    )
    assert (
        post(
            staff, f"/console/merchants/{market}/offers/{barber_offer}", {"add_stock": "1"}
        ).status_code
        == 404
    )
    assert _offer(query, barber_offer) == (5, True)
    admin = console_as(app, api, "admin")
    assert (
        post(
            admin, f"/console/merchants/{barber}/offers/{barber_offer}", {"active": "0"}
        ).status_code
        == 200
    )
    assert _offer(query, barber_offer) == (5, False)
