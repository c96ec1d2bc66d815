"""A resident with something in every section: points, a claim with a photo, a reservation."""

from tests.claims_helpers import item_id, today, upload
from tests.rewards.test_rewards_support import give_points, make_offer

CLAIMS = "/api/v1/points/claims"


def busy_resident(api, app, query, identity="resident-1") -> dict:
    """Give `identity` points, an approved claim with a photo and a reserved reward."""
    give_points(app, identity, 100)
    photo = upload(api, identity).get_json()["id"]
    claim = api.post(
        CLAIMS,
        identity,
        json={
            "item_id": item_id(query, "C01"),
            "occurred_on": today().isoformat(),
            "description": "在小区垃圾分类点督导两小时",
            "photo_ids": [photo],
        },
    ).get_json()
    approved = api.post(f"{CLAIMS}/{claim['id']}/approve", "reviewer", json={"reason": "属实"})
    assert approved.status_code == 200, approved.get_json()
    offer = make_offer(app, points_cost=30, stock=5)
    reserved = api.post("/api/v1/redemptions", identity, json={"offer_id": offer})
    assert reserved.status_code == 201, reserved.get_json()
    return {"photo": photo, "claim": claim["id"], "offer": offer, "redemption": reserved.get_json()}
