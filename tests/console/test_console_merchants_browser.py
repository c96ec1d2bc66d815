"""商家 in headless Chromium at 1366x768: an admin filters the merchants, a merchant's staff
member opens their shop, reads the month's statement and restocks an offer by the form;
CONSOLE_SCREENSHOTS=docs/console keeps merchants.png and merchant.png for docs/console.md."""

from server.rewards.models import Offer
from tests.console.test_console_browser import chromium, keep, live_url, page, scan_in  # noqa: F401
from tests.console.test_console_merchants import _verified
from tests.rewards.test_rewards_support import give_points, make_offer


def test_merchant_staff_restock_an_offer_in_chromium(  # noqa: F811
    app,
    seeded,
    live_url,  # noqa: F811
    api,
    page,  # noqa: F811
    query,
):
    soap = make_offer(app, title="肥皂", points_cost=10, stock=10)
    for n in (1, 2):
        give_points(app, f"resident-{n}", 100)
        _verified(api, f"resident-{n}", soap)

    scan_in(page, live_url, api, "admin")
    page.click(".sidebar a >> text=商家")
    page.wait_for_url(f"{live_url}/console/merchants")
    assert "阳光理发店" in page.inner_text("table.grid")
    keep(page, "merchants.png")
    page.context.clear_cookies()

    scan_in(page, live_url, api, "merchant-1")
    page.click(".sidebar a >> text=商家")
    page.wait_for_url(f"{live_url}/console/merchants")
    assert "阳光理发店" not in page.inner_text("table.grid")
    page.click("table.grid >> text=幸福社区积分超市")
    assert "<th>2</th><th>20</th>" in page.inner_html("#statement")
    page.fill(f'tr[data-offer="{soap}"] input[name="add_stock"]', "12")
    page.click(f'tr[data-offer="{soap}"] >> text=调整')
    page.wait_for_selector(".flash.ok")
    assert "已更新商品：肥皂" in page.inner_text("#result")
    assert page.inner_text(f'tr[data-offer="{soap}"] td.stock') == "20"  # 10 - 2 redeemed + 12
    assert query(lambda s: s.get(Offer, soap).stock) == 20
    keep(page, "merchant.png")
