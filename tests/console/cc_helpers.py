"""Shared helpers for the set-up, group-robot, log and job console tests (no tests here)."""

import io

from openpyxl import load_workbook

from tests.console.console_helpers import csrf_of, log_in
from tests.factories import add_other_community


def console_as(app, api, identity: str):
    """A browser (test client) logged into the console as `identity`, with its CSRF token."""
    browser = app.test_client()
    log_in(browser, api, identity)
    browser.csrf = csrf_of(browser.get("/console/").get_data(as_text=True))
    return browser


def post(browser, path: str, data: dict | None = None, csrf: bool = True):
    body = dict(data or {})
    if csrf:
        body["csrf_token"] = browser.csrf
    return browser.post(path, data=body)


def sheet_rows(resp) -> list[list]:
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(resp.get_data())).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def other_grid_id(app) -> int:
    from server.db.session import db

    with app.app_context():
        _other, grid = add_other_community(with_grid=True)
        db.session.commit()
        grid_id = grid.id
        db.session.remove()
    return grid_id
