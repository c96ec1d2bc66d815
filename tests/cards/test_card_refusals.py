"""Who may register, find and act for a card holder, and every refusal changing nothing."""

import io

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.cards.numbers import CardInvalid, number_from_qr
from server.community.card_holder_models import ActOnBehalf, CardHolder
from server.points.claim_models import PointClaim
from tests import claims_helpers
from tests.cards.card_helpers import (
    HOLDERS,
    PIN,
    REDEEM,
    SCAN,
    acting,
    card_qr,
    holder_row,
    register,
    registered,
)
from tests.conftest import error_code
from tests.grid.service_log_helpers import grant, other_community

upload_dir = claims_helpers.upload_dir


def count(query, model) -> int:
    return query(lambda s: s.scalar(select(func.count()).select_from(model)))


def test_only_staff_and_grid_workers_register_and_a_worker_only_in_their_grid(
    api, seeded, query, app
):
    before = count(query, CardHolder)
    resp = register(api, "resident-1")
    assert resp.status_code == 403 and error_code(resp) == "not_card_staff"
    from tests.grid.service_log_helpers import grid_id

    other_grid = grid_id(query, "g2")
    resp = register(api, "grid-1", grid_id=other_grid)
    assert resp.status_code == 403 and error_code(resp) == "not_grid_worker_of_grid"
    bad = register(api, "grid-1", pin="12a4")
    assert bad.status_code == 422
    weak = register(api, "grid-1", pin="0000")
    assert weak.status_code == 422 and error_code(weak) == "weak_pin"
    assert count(query, CardHolder) == before
    # Office staff register in any grid of their community.
    made = registered(api, "reviewer", grid_id=other_grid)
    assert made["grid"]["id"] == other_grid


def test_a_worker_finds_and_acts_only_for_their_grids_holders(api, seeded, query, app):
    mine = registered(api, "grid-1")
    from tests.grid.service_log_helpers import grid_id

    theirs = registered(api, "reviewer", real_name="周玉珍", grid_id=grid_id(query, "g2"))
    grant(app, query, "resident-5", "grid_worker", "g2")
    found = api.get(HOLDERS, "grid-1", query_string={"q": "桂"}).get_json()["items"]
    assert [h["id"] for h in found] == [mine["id"]]
    assert all("phone" not in h for h in found)
    assert api.get(HOLDERS, "resident-5").get_json()["items"][0]["id"] == theirs["id"]
    assert api.get(HOLDERS, "reviewer").get_json()["items"][0]["id"] == theirs["id"]  # newest
    # Another grid's holder looks absent, through the holder routes and through acting.
    assert api.get(f"{HOLDERS}/{theirs['id']}", "grid-1").status_code == 404
    acts_before = count(query, ActOnBehalf)
    resp = api.post("/api/v1/tasks/1/signups", "grid-1", headers=acting(theirs["id"]))
    assert resp.status_code == 404 and error_code(resp) == "card_holder_not_found"
    # A resident with a phone is not a card holder: nobody acts for them.
    resident = query(lambda s: s.scalar(select(User.id).where(User.real_name == "张伟明")))
    resp = api.get("/api/v1/points/balance", "grid-1", headers=acting(resident))
    assert resp.status_code == 404
    # A resident cannot act for anyone, and a bad header is a 400.
    resp = api.get("/api/v1/points/balance", "resident-1", headers=acting(mine["id"]))
    assert resp.status_code == 404
    resp = api.get("/api/v1/points/balance", "grid-1", headers={"X-Acting-For": "abc"})
    assert resp.status_code == 400 and error_code(resp) == "invalid_acting_for"
    assert count(query, ActOnBehalf) == acts_before


def test_a_route_that_cannot_be_done_for_someone_refuses_the_header(api, seeded, query):
    holder = registered(api, "grid-1")
    resp = api.post(
        "/api/v1/grid/reports",
        "grid-1",
        json={"category_id": 1, "text": "路灯坏了", "place": "3栋"},
        headers=acting(holder["id"]),
    )
    assert resp.status_code == 400 and error_code(resp) == "acting_not_allowed"
    resp = api.post(f"{HOLDERS}/{holder['id']}/bind-code", "admin", headers=acting(holder["id"]))
    assert resp.status_code == 400


