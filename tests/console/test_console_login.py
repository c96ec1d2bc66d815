"""Login by scanning, through HTTP as the browser and the mini-program make it, and at the
services: confirm, refuse without a staff role, cancel, expire, one poll only."""

import pytest
from flask import g

from server.admin import console_login
from server.admin.console_sessions import Client, NoStaffRole, staff_identity
from server.auth.models import User
from server.db.session import db
from tests.conftest import error_code
from tests.console.console_helpers import (
    LOGINS,
    age_login,
    cookie,
    log_in,
    outcomes,
    poll,
    start,
)
from tests.ledger_helpers import demo_community_id, user_id_of

CLIENT = Client("127.0.0.1", "pytest")


@pytest.fixture
def browser(app, seeded):
    return app.test_client()


def test_scan_login_confirmed_through_the_api_signs_the_browser_in_once(browser, api, query):
    scene = start(browser)
    assert len(scene) <= 32 and cookie(browser, "rp_console_login") is not None
    assert 'hx-trigger="every 2s"' in poll(browser).get_data(as_text=True)

    seen = api.get(f"{LOGINS}/{scene}", "reviewer").get_json()
    assert seen["status"] == "pending" and seen["browser"] == "Chrome（Windows）"
    assert set(seen) == {"scene", "status", "browser", "ip", "requested_at", "expires_at"}
    confirmed = api.post(f"{LOGINS}/{scene}/confirm", "reviewer")
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"

    login_cookie = cookie(browser, "rp_console_login").value
    first = poll(browser)
    assert first.status_code == 204 and first.headers["HX-Redirect"] == "/console/"
    set_cookie = next(h for h in first.headers.getlist("Set-Cookie") if "rp_console=" in h)
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie  # tests run on http; production turns it on
    home = browser.get("/console/")
    text = home.get_data(as_text=True)
    assert home.status_code == 200 and "工作台" in text and 'data-role="reviewer"' in text
    assert home.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in home.headers["Content-Security-Policy"]

    # The confirmation is spent: another browser holding the same login cookie gets nothing.
    assert cookie(browser, "rp_console_login") is None
    browser.set_cookie("rp_console_login", login_cookie, path="/console")
    again = poll(browser)
    assert again.status_code == 200 and 'data-status="used"' in again.get_data(as_text=True)
    assert outcomes(query) == [(query(lambda s: user_id_of("reviewer")), "ok")]


def test_a_resident_without_a_staff_role_is_refused_and_logged(browser, api, query):
    scene = start(browser)
    refused = api.post(f"{LOGINS}/{scene}/confirm", "resident-1")
    assert refused.status_code == 403 and error_code(refused) == "console_no_role"
    assert "办公台权限" in refused.get_json()["error"]["message"]
    assert outcomes(query) == [(query(lambda s: user_id_of("resident-1")), "refused_no_role")]
    assert 'hx-trigger="every 2s"' in poll(browser).get_data(as_text=True)
    assert cookie(browser, "rp_console") is None
    assert browser.get("/console/").status_code == 302
    # The login is still open for a staff member to confirm.
    assert api.get(f"{LOGINS}/{scene}", "resident-1").get_json()["status"] == "pending"


def test_cancelled_in_the_mini_program_the_browser_stops_polling(browser, api, query):
    scene = start(browser)
    cancelled = api.post(f"{LOGINS}/{scene}/cancel", "admin")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    page = poll(browser).get_data(as_text=True)
    assert 'data-status="cancelled"' in page and "hx-trigger" not in page
    late = api.post(f"{LOGINS}/{scene}/confirm", "admin")
    assert late.status_code == 409 and error_code(late) == "console_login_done"
    assert [o for _, o in outcomes(query)] == ["cancelled"]


def test_an_expired_code_cannot_be_confirmed(browser, api, query):
    scene = start(browser)
    age_login(query, scene, 121)
    assert api.get(f"{LOGINS}/{scene}", "admin").get_json()["status"] == "expired"
    late = api.post(f"{LOGINS}/{scene}/confirm", "admin")
    assert late.status_code == 409 and error_code(late) == "console_login_expired"
    assert 'data-status="expired"' in poll(browser).get_data(as_text=True)
    assert [o for _, o in outcomes(query)] == ["expired"]
    assert cookie(browser, "rp_console") is None


def test_unknown_or_malformed_scenes_are_404(api):
    assert error_code(api.get(f"{LOGINS}/cNOPE", "admin")) == "console_login_not_found"
    assert api.post(f"{LOGINS}/{'c' * 40}/confirm", "admin").status_code == 404
    assert api.post(f"{LOGINS}/cNOPE/confirm").status_code == 401


def test_a_second_confirm_is_refused(browser, api):
    scene = start(browser)
    assert api.post(f"{LOGINS}/{scene}/confirm", "admin").status_code == 200
    again = api.post(f"{LOGINS}/{scene}/confirm", "reviewer")
    assert again.status_code == 409 and error_code(again) == "console_login_done"


def test_staff_identity_names_roles_and_staffed_merchants(app, seeded):
    with app.app_context():
        merchant = staff_identity(db.session.get(User, user_id_of("merchant-1")))
        assert merchant.roles == ("merchant_staff",) and len(merchant.merchant_ids) == 1
        assert merchant.community_id == demo_community_id()
        assert staff_identity(db.session.get(User, user_id_of("resident-1"))).roles == ()
        db.session.remove()


def test_confirm_login_service_refuses_a_resident(app, seeded, browser):
    scene = start(browser)
    with app.test_request_context():
        resident = db.session.get(User, user_id_of("resident-1"))
        with pytest.raises(NoStaffRole):
            console_login.confirm_login(scene, resident, CLIENT)
        admin = db.session.get(User, user_id_of("admin"))
        assert console_login.confirm_login(scene, admin, CLIENT)["status"] == "confirmed"
        assert g.get("console") is None
        db.session.remove()


def test_merchant_staff_log_in_and_see_only_their_role(browser, api):
    log_in(browser, api, "merchant-1")
    page = browser.get("/console/").get_data(as_text=True)
    assert 'data-role="merchant_staff"' in page and 'data-role="admin"' not in page
    assert "登录日志" not in page  # admins' page: not in their sidebar
    assert browser.get("/console/login-log").status_code == 403
