"""Card redemption and PIN tries under real concurrency (PostgreSQL, barrier-released)."""

import pytest

from server.auth.models import User
from server.cards import counter
from server.community.card_holder_models import CardHolder
from server.db.session import db
from tests.cards.card_helpers import PIN, acting, card_qr, registered
from tests.cards.test_card_walkthrough import cheapest_offer
from tests.concurrency import run_n_together
from tests.tasks.test_tasks_support import user_id

pytestmark = pytest.mark.postgres


@pytest.fixture
def generous_limits(app):
    saved = {k: app.config[k] for k in ("CARD_PIN_MERCHANT_RATE_LIMIT", "CARD_PIN_CARD_RATE_LIMIT")}
    app.config.update(CARD_PIN_MERCHANT_RATE_LIMIT="1000 per hour")
    app.config.update(CARD_PIN_CARD_RATE_LIMIT="1000 per hour")
    yield
    app.config.update(saved)


def funded_holder(api, query) -> dict:
    holder = registered(api, "grid-1")
    resp = api.post(
        "/api/v1/points/adjustments",
        "admin",
        json={"user_id": holder["id"], "amount": 200, "reason": "敬老表彰"},
    )
    assert resp.status_code == 201
    return holder


def test_twenty_verifications_of_one_holder_reservation_redeem_once(
    api, seeded, query, app, generous_limits
):
    holder = funded_holder(api, query)
    offer_id, cost = cheapest_offer(query)
    reserved = api.post(
        "/api/v1/redemptions", "grid-1", json={"offer_id": offer_id}, headers=acting(holder["id"])
    )
    rid = reserved.get_json()["id"]
    qr = card_qr(query, holder["id"])
    staff_id = user_id(query, "merchant-1")

    def verify(_i):
        staff = db.session.get(User, staff_id)
        return counter.redeem_with_card(staff, qr, PIN, redemption_id=rid)["status"]

    results = run_n_together(app, 20, verify)
    assert [r for r in results if r[0] == "crash"] == []
    assert sum(1 for r in results if r == ("ok", "redeemed")) == 1
    refused = {r[1] for r in results if r[0] == "refused"}
    assert refused <= {"already_redeemed", "pin_busy"}
    balance = api.get("/api/v1/points/balance", "grid-1", headers=acting(holder["id"])).get_json()
    assert (balance["balance"], balance["held"]) == (200 - cost, 0)


def test_twenty_concurrent_wrong_pins_count_at_most_five_and_lock(
    api, seeded, query, app, generous_limits
):
    holder = funded_holder(api, query)
    offer_id, _cost = cheapest_offer(query)
    qr = card_qr(query, holder["id"])
    staff_id = user_id(query, "merchant-1")

    def wrong(_i):
        staff = db.session.get(User, staff_id)
        return counter.redeem_with_card(staff, qr, "9753", offer_id=offer_id)

    results = run_n_together(app, 20, wrong)
    codes = [r[1] for r in results]
    assert all(r[0] == "refused" for r in results), results
    assert set(codes) <= {"pin_wrong", "card_locked", "pin_busy"}
    assert codes.count("pin_wrong") <= 4 and "card_locked" in codes
    row = query(lambda s: s.get(CardHolder, holder["id"]))
    assert row.failed_pins == 5 and row.locked_at is not None
    balance = api.get("/api/v1/points/balance", "grid-1", headers=acting(holder["id"])).get_json()
    assert (balance["balance"], balance["held"]) == (200, 0)
