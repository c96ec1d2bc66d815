"""The set-up, group-robot, log and job pages in headless Chromium at 1366x768: an admin
registers a robot and changes an item's value by clicking through the forms (CSRF carried by
the forms), and CONSOLE_SCREENSHOTS=docs/console keeps the pictures for docs/console.md."""

from datetime import timedelta

from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow
from server.notify import schedule
from server.notify.channel_models import GroupChannel
from server.points.models import PointItem, PointItemVersion
from tests.claims_helpers import today
from tests.console.test_console_browser import chromium, keep, live_url, page, scan_in  # noqa: F401
from tests.notify.channel_helpers import WEBHOOK, new_robot, received


def test_an_admin_registers_a_group_robot_in_chromium(  # noqa: F811
    app,
    seeded,
    live_url,  # noqa: F811
    api,
    page,  # noqa: F811
    query,
    emulator,
):
    with app.app_context():
        schedule.run_due(utcnow(), jobs=(schedule.JOBS[0],))  # one run for the jobs page
        db.session.remove()
    scan_in(page, live_url, api, "admin")
    page.click(".sidebar >> text=群机器人")
    page.wait_for_url(f"{live_url}/console/channels")
    key = new_robot(emulator)
    page.fill('#channel-add input[name="key"]', WEBHOOK.format(key))
    page.fill('#channel-add input[name="name"]', "幸福社区居民群")
    page.select_option('#channel-add select[name="grid_id"]', label="第一网格（幸福里）")
    page.click("#channel-add button")
    page.wait_for_selector(".flash.ok")
    assert "群机器人已接入" in page.inner_text("#result")
    assert "第一网格" in page.inner_text("#channels") and key not in page.content()
    assert query(lambda s: s.scalar(select(GroupChannel.name))) == "幸福社区居民群"
    assert len(received(emulator, key)) == 1
    keep(page, "channels.png")
    page.click("text=推送记录")
    page.wait_for_url(f"{live_url}/console/deliveries")
    keep(page, "deliveries.png")
    page.click(".sidebar >> text=操作日志")
    page.wait_for_url(f"{live_url}/console/audit-log")
    assert "group_channel.create" in page.inner_text("#audit")
    keep(page, "audit-log.png")
    page.click(".sidebar a >> text=定时任务")
    page.wait_for_url(f"{live_url}/console/jobs")
    assert page.locator("#jobs tr[data-job]").count() >= 9
    assert "reservations: 0" in page.inner_text("#jobs")
    keep(page, "jobs.png")


def test_an_admin_changes_an_items_value_in_chromium(seeded, live_url, api, page, query):  # noqa: F811
    scan_in(page, live_url, api, "admin")
    page.click(".sidebar >> text=积分目录")
    page.wait_for_url(f"{live_url}/console/catalogue")
    assert "参加理论宣讲活动" in page.inner_text("#items")
    keep(page, "catalogue.png")
    page.select_option('select[name="category_id"] >> nth=0', label="社区治理")
    page.click("text=查询")
    page.wait_for_url("**category_id=*")
    assert "参加居民议事会" in page.inner_text("#items")
    assert "参加理论宣讲活动" not in page.inner_text("#items")
    item_id = query(lambda s: s.scalar(select(PointItem.id).where(PointItem.code == "G01")))
    page.click(f'tr[data-item="{item_id}"] >> text=分值与历史')
    tomorrow = (today() + timedelta(days=1)).isoformat()
    page.fill('#version-add input[name="points"]', "15")
    page.fill('#version-add input[name="effective_from"]', tomorrow)
    page.click("#version-add button")
    page.wait_for_selector(".flash.ok")
    assert "分值已调整" in page.inner_text("#result") and tomorrow in page.inner_text("#versions")
    points = query(
        lambda s: s.scalars(
            select(PointItemVersion.points)
            .where(PointItemVersion.item_id == item_id)
            .order_by(PointItemVersion.effective_from)
        ).all()
    )
    assert points[-1] == 15
    keep(page, "catalogue-item.png")
    page.click(".sidebar >> text=成员与角色")
    page.wait_for_url(f"{live_url}/console/members")
    page.click(".tabs >> text=邀请")
    page.select_option('#invite-form select[name="role"]', "reviewer")
    page.fill('#invite-form input[name="note"]', "王老师")
    page.click("#invite-form button")
    page.wait_for_selector("#issued")
    assert page.locator("#issued img.wxacode").evaluate("img => img.naturalWidth") > 0
    keep(page, "invitations.png")
    page.click(".sidebar a >> text=网格")
    page.wait_for_url(f"{live_url}/console/grids")
    keep(page, "grids.png")
