"""Item 8: credit references a bank checks by serial and check code; the holder sees every
check and revokes at once (service and HTTP)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.community.models import Merchant, Organisation
from server.db.audit import AuditLog
from server.db.session import db
from server.outbox.models import OutboxEvent
from server.platform.serials import ALPHABET
from server.verification import credit_references as credit
from server.verification.credit_figures import rank_band
from server.verification.credit_models import CreditCheck, CreditReference
from tests.conftest import error_code
from tests.rewards.test_rewards_support import give_points
from tests.tasks.test_tasks_support import community_id, user_id

API = "/api/v1/me/credit-references"
SERIAL = re.compile(rf"^CR\d{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")
GENUINE = "真实有效"
NOT_FOUND = "未找到该证明，可能不是真实的"


@pytest.fixture
def later(monkeypatch):
    """Move the references' clock forward by `days`."""

    def move(days: int):
        moved = credit.utcnow() + timedelta(days=days)
        monkeypatch.setattr(credit, "now", lambda: moved)

    return move


def issue(api, who="resident-1", **body):
    resp = api.post(API, who, json={"valid_days": 30, **body})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def check(api, serial, code, address="203.0.113.77"):
    return api.client.post(
        "/v", data={"serial": serial, "code": code}, environ_base={"REMOTE_ADDR": address}
    )


def listed(api, who="resident-1", query_string=""):
    resp = api.get(f"{API}{query_string}", who)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def named(app, identity, real_name, phone="13812345678"):
    with app.app_context():
        user = db.session.get(User, user_id_in(app, identity))
        user.real_name, user.phone = real_name, phone
        db.session.commit()


def user_id_in(app, identity):
    from tests.tasks.test_tasks_support import load_user

    with app.app_context():
        return load_user(identity).id


def test_issue_check_and_see_every_check(api, seeded, app, query):
    named(app, "resident-1", "王小华")
    give_points(app, "resident-1", 120)
    issued = issue(api)
    assert SERIAL.match(issued["serial"]) and re.fullmatch(
        f"[{ALPHABET}]{{8}}", issued["check_code"]
    )
    assert issued["check_url"] == "http://localhost/v"
    assert (issued["points_year"], issued["points_total"], issued["rank_band"]) == (
        120,
        120,
        "前10%",
    )
    assert issued["status"] == "active" and issued["checks"] == [] and issued["check_count"] == 0
    assert issued["holder_type"] == "user" and issued["holder_name"] == "王*华"
    stored = query(lambda s: s.scalar(select(CreditReference)))
    assert issued["check_code"] not in stored.code_digest  # only a keyed digest is kept

    ok = check(api, issued["serial"].lower(), issued["check_code"])
    assert ok.status_code == 200
    page = ok.get_data(as_text=True)
    for shown in (GENUINE, issued["serial"], "王*华", "幸福社区", "120 分", "前10%"):
        assert shown in page
    assert "王小华" not in page and "13812345678" not in page

    wrong = check(api, issued["serial"], "22222222", address="198.51.100.9")
    unknown = check(api, "CR2026-2222-2222-2222", issued["check_code"])
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data()  # the checker cannot tell why
    assert NOT_FOUND in wrong.get_data(as_text=True)

    (mine,) = listed(api)
    assert "check_code" not in mine and mine["check_count"] == 2
    assert [(c["outcome"], c["client"]) for c in mine["checks"]] == [
        ("wrong_code", "198.51.100.*"),
        ("ok", "203.0.113.*"),
    ]
    assert query(lambda s: len(s.scalars(select(CreditCheck)).all())) == 2  # unknown: no row
    issue_audit = query(
        lambda s: s.scalar(
            select(AuditLog.target_id).where(AuditLog.action == "credit_reference.issue")
        )
    )
    assert issue_audit == str(issued["id"])
    events = query(
        lambda s: list(s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)))
    )
    assert events.count("credit_reference.checked") == 2 and "credit_reference.issued" in events


def test_revoking_refuses_the_next_check_at_once(api, seeded, query):
    issued = issue(api)
    assert check(api, issued["serial"], issued["check_code"]).status_code == 200
    resp = api.post(f"{API}/{issued['id']}/revoke", "resident-1")
    assert resp.status_code == 200 and resp.get_json()["status"] == "revoked"
    refused = check(api, issued["serial"], issued["check_code"])
    assert refused.status_code == 404 and GENUINE not in refused.get_data(as_text=True)
    again = api.post(f"{API}/{issued['id']}/revoke", "resident-1")
    assert (
        again.status_code == 200 and again.get_json()["revoked_at"] == resp.get_json()["revoked_at"]
    )
    (mine,) = listed(api)
    assert [c["outcome"] for c in mine["checks"]] == ["revoked", "ok"]
    revokes = query(
        lambda s: s.scalars(
            select(AuditLog.id).where(AuditLog.action == "credit_reference.revoke")
        ).all()
    )
    assert len(revokes) == 1


