"""积分审核 and 工作台 in headless Chromium: a reviewer bulk-approves 20 claims, sees each
result, the claimants' balances (read through the API) rise and the approved ones export to an xlsx
read back with openpyxl; the dashboard's chart draws."""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests import claims_helpers
from tests.claims_helpers import item_id, today, upload
from tests.console.test_console_browser import (  # noqa: F401 - fixtures
    chromium,
    keep,
    live_url,  # noqa: F811
    page,
    scan_in,
)

upload_dir = claims_helpers.upload_dir
pytestmark = pytest.mark.usefixtures("upload_dir")
RESIDENTS = [f"resident-{n}" for n in range(1, 21)]


def balance(api, identity) -> int:
    return api.get("/api/v1/points/balance", identity).get_json()["balance"]


def test_reviewer_bulk_approves_twenty_claims(seeded, live_url, api, page, query):  # noqa: F811
    c01 = item_id(query, "C01")
    ids = []
    for n, identity in enumerate(RESIDENTS):
        photos = [upload(api, identity).get_json()["id"] for _ in range(2 if n < 3 else 0)]
        body = {"item_id": c01, "occurred_on": today().isoformat(), "photo_ids": photos,
                "description": f"在小区垃圾分类点督导两小时（第{n + 1}组）"}  # fmt: skip
        resp = api.post("/api/v1/points/claims", identity, json=body)
        assert resp.status_code == 201, resp.get_json()
        ids.append(resp.get_json()["id"])
    before = {identity: balance(api, identity) for identity in RESIDENTS}

    scan_in(page, live_url, api, "reviewer")
    page.click("text=申报审核")
    page.wait_for_url(f"{live_url}/console/claims")
    assert page.locator("tr[data-claim]").count() == 20
    assert page.locator(".photos img").first.evaluate("img => img.naturalWidth") > 0
    keep(page, "claims.png")

    page.check("[data-select-all]")
    assert page.locator('#bulk input[name="ids"]:checked').count() == 20
    page.click("button[value=approve]")
    page.wait_for_selector("[data-result]")
    assert "已通过 20 条，未处理 0 条" in page.inner_text("#result")
    for claim_id in ids:
        result = page.locator(f'[data-result="{claim_id}"]')
        assert result.get_attribute("data-ok") == "true" and "已通过" in result.inner_text()
    assert page.locator('#bulk input[name="ids"]').count() == 0  # the queue is empty now
    assert {i: balance(api, i) for i in RESIDENTS} == {i: before[i] + 10 for i in RESIDENTS}

    # 导出 of the approved ones, as the office sends it to the street: read back with openpyxl.
    page.goto(f"{live_url}/console/claims?status=approved")
    with page.expect_download() as download:
        page.click("a.export")
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(BytesIO(Path(download.value.path()).read_bytes()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "申报人")
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(ids)
    assert {row[7] for row in rows[1:]} == {"已通过"}

    page.click(".sidebar a >> text=工作台")
    page.wait_for_url(f"{live_url}/console/")
    page.wait_for_selector("#points-chart[data-drawn]")
    assert int(page.inner_text('[data-figure="pending"]')) == 0
    assert int(page.inner_text('[data-figure="participants"]')) >= 20
    assert "垃圾分类志愿督导" in page.inner_text("#top-items")
    keep(page, "dashboard.png")


def test_a_big_export_runs_in_the_background_and_downloads_when_ready(
    app,
    seeded,
    live_url,  # noqa: F811
    api,
    page,  # noqa: F811
    query,
    monkeypatch,
):
    c01 = item_id(query, "C01")
    for identity in RESIDENTS[:8]:
        body = {"item_id": c01, "occurred_on": today().isoformat(), "description": "楼道清理"}
        assert api.post("/api/v1/points/claims", identity, json=body).status_code == 201
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_DIRECT_MAX", 5)  # 8 rows: too many

    scan_in(page, live_url, api, "reviewer")
    page.goto(f"{live_url}/console/claims")
    page.click("a.export")
    page.wait_for_selector("text=超过 5 行")
    page.click("#start-export")
    page.wait_for_url(f"{live_url}/console/exports")
    page.wait_for_selector("a.download", timeout=20_000)  # htmx polls until the file is ready
    assert "已完成" in page.inner_text("#exports") and "积分申报" in page.inner_text("#exports")
    keep(page, "exports.png")
    with page.expect_download() as download:
        page.click("a.download")
    assert download.value.suggested_filename == "积分申报.xlsx"
    sheet = load_workbook(BytesIO(Path(download.value.path()).read_bytes()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 9 and {row[7] for row in rows[1:]} == {"待审核"}
