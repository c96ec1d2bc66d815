"""The page framework other console pages build on: the sidebar registry shows only pages
that exist and that the user's roles open, and xlsx_response writes a real workbook."""

import io

from flask import g
from openpyxl import load_workbook

from server.admin import console_nav
from server.admin.console import xlsx_response
from tests.console.console_helpers import log_in


def test_the_sidebar_shows_only_existing_pages_for_the_users_roles(app, monkeypatch):
    # A registry of its own: the real one grows with every page.
    monkeypatch.setattr(console_nav, "NAV", [])
    console_nav.nav_link("工作台", "工作台", "console.home")
    console_nav.nav_link("日志", "登录日志", "console.login_log", roles=("admin",))
    console_nav.nav_link("任务", "任务管理", "console.not_built_yet")
    with app.test_request_context():
        admin = console_nav.sidebar(("admin",))
        reviewer = console_nav.sidebar(("reviewer",))
    assert [section for section, _ in admin] == ["工作台", "日志"]
    assert [link["label"] for _, links in admin for link in links] == ["工作台", "登录日志"]
    assert [section for section, _ in reviewer] == ["工作台"]


def test_an_unknown_section_is_refused_at_registration():
    try:
        console_nav.nav_link("报表", "月报", "console.home")
    except ValueError as exc:
        assert "报表" in str(exc)
    else:
        raise AssertionError("an unknown section was accepted")


def test_xlsx_response_is_a_workbook_with_headers_and_rows(app):
    with app.test_request_context():
        g.console = None
        response = xlsx_response([(1, "张*明", 20)], ["序号", "姓名", "积分"], "积分明细.xlsx")
    assert response.headers["Content-Type"].endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''%E7%A7%AF%E5%88%86" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ["序号", "姓名", "积分"],
        [1, "张*明", 20],
    ]


def test_static_files_are_served_by_the_app(app, seeded, api):
    browser = app.test_client()
    htmx = browser.get("/console/static/htmx.min.js")
    assert htmx.status_code == 200 and b"htmx" in htmx.data[:2000]
    assert browser.get("/console/static/console.css").status_code == 200
    log_in(browser, api, "grid-1")
    page = browser.get("/console/").get_data(as_text=True)
    assert 'data-role="grid_worker"' in page and 'src="/console/static/htmx.min.js"' in page


def test_login_pages_are_rate_limited_per_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "CONSOLE_LOGIN_RATE_LIMIT", "2 per minute")
    browser = app.test_client()
    assert [browser.get("/console/login").status_code for _ in range(3)] == [200, 200, 429]
