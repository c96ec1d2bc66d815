"""Redis killed in the middle of traffic and started again empty, as after a crash.

Money is in PostgreSQL, so every request still answers (no 5xx) and every balance still equals
its ledger; rate limits fall back to each process's memory, and so does WeChat's access token
(a claim's text check needs it); a notice written while Redis was away reaches the group once
the jobs worker and cron are back (systemd restarts them); the rankings' sorted sets are
refilled by a worker and agree with SQL; `/me` shows the balance.
"""

import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from tests.faults.api_process import Supervised

pytestmark = [pytest.mark.postgres, pytest.mark.xdist_group("faults")]
SHOP = "幸福社区积分超市"


def traffic(stack, headers: dict, offer_id: int, stop: threading.Event, seen: Counter) -> None:
    """A resident browsing, reserving and cancelling, over and over."""
    http = requests.Session()
    while not stop.is_set():
        for method, path, body in (
            ("GET", "/me", None),
            ("GET", "/points/balance", None),
            ("GET", "/rankings", None),
            ("GET", "/offers", None),
            ("POST", "/redemptions", {"offer_id": offer_id}),
        ):
            resp = http.request(method, stack.url(path), json=body, headers=headers, timeout=30)
            seen[resp.status_code] += 1
            if method == "POST" and resp.status_code == 201:
                gone = http.delete(stack.url(f"/redemptions/{resp.json()['id']}"),
                                   headers=headers, timeout=30)  # fmt: skip
                seen[gone.status_code] += 1


def claim_body(stack, headers: dict, nth: int) -> dict:
    items = requests.get(stack.url("/points/items"), headers=headers, timeout=10).json()["items"]
    return {"item_id": items[nth]["id"], "occurred_on": date.today().isoformat(),
            "description": "帮邻居修水管"}  # fmt: skip


def ledger_disagreements(stack) -> list:
    return stack.sql(
        "SELECT a.id, a.balance, a.held, COALESCE(e.total, 0), COALESCE(h.total, 0) "
        "FROM point_accounts a "
        "LEFT JOIN (SELECT account_id, SUM(amount) total FROM ledger_entries GROUP BY 1) e "
        "  ON e.account_id = a.id "
        "LEFT JOIN (SELECT account_id, SUM(amount) total FROM point_holds "
        "  WHERE status = 'pending' GROUP BY 1) h ON h.account_id = a.id "
        "WHERE a.balance <> COALESCE(e.total, 0) OR a.held <> COALESCE(h.total, 0) "
        "OR a.held < 0 OR a.held > a.balance"
    )


def eventually(check, seconds: float):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_redis_killed_mid_traffic(stack):
    admin, reviewer = stack.login("admin"), stack.login("reviewer")
    robot = requests.post(stack.emulator.base + "_emulator/robots", json={}, timeout=5).json()
    channel = requests.post(stack.url("/admin/group-channels"), headers=admin, timeout=10, json={
        "key": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={robot['key']}",
        "name": "幸福社区志愿者群", "grid_id": None,
    })  # fmt: skip
    assert channel.status_code == 201, channel.text
    workers = [Supervised(stack.api, "jobs", "worker", name="worker"),
               Supervised(stack.api, "jobs", "cron", name="cron")]  # fmt: skip
    residents = [stack.login(f"resident-{n}") for n in (7, 8, 9, 10)]
    offers = requests.get(stack.url("/offers?limit=100"), headers=residents[0], timeout=10)
    offer = next(o for o in offers.json()["items"] if o["merchant_name"] == SHOP)
    earner = residents[0]
    claim = requests.post(stack.url("/points/claims"), headers=earner, timeout=10,
                          json=claim_body(stack, earner, 2))  # fmt: skip
    assert claim.status_code == 201, claim.text

    stop, seen = threading.Event(), Counter()
    threads = [threading.Thread(target=traffic, args=(stack, h, offer["id"], stop, seen))
               for h in residents]  # fmt: skip
    try:
        for t in threads:
            t.start()
        time.sleep(2)
        stack.redis.stop()
        # While Redis is away: a credit, a task announced to the group, a login storm.
        approved = requests.post(stack.url(f"/points/claims/{claim.json()['id']}/approve"),
                                 headers=reviewer, json={}, timeout=30)  # fmt: skip
        assert approved.status_code == 200, approved.text
        starts = datetime.now(UTC) + timedelta(days=3)
        title = f"停电期间发布的活动 {starts:%H%M%S}"
        task = requests.post(stack.url("/tasks"), headers=admin, timeout=30, json={
            "title": title, "description": "Redis 不在时发布", "reward_kind": "hours",
            "points_per_hour": 10, "points_cap": 20, "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(), "capacity": 5,
            "place_name": "社区活动室",
        })  # fmt: skip
        assert task.status_code == 201, task.text
        # A claim's text is checked by WeChat, whose access token is kept in Redis.
        body = {**claim_body(stack, residents[1], 4), "description": "扫雪"}
        filed = requests.post(
            stack.url("/points/claims"), headers=residents[1], json=body, timeout=30
        )
        assert filed.status_code == 201, filed.text
        storm = Counter(
            requests.post(stack.url("/auth/wechat-login"), timeout=30,
                          json={"code": f"resident-12.storm{n}"}).status_code
            for n in range(25)
        )  # fmt: skip
        time.sleep(1)
        stack.redis.start()
        time.sleep(3)
    finally:
        stop.set()
        for t in threads:
            t.join(60)

    try:
        assert not [code for code in seen if code >= 500], seen
        assert seen[201] > 10 and seen[200] > 40, seen  # traffic really ran, across the outage
        assert storm[429] >= 5 and storm[200] >= 1, storm  # each process limited by itself
        assert ledger_disagreements(stack) == []

        me = requests.get(stack.url("/me"), headers=earner, timeout=10).json()
        balance = requests.get(stack.url("/points/balance"), headers=earner, timeout=10).json()
        assert me["points"]["balance"] == balance["balance"]

        sql = requests.get(stack.url("/rankings"), headers=earner, timeout=10).json()

        def refilled():
            body = requests.get(stack.url("/rankings"), headers=earner, timeout=10).json()
            return body if body["source"] == "redis" else None

        redis = eventually(refilled, 30)
        assert redis, "rankings were not refilled into Redis"
        assert (redis["items"], redis["me"]) == (sql["items"], sql["me"])

        def announced():
            messages = requests.get(stack.emulator.base + f"_emulator/robots/{robot['key']}"
                                    "/messages", timeout=5).json()["messages"]  # fmt: skip
            return [m for m in messages if title in str(m)]

        assert len(eventually(announced, 60)) == 1
    finally:
        for w in workers:
            w.close()
