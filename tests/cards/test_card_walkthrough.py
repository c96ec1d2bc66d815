"""A resident without a smartphone, from registration to binding WeChat: the issue's walk."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from server.community.models import Merchant
from server.rewards.models import Offer
from tests.cards.card_helpers import (
    HOLDERS,
    PIN,
    REDEEM,
    SCAN,
    acting,
    card_qr,
    decode_pdf_qr_codes,
    registered,
)
from tests.conftest import error_code
from tests.tasks.test_tasks_support import T0, Clock, create_task

PHONE = "13812345678"


class Recorder:
    """The API, remembering every response body (to prove no phone number is ever sent)."""

    def __init__(self, api):
        self.api, self.bodies = api, []

    def __getattr__(self, method):
        def call(*args, **kwargs):
            resp = getattr(self.api, method)(*args, **kwargs)
            self.bodies.append(resp.get_data().decode("utf-8", "replace"))
            return resp

        return call


def cheapest_offer(query) -> tuple[int, int]:
    return query(
        lambda s: s.execute(
            select(Offer.id, Offer.points_cost)
            .join(Merchant, Merchant.id == Offer.merchant_id)
            .where(Merchant.name == "幸福社区积分超市", Offer.active.is_(True))
            .order_by(Offer.points_cost)
            .limit(1)
        ).one()
    )


def test_a_card_holder_is_served_redeems_is_locked_replaced_and_binds(
    api, seeded, query, app, tmp_path, monkeypatch
):
    clock = Clock(monkeypatch)
    web = Recorder(api)
    holder = registered(web, "grid-1", phone=PHONE)
    hid = holder["id"]
    assert holder["name"] == "刘*兰" and holder["grid"]["name"].startswith("第一网格")
    assert holder["phone"] == "138****5678" and holder["card"]["hint"] and not holder["bound"]

    # Printed: the sheet's QR is the card's, and the counter accepts it.
    printed = web.post("/api/v1/cards/print", "grid-1", json={"holder_ids": [hid]})
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert decode_pdf_qr_codes(printed.data, tmp_path) == [card_qr(query, hid)]

    # Credited through the grid worker's service log (an item whose points go to the resident).
    item = web.post(
        "/api/v1/admin/grid/service-items",
        "admin",
        json={
            "code": "AIDE",
            "name": "居民志愿服务（代记）",
            "points": 8,
            "rule": "auto",
            "beneficiary": "resident",
        },
    ).get_json()
    log = web.post(
        "/api/v1/grid/service-logs",
        "grid-1",
        json={
            "item_id": item["id"],
            "resident_id": hid,
            "duration_minutes": 60,
            "served_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            "place": "3栋楼道",
            "notes": "刘阿姨清扫楼道",
        },
    )
    assert log.status_code == 201, log.get_json()
    as_worker = acting(hid)
    balance = web.get("/api/v1/points/balance", "grid-1", headers=dict(as_worker)).get_json()
    assert (balance["holder_id"], balance["balance"]) == (hid, 8)

    # Signed up and checked in by the worker; the organiser completes the task.
    task = create_task(web, query, capacity=2, latitude=None, longitude=None, radius_m=None)
    signup = web.post(f"/api/v1/tasks/{task['id']}/signups", "grid-1", headers=dict(as_worker))
    assert signup.status_code == 201 and signup.get_json()["status"] == "confirmed"
    seen = web.get(f"/api/v1/tasks/{task['id']}", "grid-1", headers=dict(as_worker)).get_json()
    assert seen["my_signup"]["status"] == "confirmed"  # the task as the holder sees it
    assert web.get(f"/api/v1/tasks/{task['id']}", "grid-1").get_json()["my_signup"] is None
    clock.set(T0 + timedelta(days=1, minutes=5))
    token = web.get(f"/api/v1/tasks/{task['id']}/checkin-code", "admin").get_json()["token"]
    checkin = web.post(
        f"/api/v1/tasks/{task['id']}/checkin",
        "grid-1",
        json={"token": token},
        headers=dict(as_worker),
    )
    assert checkin.status_code == 201, checkin.get_json()
    clock.set(T0 + timedelta(days=1, hours=3))
    assert web.post(f"/api/v1/tasks/{task['id']}/complete", "admin").get_json()["credited"] == 1
    earned = web.get("/api/v1/points/balance", "grid-1", headers=dict(as_worker)).get_json()
    assert earned["balance"] > 8
    bonus = web.post(
        "/api/v1/points/adjustments",
        "admin",
        json={"user_id": hid, "amount": 100, "reason": "敬老表彰"},
    )
    assert bonus.status_code == 201

    # Redeemed at the counter with the card and the PIN.
    qr = card_qr(query, hid)
    offer_id, cost = cheapest_offer(query)
    scanned = web.post(SCAN, "merchant-1", json={"card": qr}).get_json()
    assert scanned["holder_name"] == "刘*兰" and scanned["locked"] is False
    before = scanned["available"]
    redeemed = web.post(REDEEM, "merchant-1", json={"card": qr, "pin": PIN, "offer_id": offer_id})
    assert redeemed.status_code == 200, redeemed.get_json()
    assert redeemed.get_json()["status"] == "redeemed"
    after = web.post(SCAN, "merchant-1", json={"card": qr}).get_json()["available"]
    assert after == before - cost

    # Five wrong PINs lock the card; the right one is then refused too, until staff unlock it.
    answers = [
        web.post(REDEEM, "merchant-1", json={"card": qr, "pin": "1111", "offer_id": offer_id})
        for _ in range(5)
    ]
    assert [r.status_code for r in answers] == [403, 403, 403, 403, 423]
    assert [r.get_json()["error"]["details"].get("tries_left") for r in answers[:4]] == [4, 3, 2, 1]
    locked = web.post(REDEEM, "merchant-1", json={"card": qr, "pin": PIN, "offer_id": offer_id})
    assert locked.status_code == 423 and error_code(locked) == "card_locked"
    assert web.post(SCAN, "merchant-1", json={"card": qr}).get_json()["locked"] is True
    unlocked = web.post(f"{HOLDERS}/{hid}/unlock", "grid-1", json={})
    assert unlocked.status_code == 200 and unlocked.get_json()["locked"] is False

    # A reservation the worker made for the holder, redeemed later with the card.
    reserved = web.post(
        "/api/v1/redemptions", "grid-1", json={"offer_id": offer_id}, headers=dict(as_worker)
    )
    assert reserved.status_code == 201, reserved.get_json()
    rid = reserved.get_json()["id"]
    waiting = web.post(SCAN, "merchant-1", json={"card": qr}).get_json()["reservations"]
    assert [r["id"] for r in waiting] == [rid]
    body = {"card": qr, "pin": PIN, "redemption_id": rid}
    assert web.post(REDEEM, "merchant-1", json=body).get_json()["status"] == "redeemed"
    again = web.post(REDEEM, "merchant-1", json=body)
    assert again.status_code == 409 and error_code(again) == "already_redeemed"

    # Lost and replaced: the old QR stops at once; balance and history stay.
    replaced = web.post(f"{HOLDERS}/{hid}/replace-card", "grid-1", json={"reason": "lost"})
    assert replaced.status_code == 201
    old = web.post(SCAN, "merchant-1", json={"card": qr})
    assert old.status_code == 410 and error_code(old) == "card_replaced"
    new_qr = card_qr(query, hid)
    assert new_qr != qr
    assert web.post(SCAN, "merchant-1", json={"card": new_qr}).get_json()["available"] == (
        after - cost
    )
    history = web.get("/api/v1/points/ledger", "grid-1", headers=dict(as_worker)).get_json()

    # Bound to a fresh WeChat login: the same account, balance, history and ranking.
    code = web.post(f"{HOLDERS}/{hid}/bind-code", "admin").get_json()["code"]
    fresh = api.login("grandson")
    fresh_token = fresh["token"]
    bound = web.post("/api/v1/cards/bind", "grandson", json={"code": code})
    assert bound.status_code == 200, bound.get_json()
    assert bound.get_json()["user_id"] == hid
    mine = {"Authorization": f"Bearer {bound.get_json()['token']}"}
    me = web.get("/api/v1/points/balance", headers=mine).get_json()
    assert (me["holder_id"], me["available"]) == (hid, after - cost)
    assert web.get("/api/v1/points/ledger", headers=mine).get_json() == history
    month = web.get("/api/v1/rankings", headers=mine, query_string={"kind": "person"}).get_json()
    assert month["me"] is not None and month["me"]["points"] > 0
    gone = api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh_token}"})
    assert gone.status_code == 401
    relogin = api.client.post(
        "/api/v1/auth/wechat-login", json={"code": api.emulator.code("grandson")}
    ).get_json()
    assert relogin["user"]["id"] == hid

    # Every act on the holder's behalf names who did it, and the family can read them.
    acts = web.get("/api/v1/acts-on-behalf", headers=mine).get_json()["items"]
    done = {(a["action"], a["actor_name"]) for a in acts}
    assert {
        ("service_log.credit", "陈*强"),
        ("task.signup", "陈*强"),
        ("task.checkin", "陈*强"),
        ("redemption.reserve", "陈*强"),
        ("redemption.card_verify", "刘*红"),
    } <= done
    assert not any(PHONE in body for body in web.bodies)