def test_staff_of_another_community_see_nothing(api, seeded, query, app):
    holder = registered(api, "grid-1")
    other = other_community(app, query)
    assert other.community_id
    assert api.get(HOLDERS, "other-admin").get_json()["items"] == []
    assert api.get(f"{HOLDERS}/{holder['id']}", "other-admin").status_code == 404
    resp = api.get("/api/v1/points/balance", "other-admin", headers=acting(holder["id"]))
    assert resp.status_code == 404
    resp = api.post(f"{HOLDERS}/{holder['id']}/unlock", "other-admin", json={})
    assert resp.status_code == 404


def test_forged_altered_and_foreign_cards_are_refused(api, seeded, query, app):
    holder = registered(api, "grid-1")
    qr = card_qr(query, holder["id"])
    prefix, number, signature = qr.split(".")
    altered_number = number[:-1] + ("A" if number[-1] != "A" else "B")
    forged = [
        f"{prefix}.{altered_number}.{signature}",
        f"{prefix}.{number}.{'A' * len(signature)}",
        f"{prefix}.{number}",
        "https://example.com/card/1",
        qr + " ",
    ]
    for text in forged[:-1]:
        resp = api.post(SCAN, "merchant-1", json={"card": text})
        assert resp.status_code == 400 and error_code(resp) == "card_invalid", text
    assert api.post(SCAN, "merchant-1", json={"card": forged[-1]}).status_code == 200
    with app.app_context():
        with pytest.raises(CardInvalid):
            number_from_qr(forged[0])
    # Only merchant staff scan cards.
    resp = api.post(SCAN, "resident-1", json={"card": qr})
    assert resp.status_code == 403 and error_code(resp) == "not_merchant_staff"
    body = {"card": qr, "pin": PIN, "redemption_id": 1}
    resp = api.post(REDEEM, "resident-1", json=body)
    assert resp.status_code == 403 and error_code(resp) == "not_merchant_staff"


def test_nobody_approves_a_claim_they_filed_for_a_holder(api, seeded, query, upload_dir):
    holder = registered(api, "reviewer")
    photo = api.post(
        "/api/v1/uploads",
        "reviewer",
        data={"file": (io.BytesIO(claims_helpers.image_bytes()), "p.png")},
        content_type="multipart/form-data",
        headers=acting(holder["id"]),
    )
    assert photo.status_code == 201, photo.get_json()
    body = {
        "item_id": claims_helpers.item_id(query, "C03"),
        "occurred_on": claims_helpers.today().isoformat(),
        "description": "刘阿姨整理楼道杂物",
        "photo_ids": [photo.get_json()["id"]],
    }
    filed = api.post("/api/v1/points/claims", "reviewer", json=body, headers=acting(holder["id"]))
    assert filed.status_code == 201, filed.get_json()
    claim_id = filed.get_json()["id"]
    assert query(lambda s: s.get(PointClaim, claim_id).filed_by) is not None
    own = api.post(f"/api/v1/points/claims/{claim_id}/approve", "reviewer", json={})
    assert own.status_code == 403 and error_code(own) == "cannot_review_own_filing"
    ok = api.post(f"/api/v1/points/claims/{claim_id}/approve", "admin", json={})
    assert ok.status_code == 200 and ok.get_json()["status"] == "approved"


def test_binding_refuses_a_used_wechat_a_reused_code_and_a_wrong_one(api, seeded, query):
    holder = registered(api, "grid-1")
    code = api.post(f"{HOLDERS}/{holder['id']}/bind-code", "grid-1").get_json()["code"]
    used = api.post("/api/v1/cards/bind", "resident-1", json={"code": code})
    assert used.status_code == 409 and error_code(used) == "already_has_account"
    wrong = api.post("/api/v1/cards/bind", "newcomer", json={"code": "00000000"})
    assert wrong.status_code == 422 and error_code(wrong) == "bind_code_invalid"
    assert api.post("/api/v1/cards/bind", "newcomer", json={"code": code}).status_code == 200
    again = api.post("/api/v1/cards/bind", "latecomer", json={"code": code})
    assert again.status_code == 422 and error_code(again) == "bind_code_invalid"
    bound = api.post(f"{HOLDERS}/{holder['id']}/bind-code", "grid-1")
    assert bound.status_code == 409 and error_code(bound) == "already_bound"


