"""The counter: the typed code (数字码) beside the QR code, and today's figures on the statement."""

from datetime import date, timedelta

import pytest

from server.community.models import Merchant
from server.db.types import utcnow
from server.platform.localtime import local_today
from server.rewards import codes, merchant_statements
from server.rewards.models import Redemption
from server.rewards.periods import current_month
from tests.conftest import error_code
from tests.rewards.test_rewards_support import (
    balance,
    give_points,
    make_offer,
    merchant_id,
    redemption,
)

pytestmark = pytest.mark.usefixtures("write_path")

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"
STATEMENT = "/api/v1/merchant/statement"


def _reserved(api, app, identity="resident-1", points=30):
    offer = make_offer(app, title="洗衣液", points_cost=points, stock=5)
    give_points(app, identity, 100)
    return api.post(R, identity, json={"offer_id": offer}).get_json()["id"]


def test_the_typed_code_previews_and_verifies_like_the_qr_code(api, app, seeded, query):
    rid = _reserved(api, app)
    code = api.get(f"{R}/{rid}/code", "resident-1").get_json()
    typed = code["manual_code"]
    assert typed.isdecimal() and typed.startswith(str(rid)) and len(typed) == len(str(rid)) + 6

    spaced = f"{typed[:-6]} {typed[-6:-3]} {typed[-3:]}"  # as the page groups it
    preview = api.post(f"{VERIFY}/preview", "merchant-1", json={"token": spaced})
    assert preview.status_code == 200, preview.get_json()
    assert preview.get_json()["offer_title"] == "洗衣液" and preview.get_json()["points"] == 30
    done = api.post(VERIFY, "merchant-1", json={"token": typed})
    assert done.status_code == 200 and done.get_json()["status"] == "redeemed"
    assert redemption(query, rid).status == "redeemed" and balance(query, "resident-1") == (70, 0)
    again = api.post(VERIFY, "merchant-1", json={"token": typed})
    assert again.status_code == 409 and error_code(again) == "already_redeemed"


def test_a_typed_code_lives_one_step_more_then_is_refused(app, seeded):
    now = utcnow()
    with app.app_context():
        code = codes.manual_code(41, now=now)
        ttl = codes.code_ttl()
        assert codes.decode_code(code, now=now) == (41, "")
        assert codes.decode_manual_code(code, now=now + timedelta(seconds=ttl)) == 41
        with pytest.raises(codes.CodeInvalid):
            codes.decode_manual_code(code, now=now + timedelta(seconds=2 * ttl))
        wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
        with pytest.raises(codes.CodeInvalid):
            codes.decode_manual_code(wrong, now=now)
        # Another redemption's id with these check digits is not a code of that redemption.
        with pytest.raises(codes.CodeInvalid):
            codes.decode_manual_code("42" + code[-6:], now=now)


def test_bad_typed_codes_are_4xx_and_change_nothing(api, app, seeded, query):
    rid = _reserved(api, app, points=10)
    typed = api.get(f"{R}/{rid}/code", "resident-1").get_json()["manual_code"]
    wrong = typed[:-6] + ("000000" if typed[-6:] != "000000" else "111111")
    arabic = "".join(chr(0x660 + int(d)) for d in typed)  # ٠-٩: decimal, not ASCII
    for bad in (wrong, "123456", "0" + "0" * 6, arabic, "9" * 26, typed + "x", f"{typed[:-6]}²"):
        for path in (VERIFY, f"{VERIFY}/preview"):
            resp = api.post(path, "merchant-1", json={"token": bad})
            assert resp.status_code == 400 and error_code(resp) == "code_invalid", bad
    assert redemption(query, rid).status == "reserved"
    assert balance(query, "resident-1") == (100, 10)


def test_statement_carries_todays_verified_count_and_points(api, app, seeded, query):
    ids = [_reserved(api, app, identity=f"resident-{n}", points=10 * n) for n in (1, 2, 3)]
    for n, rid in zip((1, 2, 3), ids, strict=True):
        typed = api.get(f"{R}/{rid}/code", f"resident-{n}").get_json()["manual_code"]
        if n < 3:  # the third stays reserved: not counted
            assert api.post(VERIFY, "merchant-1", json={"token": typed}).status_code == 200

    body = api.get(STATEMENT, "merchant-1").get_json()
    assert body["today"] == {"date": local_today().isoformat(), "count": 2, "points": 30}
    # The day does not follow the month asked for.
    old = api.get(STATEMENT, "merchant-1", query_string={"month": "2020-01"}).get_json()
    assert old["today"]["count"] == 2 and old["total_count"] == 0

    # Verified yesterday (local): in the month's figures when still this month, never today's.
    def backdate(s):
        r = s.get(Redemption, ids[0])
        r.redeemed_at = r.redeemed_at - timedelta(days=1)
        s.commit()

    query(backdate)
    body = api.get(STATEMENT, "merchant-1").get_json()
    assert body["today"]["count"] == 1 and body["today"]["points"] == 20
    assert body["month"] == current_month()


def test_day_totals_counts_one_local_day(app, seeded, query):
    mid = merchant_id(query)
    with app.app_context():
        merchant = query(lambda s: s.get(Merchant, mid))
        empty = merchant_statements.day_totals(merchant, date(2020, 1, 1))
    assert empty == {"date": date(2020, 1, 1), "count": 0, "points": 0}


def test_typed_codes_for_one_redemption_are_limited_then_the_qr_code_still_works(
    api, app, seeded, query
):
    rid = _reserved(api, app, points=10)
    code = api.get(f"{R}/{rid}/code", "resident-1").get_json()
    typed, token = code["manual_code"], code["token"]
    wrong = typed[:-6] + ("000000" if typed[-6:] != "000000" else "111111")
    for _ in range(10):  # a staff member guessing the check digits
        assert api.post(f"{VERIFY}/preview", "merchant-1", json={"token": wrong}).status_code == 400
    stopped = api.post(VERIFY, "merchant-1", json={"token": typed})  # even the right one, now
    assert stopped.status_code == 429 and redemption(query, rid).status == "reserved"
    scanned = api.post(VERIFY, "merchant-1", json={"token": token})
    assert scanned.status_code == 200 and redemption(query, rid).status == "redeemed"
