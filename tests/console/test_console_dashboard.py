"""工作台's figures (server/admin/dashboard.py) against a history the tests post themselves:
in a fresh community every figure is exactly what was posted; in the demo community the
redemptions and reports the test adds move the figures by exactly their amounts."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.http.errors import Forbidden
from server.platform.localtime import local_today
from server.points import ledger
from server.wechat.emulator import stable_id
from tests import claims_helpers
from tests.claims_helpers import make_other_community, today
from tests.conftest import APPID
from tests.console.console_helpers import log_in
from tests.grid.reports_helpers import (  # noqa: F401 - clock is a fixture
    clock,
    create_category,
    demo_community_id,
    new_report,
)
from tests.rewards.test_rewards_support import give_points, make_offer

upload_dir = claims_helpers.upload_dir
pytestmark = pytest.mark.usefixtures("upload_dir")
CLAIMS = "/api/v1/points/claims"


def uid(identity: str) -> int:
    return db.session.scalar(
        select(User.id).where(User.openid == stable_id(APPID, identity, "openid"))
    )


def figures_of(app, identity: str, community_id: int) -> dict:
    from server.admin.dashboard import community_dashboard

    with app.app_context():
        return community_dashboard(db.session.get(User, uid(identity)), community_id)


def page_figures(html: str) -> dict:
    """What 工作台 shows: the cards by data-figure and the chart's embedded JSON."""
    cards = dict(re.findall(r'data-figure="([a-z-]+)"[^>]*>([^<]*)<', html))
    chart = re.search(r'id="points-chart-data">(.*?)</script>', html, re.S).group(1)
    return {"cards": cards, "chart": json.loads(chart)}


def test_dashboard_shows_exactly_the_posted_history(app, seeded, api, client, query):
    from server.admin.dashboard import last_months, month_start

    people = ("o-admin", "o-r1", "o-r2", "o-r3")
    cid, item = make_other_community(app, identities=people, admin="o-admin")
    claim_ids = {}
    for who in ("o-r1", "o-r2", "o-r3"):
        body = {"item_id": item, "occurred_on": today().isoformat(), "description": "打扫楼道"}
        resp = api.post(CLAIMS, who, json=body)
        assert resp.status_code == 201, resp.get_json()
        claim_ids[who] = resp.get_json()["id"]
    decided = api.post(
        f"{CLAIMS}/batch-decide",
        "o-admin",
        json={"ids": [claim_ids["o-r1"], claim_ids["o-r2"]], "decision": "approve"},
    )
    assert all(r["ok"] for r in decided.get_json()["results"])
    points_each = 10  # X01's version in make_other_community
    months = last_months(local_today())
    # Earlier months: credits posted at a moment inside them (and one before the window).
    posted = {months[-3]: 30, months[0]: 7}
    with app.app_context():
        account = ledger.account_for_user(cid, uid("o-r3"))
        for n, (month, amount) in enumerate(posted.items()):
            at = month_start(month) + timedelta(days=2)
            ledger.credit(account, amount, reason="导入", idempotency_key=f"dash:{n}",
                          cause_type="import", cause_id=n, at=at)  # fmt: skip
        before_window = month_start(months[0]) - timedelta(days=3)
        ledger.credit(account, 99, reason="导入", idempotency_key="dash:old",
                      cause_type="import", cause_id=99, at=before_window)  # fmt: skip
        db.session.commit()

    figures = figures_of(app, "o-admin", cid)
    issued = {m: 0 for m in months} | posted
    issued[months[-1]] += 2 * points_each
    assert figures["chart"] == {
        "months": months,
        "issued": [issued[m] for m in months],
        "redeemed": [0] * 12,
    }
    assert figures["participants"] == 2  # o-r1 and o-r2 credited this month; o-r3 not
    assert figures["issued_this_month"] == 2 * points_each
    assert [(t["item_id"], t["points"], t["claims"]) for t in figures["top_items"]] == [
        (item, 2 * points_each, 2)
    ]
    assert figures["pending"]["count"] == 1
    assert figures["pending"]["oldest_id"] == claim_ids["o-r3"]
    assert figures["reports"] == {"open": 0, "overdue": 0}

    # Through HTTP: the page shows the same figures and embeds the same chart data.
    log_in(client, api, "o-admin")
    html = client.get("/console/").get_data(as_text=True)
    shown = page_figures(html)
    assert shown["chart"] == figures["chart"]
    assert shown["cards"]["participants"] == "2"
    assert shown["cards"]["issued"] == str(2 * points_each)
    assert shown["cards"]["pending"] == "1"
    assert 'src="/console/static/chart.umd.min.js"' in html
    assert "外社区项目" in html  # the top item's name


def test_redemptions_and_reports_move_the_demo_figures(app, seeded, api, query, clock):  # noqa: F811
    with app.app_context():
        cid = demo_community_id()
    before = figures_of(app, "reviewer", cid)

    offer = make_offer(app, points_cost=30, stock=5)
    give_points(app, "resident-1", 100)
    rid = api.post("/api/v1/redemptions", "resident-1", json={"offer_id": offer}).get_json()["id"]
    token = api.get(f"/api/v1/redemptions/{rid}/code", "resident-1").get_json()["token"]
    done = api.post("/api/v1/merchant/verify", "merchant-1", json={"token": token})
    assert done.status_code == 200, done.get_json()
    category = create_category(api, "环境卫生")
    new_report(api, "resident-2", category["id"])

    after = figures_of(app, "reviewer", cid)
    assert after["redeemed_this_month"] == before["redeemed_this_month"] + 30
    assert after["chart"]["redeemed"][-1] == before["chart"]["redeemed"][-1] + 30
    assert after["chart"]["redeemed"][:-1] == before["chart"]["redeemed"][:-1]
    assert after["reports"]["open"] == before["reports"]["open"] + 1
    assert after["reports"]["overdue"] == before["reports"]["overdue"]
    assert after["participants"] >= 1  # resident-1 was credited this month

    clock.at = clock.at + timedelta(days=30)  # far past its accept and resolve times
    late = figures_of(app, "reviewer", cid)
    assert late["reports"]["overdue"] >= before["reports"]["overdue"] + 1
    assert late["reports"]["overdue"] <= late["reports"]["open"]


def test_dashboard_figures_are_for_admins_and_reviewers(app, seeded, api, client):
    with app.app_context():
        cid = demo_community_id()
    with pytest.raises(Forbidden):
        figures_of(app, "merchant-1", cid)
    log_in(client, api, "merchant-1")
    html = client.get("/console/").get_data(as_text=True)
    assert "data-figure" not in html and "chart.umd.min.js" not in html
    assert 'data-role="merchant_staff"' in html  # who-you-are stays
