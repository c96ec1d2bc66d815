"""The console in headless Chromium (Debian's, through Playwright; no browser download), served
over real HTTP on loopback: scan-to-login confirmed through the API as the mini-program does,
a resident refused, the one-time link, a CSRF-less POST refused, and the docs' screenshots."""

import os
from pathlib import Path

import pytest
import requests
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.console.console_helpers import LOGINS, outcomes, revoked
from tests.ledger_helpers import user_id_of

CHROMIUM = "/usr/bin/chromium"
# CONSOLE_SCREENSHOTS=docs/console keeps the screenshots for the docs and the README.
SHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


@pytest.fixture
def live_url(app):
    import threading

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="module")
def chromium():
    assert Path(CHROMIUM).exists(), "install Debian's chromium (scripts/test does)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    yield context.new_page()
    context.close()


def mini_program(live_url, api, identity: str, scene: str, action: str = "confirm"):
    """What the mini-program sends after the scan: the staff member's bearer token."""
    headers = {"Authorization": f"Bearer {api.login(identity)['token']}"}
    return requests.post(f"{live_url}{LOGINS}/{scene}/{action}", headers=headers, timeout=10)


def scan_in(page, live_url, api, identity: str) -> None:
    """The logged-in browser helper: start in the page, confirm by API, wait for 工作台."""
    page.goto(f"{live_url}/console/login")
    scene = page.get_attribute("[data-scene]", "data-scene")
    assert mini_program(live_url, api, identity, scene).status_code == 200
    page.wait_for_url(f"{live_url}/console/", timeout=10_000)


def keep(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name))


def test_scan_to_login_in_chromium(seeded, live_url, api, page, query):
    page.goto(f"{live_url}/console/login")
    assert page.locator("img.wxacode").evaluate("img => img.naturalWidth") > 0
    assert "请用微信" in page.inner_text(".login-box")
    keep(page, "login.png")
    scene = page.get_attribute("[data-scene]", "data-scene")
    assert mini_program(live_url, api, "admin", scene).status_code == 200
    page.wait_for_url(f"{live_url}/console/", timeout=10_000)  # the 2 s poll saw it
    assert page.inner_text("h1") == "工作台"
    assert page.locator('[data-role="admin"]').inner_text() == "社区管理员"
    assert "登录日志" in page.inner_text(".sidebar")
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it
    keep(page, "home.png")
    page.click("text=登录日志")
    page.wait_for_url(f"{live_url}/console/login-log")
    assert "扫码登录成功" in page.inner_text("table.grid")
    keep(page, "login-log.png")
    assert outcomes(query) == [(query(lambda s: user_id_of("admin")), "ok")]


def test_a_resident_is_refused_and_the_page_keeps_waiting(seeded, live_url, api, page, query):
    page.goto(f"{live_url}/console/login")
    scene = page.get_attribute("[data-scene]", "data-scene")
    refused = mini_program(live_url, api, "resident-1", scene)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "console_no_role"
    page.wait_for_timeout(2500)  # one poll later
    assert page.url == f"{live_url}/console/login" and page.locator("#login-status").count() == 1
    assert [o for _, o in outcomes(query)] == ["refused_no_role"]
    cancelled = mini_program(live_url, api, "admin", scene, "cancel")
    assert cancelled.status_code == 200
    page.wait_for_selector('[data-status="cancelled"]', timeout=10_000)
    assert "已在手机上取消登录" in page.inner_text("#login-status")


def test_a_csrf_less_post_is_refused_and_changes_nothing(seeded, live_url, api, page, query):
    scan_in(page, live_url, api, "reviewer")
    status = page.evaluate("fetch('/console/logout', {method: 'POST'}).then(r => r.status)")
    assert status == 400 and revoked(query) == [False]
    page.reload()
    assert page.inner_text("h1") == "工作台"
    page.click("text=退出")  # the form carries the token
    page.wait_for_url(f"{live_url}/console/login")
    assert revoked(query) == [True]


def test_the_one_time_link_in_chromium(app, seeded, live_url, page):
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["console", "login-link", "admin"])
    path = printed.output.split("/console/login/link/", 1)[1].split()[0]
    page.goto(f"{live_url}/console/login/link/{path}")
    assert page.url == f"{live_url}/console/" and page.inner_text("h1") == "工作台"
    page.context.clear_cookies()
    page.goto(f"{live_url}/console/login/link/{path}")
    assert "登录链接无效或已过期" in page.inner_text("body")