def test_an_expired_reference_is_refused(api, seeded, later):
    issued = issue(api, valid_days=1)
    later(2)
    resp = check(api, issued["serial"], issued["check_code"])
    assert resp.status_code == 404 and NOT_FOUND in resp.get_data(as_text=True)
    (mine,) = listed(api)
    assert mine["status"] == "expired" and mine["checks"][0]["outcome"] == "expired"


def test_others_cannot_list_or_revoke_a_reference(api, seeded):
    issued = issue(api)
    assert listed(api, "resident-2") == []
    resp = api.post(f"{API}/{issued['id']}/revoke", "resident-2")
    assert resp.status_code == 404 and error_code(resp) == "credit_reference_not_found"
    assert api.post(f"{API}/999999/revoke", "resident-1").status_code == 404
    assert check(api, issued["serial"], issued["check_code"]).status_code == 200  # still valid


def test_organisation_and_shop_staff_issue_for_their_account(api, seeded, query):
    school = query(
        lambda s: s.scalar(select(Organisation.id).where(Organisation.name == "幸福路小学"))
    )
    shop = query(lambda s: s.scalar(select(Merchant.id).where(Merchant.name == "幸福社区积分超市")))
    # resident-19 is staff of 幸福路小学 and merchant-1 of the supermarket in the demo data.
    org_ref = issue(api, "resident-19", organisation_id=school)
    assert (org_ref["holder_type"], org_ref["holder_id"]) == ("organisation", school)
    assert org_ref["holder_name"] == "幸福路小学" and org_ref["volunteer_hours"] is None
    assert [r["id"] for r in listed(api, "resident-19", f"?organisation_id={school}")] == [
        org_ref["id"]
    ]
    assert listed(api, "resident-19") == []  # their own account has none
    shop_ref = issue(api, "merchant-1", merchant_id=shop)
    assert shop_ref["holder_type"] == "merchant" and shop_ref["holder_id"] == shop
    page = check(api, shop_ref["serial"], shop_ref["check_code"]).get_data(as_text=True)
    assert "幸福社区积分超市" in page and "信用店铺" in page

    for who, body in (
        ("resident-1", {"organisation_id": school}),  # not their organisation
        ("admin", {"organisation_id": school}),  # reads its account, may not speak for it
        ("resident-19", {"merchant_id": shop}),
    ):
        resp = api.post(API, who, json={"valid_days": 30, **body})
        assert resp.status_code == 403, (who, resp.get_json())
    assert api.get(f"{API}?organisation_id={school}", "resident-1").status_code == 403
    assert api.post(f"{API}/{org_ref['id']}/revoke", "resident-1").status_code == 404
    assert api.post(f"{API}/{org_ref['id']}/revoke", "resident-19").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"valid_days": 0},
        {"valid_days": 91},
        {"valid_days": "30"},
        {"valid_days": 30, "organisation_id": 1, "merchant_id": 1},
        {"valid_days": 30, "extra": 1},
    ],
)
def test_bad_requests_are_refused(api, seeded, body):
    resp = api.post(API, "resident-1", json=body)
    assert resp.status_code == 422, resp.get_json()


def test_login_is_required_and_the_code_is_rate_limited_per_serial(api, seeded, app, monkeypatch):
    assert api.post(API, json={"valid_days": 30}).status_code == 401
    assert api.get(API).status_code == 401
    issued = issue(api)
    monkeypatch.setitem(app.config, "VERIFY_SERIAL_RATE_LIMIT", "2 per hour")
    assert check(api, issued["serial"], "22222222", "10.0.0.1").status_code == 404
    assert check(api, issued["serial"], "33333333", "10.0.1.1").status_code == 404
    # A third address cannot go on guessing this serial's code.
    assert check(api, issued["serial"], issued["check_code"], "10.0.2.1").status_code == 429


def test_the_record_page_for_a_credit_serial_asks_for_the_code(api, seeded):
    issued = issue(api)
    resp = api.client.get(f"/v/{issued['serial']}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "核验码" in page and GENUINE not in page and issued["serial"] in page


def test_rank_bands_follow_the_years_ranking(app, seeded, query):
    people = [f"resident-{n}" for n in range(1, 11)]
    for points, who in zip(range(100, 0, -10), people, strict=True):
        give_points(app, who, points)
    cid = community_id(query)
    ids = [user_id(query, who) for who in people[:4]]
    from server.points.ledger import find_account

    with app.app_context():
        year = credit.local_year(credit.now())
        bands = [rank_band(cid, "person", year, find_account(cid, "user", i).id) for i in ids]
        assert bands == ["前10%", "前30%", "前30%", "其他"]
        assert rank_band(cid, "person", year, None) == "其他"
        db.session.remove()


def test_check_credit_reference_service_logs_only_existing_serials(api, seeded, app):
    issued = issue(api)
    with app.app_context():
        assert credit.check_credit_reference("CR2026-2222-2222-2222", "X", "1.2.3.4") is None
        assert credit.check_credit_reference(None, None, None) is None
        view = credit.check_credit_reference(issued["serial"], issued["check_code"], "::1")
        assert view["serial"] == issued["serial"] and view["holder_kind"] == "个人"
        assert db.session.scalar(select(CreditCheck.client)) == "::/48"
        assert credit.client_label("not an address") == "未知"
        db.session.remove()
