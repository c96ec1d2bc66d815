"""Console sessions: idle and absolute expiry, logout behind CSRF, one-time login links (and
their CLI), secure cookies, and the login log that only the community's admins read."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.admin.console_models import ConsoleLoginLink
from server.admin.console_sessions import LoginLinkGone, create_login_link, use_login_link
from server.auth.models import User
from server.db.session import db
from tests.claims_helpers import make_other_community
from tests.console.console_helpers import (
    LOGINS,
    age_sessions,
    cookie,
    csrf_of,
    log_in,
    outcomes,
    revoked,
    start,
)
from tests.console.test_console_login import CLIENT
from tests.ledger_helpers import user_id_of


@pytest.fixture
def browser(app, seeded):
    return app.test_client()


def test_an_idle_session_ends_after_30_minutes(browser, api, query):
    log_in(browser, api, "admin")
    age_sessions(query, last_seen_at=timedelta(minutes=29))
    assert browser.get("/console/").status_code == 200  # touched: the idle clock restarts
    age_sessions(query, last_seen_at=timedelta(minutes=31))
    gone = browser.get("/console/")
    assert gone.status_code == 302 and gone.headers["Location"] == "/console/login"


def test_a_session_ends_12_hours_after_login_however_busy(browser, api, query):
    log_in(browser, api, "admin")
    age_sessions(query, created_at=timedelta(hours=11, minutes=59))
    assert browser.get("/console/").status_code == 200
    age_sessions(query, created_at=timedelta(minutes=2))
    assert browser.get("/console/").status_code == 302
    # htmx requests are sent to the login page by a header, not an HTML redirect.
    hx = browser.get("/console/", headers={"HX-Request": "true"})
    assert hx.status_code == 204 and hx.headers["HX-Redirect"] == "/console/login"


def test_logout_without_the_csrf_token_is_refused_and_changes_nothing(browser, api, query):
    log_in(browser, api, "admin")
    refused = browser.post("/console/logout", data={})
    assert refused.status_code == 400 and 'data-code="csrf_failed"' in refused.get_data(True)
    wrong = browser.post("/console/logout", headers={"X-CSRF-Token": "forged"})
    assert wrong.status_code == 400
    assert revoked(query) == [False] and browser.get("/console/").status_code == 200
    token = csrf_of(browser.get("/console/").get_data(as_text=True))
    done = browser.post("/console/logout", data={"csrf_token": token})
    assert done.status_code == 302 and revoked(query) == [True]
    assert browser.get("/console/").status_code == 302


def test_a_login_link_works_once(app, seeded, browser, query):
    with app.app_context():
        token = create_login_link(db.session.get(User, user_id_of("admin")))
        db.session.remove()
    first = browser.get(f"/console/login/link/{token}")
    assert first.status_code == 302 and cookie(browser, "rp_console") is not None
    assert browser.get("/console/").status_code == 200
    other = app.test_client()
    again = other.get(f"/console/login/link/{token}")
    assert again.status_code == 404 and "登录链接无效" in again.get_data(as_text=True)
    assert [o for _, o in outcomes(query)] == ["link"]
    with app.test_request_context():
        with pytest.raises(LoginLinkGone):
            use_login_link(token, CLIENT)
        db.session.remove()


def test_the_cli_prints_a_link_for_staff_and_refuses_a_resident(app, seeded, browser):
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["console", "login-link", "admin"])
    assert printed.exit_code == 0, printed.output
    url = re.search(r"http://\S+/console/login/link/(\S+)", printed.output)
    assert browser.get(f"/console/login/link/{url.group(1)}").status_code == 302
    refused = runner.invoke(args=["console", "login-link", "resident-1"])
    assert refused.exit_code == 1 and "console_no_role" in refused.output
    assert runner.invoke(args=["console", "login-link", "nobody-here"]).exit_code == 1


def test_a_link_expires_after_ten_minutes(app, seeded, browser, query):
    with app.app_context():
        token = create_login_link(db.session.get(User, user_id_of("admin")))
        for link in db.session.scalars(select(ConsoleLoginLink)):
            link.expires_at -= timedelta(minutes=10)
        db.session.commit()
        db.session.remove()
    assert browser.get(f"/console/login/link/{token}").status_code == 404


def test_cookies_are_secure_when_configured(app, seeded, api, monkeypatch):
    monkeypatch.setitem(app.config, "CONSOLE_COOKIE_SECURE", True)
    browser = app.test_client()
    scene = start(browser)
    api.post(f"{LOGINS}/{scene}/confirm", "admin")
    signed_in = browser.get("/console/login/status")
    header = next(h for h in signed_in.headers.getlist("Set-Cookie") if "rp_console=" in h)
    assert "Secure" in header and "HttpOnly" in header and "Path=/console" in header


def test_the_login_log_is_for_this_communitys_admins_only(app, seeded, browser, api, query):
    make_other_community(app, identities=("other-admin",), admin="other-admin")
    refused = app.test_client()
    scene = start(refused)
    api.post(f"{LOGINS}/{scene}/confirm", "resident-1")
    log_in(browser, api, "admin")
    page = browser.get("/console/login-log").get_data(as_text=True)
    assert "<td>无权限被拒绝</td>" in page and "<td>扫码登录成功</td>" in page
    only_ok = browser.get("/console/login-log?outcome=ok").get_data(as_text=True)
    assert "<td>扫码登录成功</td>" in only_ok and "<td>无权限被拒绝</td>" not in only_ok
    first = browser.get("/console/login-log?limit=1").get_data(as_text=True)
    assert "下一页" in first
    assert browser.get("/console/login-log?from=2026-13-01").status_code == 400
    assert browser.get("/console/login-log?outcome=bogus").status_code == 400
    assert browser.get("/console/login-log?limit=1000").status_code == 400

    outsider = app.test_client()
    log_in(outsider, api, "other-admin")
    theirs = outsider.get("/console/login-log").get_data(as_text=True)
    assert "<td>无权限被拒绝</td>" not in theirs and theirs.count("<td>扫码登录成功</td>") == 1
    reviewer = app.test_client()
    log_in(reviewer, api, "reviewer")
    assert reviewer.get("/console/login-log").status_code == 403
