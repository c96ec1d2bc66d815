"""The 任务, 问题与心愿 and 公示 pages in headless Chromium at 1366x768: an admin publishes a
notice from the console, sees it listed and corrects it; the task and report pages render
with their actions. Writes the docs' screenshots when CONSOLE_SCREENSHOTS is set."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.notices.models import Notice
from server.notices.poster import WIDTH
from tests.console.test_console_browser import chromium, keep, live_url, page, scan_in  # noqa: F401
from tests.grid import reports_helpers
from tests.grid.reports_helpers import new_report
from tests.notices.notice_helpers import post_history
from tests.tasks.test_tasks_support import T0, Clock, create_task

clock = reports_helpers.clock
reports_world = reports_helpers.reports_world


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def test_publish_and_correct_a_notice_in_chromium(app, seeded, live_url, api, page, query):  # noqa: F811
    post_history(app)
    scan_in(page, live_url, api, "admin")
    page.click("text=积分公示")
    page.wait_for_url(f"{live_url}/console/notices")
    page.fill("#publish-form input[name=period]", "2026-11")
    page.click("#publish-form button")
    page.wait_for_selector("text=已发布：2026年11月 红色积分公示")
    notice_id = query(lambda s: s.scalar(select(Notice.id)))
    assert page.inner_text("table[data-kind=person]").count("刘*") == 1
    page.click("text=预览海报")
    # the poster is drawn on request: wait until the JPEG has loaded
    poster = page.locator("img.poster")
    for _ in range(50):
        if poster.evaluate("img => img.complete && img.naturalWidth") > 0:
            break
        page.wait_for_timeout(200)
    assert poster.evaluate("img => img.naturalWidth") == WIDTH  # the JPEG itself, decoded
    keep(page, "notice.png")
    page.click("text=返回公示列表")
    assert f"{notice_id}" in page.get_attribute("table.grid tbody tr", "data-id")
    assert "2026年11月 红色积分公示" in page.inner_text("table.grid")
    keep(page, "notices.png")
    page.click("text=2026年11月 红色积分公示")
    page.fill("#correct-form input[name=reason]", "补录漏记积分")
    page.click("#correct-form button")
    page.wait_for_selector("text=已发布更正：2026年11月 红色积分公示（更正）")
    assert "补录漏记积分" in page.inner_text(".content")
    correction = query(lambda s: s.scalar(select(Notice).where(Notice.correction_of.isnot(None))))
    assert correction.correction_of == notice_id and correction.correction_reason == "补录漏记积分"


def test_task_and_report_pages_in_chromium(
    app,
    seeded,
    live_url,  # noqa: F811
    api,
    page,  # noqa: F811
    query,
    frozen,
    reports_world,
):
    task = create_task(api, query, title="垃圾分类志愿督导")
    create_task(
        api, query, title="河道巡护", starts_at=(T0 + timedelta(days=4)).isoformat(),
        ends_at=(T0 + timedelta(days=4, hours=3)).isoformat(),
    )  # fmt: skip
    for who in ("resident-4", "resident-5"):
        api.post(f"/api/v1/tasks/{task['id']}/signups", who)
    report = new_report(api, "resident-4", reports_world["general"])
    new_report(api, "resident-5", reports_world["general"], text="路灯不亮，晚上出行不便")
    scan_in(page, live_url, api, "admin")
    page.click("text=志愿任务")
    page.wait_for_url(f"{live_url}/console/tasks")
    assert "河道巡护" in page.inner_text("table.grid")
    keep(page, "tasks.png")
    page.click("text=垃圾分类志愿督导")
    page.wait_for_selector("#attendees")
    assert page.locator("#attendees tbody tr").count() == 2
    keep(page, "task.png")
    page.click("text=随手拍问题")
    page.wait_for_url(f"{live_url}/console/reports")
    keep(page, "reports.png")
    page.click(f"table.grid tr[data-id='{report['id']}'] a")
    page.click("#accept")
    page.wait_for_selector("text=已受理")
    assert "受理" in page.inner_text("#timeline")
    keep(page, "report.png")
