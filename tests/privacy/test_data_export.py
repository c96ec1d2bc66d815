"""GET /me/data-export (JSON and xlsx): every section, only the caller's own rows."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.http import rate_limits
from server.privacy import export, export_rows
from tests import claims_helpers
from tests.conftest import error_code
from tests.privacy.helpers import busy_resident

upload_dir = claims_helpers.upload_dir
pytestmark = pytest.mark.usefixtures("upload_dir", "seeded")
EXPORT = "/api/v1/me/data-export"
SECTIONS = [
    "profile",
    "memberships",
    "roles",
    "accounts",
    "ledger",
    "claims",
    "signups",
    "attendance",
    "redemptions",
    "reports",
    "wishes",
    "service_logs",
    "cards",
    "acts_on_behalf",
    "photos",
]


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    rate_limits.reset(app)


def _sections(body) -> dict:
    return {s["name"]: s for s in body["sections"]}


def test_export_holds_every_section_of_the_callers_own_data(api, app, query):
    mine = busy_resident(api, app, query)
    busy_resident(api, app, query, identity="resident-2")
    resp = api.get(EXPORT, "resident-1")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    sections = _sections(body)
    assert list(sections) == SECTIONS
    assert body["row_cap"] == export_rows.ROW_CAP == 10_000
    [profile] = sections["profile"]["items"]
    me = api.get("/api/v1/me", "resident-1").get_json()
    assert profile["id"] == me["id"] and profile["real_name"] == me["real_name"]
    assert sections["memberships"]["items"][0]["community"] == me["membership"]["community"]["name"]
    assert [r["role"] for r in sections["roles"]["items"]] == ["party_member"]
    assert sections["accounts"]["items"][0]["balance"] == 110
    assert sections["accounts"]["items"][0]["held"] == 30
    assert sorted(e["amount"] for e in sections["ledger"]["items"]) == [10, 100]
    [claim] = sections["claims"]["items"]
    assert claim["id"] == mine["claim"] and claim["photo_ids"] == [mine["photo"]]
    # the reviewer is named masked, never by id or in full
    assert claim["reviewer"] == "李*英" and "decided_by" not in claim
    [redemption] = sections["redemptions"]["items"]
    assert redemption["id"] == mine["redemption"]["id"] and redemption["status"] == "reserved"
    assert [p["id"] for p in sections["photos"]["items"]] == [mine["photo"]]
    assert not any(s["capped"] for s in body["sections"])
    for section in body["sections"]:
        for item in section["items"]:
            assert set(item) <= set(section["columns"])


def test_another_residents_data_is_absent(api, app, query):
    busy_resident(api, app, query, identity="resident-2")
    theirs = api.get(EXPORT, "resident-2").get_json()
    other_name = _sections(theirs)["profile"]["items"][0]["real_name"]
    sections = _sections(api.get(EXPORT, "resident-1").get_json())
    for name in ("ledger", "claims", "redemptions", "photos"):
        assert sections[name]["items"] == [], name
    assert other_name not in str(sections)


def test_xlsx_has_one_sheet_per_section_and_text_stays_text(api, app, query):
    busy_resident(api, app, query)
    api.patch("/api/v1/me", "resident-1", json={"nickname": "=1+1"})
    resp = api.get(f"{EXPORT}.xlsx", "resident-1")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert resp.headers["Cache-Control"] == "no-store"
    book = load_workbook(io.BytesIO(resp.data))
    titles = [s["title"] for s in _sections(api.get(EXPORT, "resident-1").get_json()).values()]
    assert book.sheetnames == ["说明", *titles]
    profile = book["个人资料"]
    headers = [c.value for c in profile[1]]
    assert profile.cell(2, headers.index("nickname") + 1).value == "=1+1"
    assert profile.cell(2, headers.index("nickname") + 1).data_type == "s"
    ledger = book["积分明细"]
    assert ledger.max_row == 3  # header and two entries


def test_a_capped_section_says_so(api, app, query, monkeypatch):
    busy_resident(api, app, query)
    monkeypatch.setattr(export_rows, "ROW_CAP", 1)
    ledger = _sections(api.get(EXPORT, "resident-1").get_json())["ledger"]
    assert ledger["capped"] is True and len(ledger["items"]) == 1
    book = load_workbook(io.BytesIO(api.get(f"{EXPORT}.xlsx", "resident-1").data))
    last = [c.value for c in book["积分明细"][book["积分明细"].max_row]]
    assert "仅导出最新 1 条" in last[0]


def test_export_needs_a_token_and_is_rate_limited(api):
    assert api.get(EXPORT).status_code == 401
    assert api.get(f"{EXPORT}.xlsx").status_code == 401
    codes = [api.get(EXPORT, "resident-3").status_code for _ in range(5)]
    assert codes == [200] * 5
    resp = api.get(f"{EXPORT}.xlsx", "resident-3")
    assert resp.status_code == 429 and error_code(resp) == "rate_limited"
    assert api.get(EXPORT, "resident-4").status_code == 200  # counted per person


def test_a_card_holders_export_has_their_cards(app, query):
    from server.auth.models import User
    from server.cards.holders import register_card_holder
    from server.cards.models import PointCard
    from server.db.session import db
    from tests.rewards.test_rewards_support import user_id

    worker = user_id(query, "grid-1")
    with app.app_context():
        holder = register_card_holder(
            db.session.get(User, worker),
            real_name="郭桂兰",
            building="3栋",
            unit="2单元",
            pin="2580",
        )
        uid = holder.user_id
        db.session.commit()
        number = db.session.scalar(select(PointCard.number).where(PointCard.holder_id == uid))
        data = export.collect(db.session.get(User, uid))
    sections = _sections(data)
    [card] = sections["cards"]["items"]
    assert card["number_last4"] == number[-4:] and card["status"] == "active"
    assert number not in str(data)
    profile = sections["profile"]["items"][0]
    assert (profile["card_building"], profile["card_unit"]) == ("3栋", "2单元")
    assert profile["wechat_bound"] is False
