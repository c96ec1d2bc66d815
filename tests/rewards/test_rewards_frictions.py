"""What merchant staff and residents are told and shown: a resident scanning a code hears that
only merchant staff verify, and a verifier's name is masked wherever a redemption lists it."""

import io

import jwt
import pytest
from openpyxl import load_workbook

from server.rewards.models import Redemption
from tests.conftest import error_code
from tests.rewards.test_rewards_support import add_staff, give_points, make_offer

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"
HISTORY = "/api/v1/merchant/redemptions"


def reserved_code(api, app, identity="resident-1", points=10):
    offer = make_offer(app, points_cost=points)
    give_points(app, identity, 100)
    rid = api.post(R, identity, json={"offer_id": offer}).get_json()["id"]
    return rid, api.get(f"{R}/{rid}/code", identity).get_json()["token"]


@pytest.mark.parametrize("path", [VERIFY, f"{VERIFY}/preview"])
@pytest.mark.parametrize("who", ["resident-2", "admin"])
def test_someone_who_is_no_merchants_staff_hears_only_staff_verify(
    api, app, seeded, query, who, path
):
    rid, token = reserved_code(api, app)
    forged = jwt.encode({"rid": rid}, "a-guessed-secret-that-is-long-enough!", algorithm="HS256")
    for code in (token, forged, "garbage"):
        resp = api.post(path, who, json={"token": code})
        assert resp.status_code == 403 and error_code(resp) == "not_merchant_staff", code
        error = resp.get_json()["error"]
        assert error["message"] == "只有商家店员可以核销兑换码，请出示给商家扫码"
        assert error["details"] == {}
    assert query(lambda s: s.get(Redemption, rid).status) == "reserved"


def test_another_merchants_staff_still_hear_it_is_not_their_merchant(api, app, seeded):
    _rid, token = reserved_code(api, app)
    add_staff(app, "barber", "阳光理发店")
    resp = api.post(VERIFY, "barber", json={"token": token})
    assert resp.status_code == 403 and error_code(resp) == "not_your_merchant"


def test_the_verifier_is_masked_wherever_a_redemption_names_them(api, app, seeded):
    _rid, token = reserved_code(api, app)
    assert api.post(VERIFY, "merchant-1", json={"token": token}).status_code == 200
    again = api.post(VERIFY, "merchant-1", json={"token": token})
    assert again.status_code == 409
    masked = again.get_json()["error"]["details"]["redeemed_by"]
    assert masked == "刘*红"

    history = api.get(HISTORY, "merchant-1")
    assert [i["redeemed_by"] for i in history.get_json()["items"]] == [masked]
    assert "刘小红" not in history.get_data(as_text=True)

    export = api.get("/api/v1/merchant/statement.xlsx", "merchant-1")
    detail = list(load_workbook(io.BytesIO(export.data))["核销明细"].iter_rows(values_only=True))
    assert [row[5] for row in detail[1:]] == [masked]