def test_pin_tries_are_limited_per_merchant_across_cards(api, seeded, query, app):
    """A stolen stack of cards cannot be tried at one counter beyond its hourly limit."""
    from tests.cards.test_card_walkthrough import cheapest_offer

    offer_id, _cost = cheapest_offer(query)
    app.config["CARD_PIN_MERCHANT_RATE_LIMIT"] = "3 per hour"
    try:
        holders = [registered(api, "grid-1", real_name=f"老人{n}") for n in range(2)]
        answers = []
        for holder in holders:
            qr = card_qr(query, holder["id"])
            for _ in range(2):
                body = {"card": qr, "pin": "1357", "offer_id": offer_id}
                answers.append(api.post(REDEEM, "merchant-1", json=body))
    finally:
        app.config["CARD_PIN_MERCHANT_RATE_LIMIT"] = "30 per hour"
    assert [r.status_code for r in answers] == [403, 403, 403, 429]
    assert error_code(answers[-1]) == "rate_limited"
    # The refused try was never counted against the card.
    assert holder_row(query, holders[1]["id"]).failed_pins == 1
    right = {"card": card_qr(query, holders[1]["id"]), "pin": PIN, "offer_id": offer_id}
    assert api.post(SCAN, "merchant-1", json={"card": right["card"]}).status_code == 200


def test_staff_reset_the_pin_and_a_weak_one_changes_nothing(api, seeded, query):
    from tests.cards.test_card_walkthrough import cheapest_offer

    holder = registered(api, "grid-1")
    url = f"{HOLDERS}/{holder['id']}/unlock"
    before = holder_row(query, holder["id"]).pin_hash
    weak = api.post(url, "grid-1", json={"pin": "0000"})
    assert weak.status_code == 422 and error_code(weak) == "weak_pin"
    assert holder_row(query, holder["id"]).pin_hash == before
    assert api.post(url, "grid-1", json={"pin": "1357"}).status_code == 200
    offer_id, _cost = cheapest_offer(query)
    body = {"card": card_qr(query, holder["id"]), "offer_id": offer_id}
    old = api.post(REDEEM, "merchant-1", json={**body, "pin": PIN})
    assert old.status_code == 403 and error_code(old) == "pin_wrong"
    new = api.post(REDEEM, "merchant-1", json={**body, "pin": "1357"})
    assert new.status_code == 409 and error_code(new) == "insufficient_points"  # PIN accepted


def test_a_wrong_pin_under_an_idempotency_key_is_still_counted(api, seeded, query):
    """The counter's app sends an Idempotency-Key with every card redemption; the request's
    commits are then held back until it ends (server/db/deferred_commits.py), and a refused one
    must still leave its counted try behind, or a thief could guess without limit."""
    from tests.cards.test_card_walkthrough import cheapest_offer

    holder = registered(api, "grid-1")
    offer_id, _cost = cheapest_offer(query)
    body = {"card": card_qr(query, holder["id"]), "offer_id": offer_id, "pin": "9753"}
    for tries in (1, 2):
        wrong = api.post(REDEEM, "merchant-1", json=body, headers={"Idempotency-Key": f"k{tries}"})
        assert wrong.status_code == 403 and error_code(wrong) == "pin_wrong"
        assert wrong.get_json()["error"]["details"]["tries_left"] == 5 - tries
        assert holder_row(query, holder["id"]).failed_pins == tries


def test_the_card_holder_list_pages_through_more_holders_than_a_page(api, seeded):
    """Found by `scripts/bench fuzz`: a list longer than its page answered 500 (the cursor read
    `.id`, and a card holder's key is its user id)."""
    made = [
        registered(api, "admin", real_name=name)["id"] for name in ("刘桂兰", "周玉珍", "陈秀英")
    ]
    seen, cursor = [], None
    for _ in range(len(made) + 1):
        query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(HOLDERS + query, "admin")
        assert page.status_code == 200, page.get_json()
        seen += [h["id"] for h in page.get_json()["items"]]
        cursor = page.get_json()["next_cursor"]
        if cursor is None:
            break
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
