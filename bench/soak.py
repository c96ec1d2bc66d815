"""A redemption day, held for ten minutes: mixed traffic against the API, with errors, p99 and
worker memory reported minute by minute; memory must not grow.

    scripts/bench soak            # 10 minutes (--quick: 2)

On the harness's stack (gunicorn + PostgreSQL + Redis, seed-demo) plus one `flask jobs worker`
sending the notifications the traffic causes. Bench residents with points and a well-stocked
1-point offer are made in-process (bench/redemption_bench.prepare); merchant-1 verifies and the
demo's reviewer reviews. Each request is drawn from MIX: browsing (offers, tasks, the profile,
balance, rankings), sign-ups and their cancellation, claims, reserve → code → verify, and a
reviewer approving the oldest claim. Refusals the rules make (a full task, a duplicate claim,
a claim already decided) are expected answers; errors are 5xx and dropped connections.
Memory: the resident set of the API workers and the jobs worker, sampled at each minute's end;
after the first (warm-up) minute it may grow by at most MAX_GROWTH_MB.
"""

import random
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from bench.memory import status_kb
from bench.redemption_bench import drive, prepare

CONCURRENCY = 8
MINUTE = 60.0
MAX_GROWTH_MB = 15.0
ROOT = Path(__file__).resolve().parents[1]
BROWSE = ["/api/v1/offers?limit=20", "/api/v1/tasks?limit=20", "/api/v1/me",
          "/api/v1/points/balance", "/api/v1/rankings?kind=person&limit=20"]  # fmt: skip
# (action, weight): about what a community's redemption day looks like.
MIX = [("browse", 55), ("signup", 10), ("claim", 8), ("redeem", 20), ("review", 7)]
EXPECTED = {200, 201, 204, 400, 403, 404, 409, 410, 422, 429}


class Day:
    """The soak's people and what they have done so far (shared by the load threads)."""

    def __init__(self, base: str, prepared: dict, merchant: str, reviewer: str, tasks, items):
        self.base, self.tokens = base, prepared["tokens"]
        self.offer_id, self.merchant, self.reviewer = prepared["offer_id"], merchant, reviewer
        self.tasks, self.items = tasks, items
        self.done = {name: 0 for name, _ in MIX}
        self.lock = threading.Lock()
        self.claims = iter(range(10**9))

    def _h(self, token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def request(self, session, i: int) -> int:
        action = random.choices([n for n, _ in MIX], [w for _, w in MIX])[0]
        token = self.tokens[i % len(self.tokens)]
        status = getattr(self, action)(session, token, i)
        if status < 300:
            with self.lock:
                self.done[action] += 1
        return status

    def browse(self, session, token, i):
        path = BROWSE[i % len(BROWSE)]
        return session.get(self.base + path, headers=self._h(token), timeout=30).status_code

    def signup(self, session, token, i):
        task = self.tasks[i % len(self.tasks)]
        url = f"{self.base}/api/v1/tasks/{task}/signups"
        status = session.post(url, headers=self._h(token), json={}, timeout=30).status_code
        if status < 300:  # and change their mind, so seats come back for the next one
            session.delete(url + "/me", headers=self._h(token), timeout=30)
        return status

    def claim(self, session, token, i):
        n = next(self.claims)
        body = {"item_id": self.items[n % len(self.items)],
                "occurred_on": (date.today() - timedelta(days=n // 1000 % 25)).isoformat(),
                "description": f"浸泡测试申报 {n}"}  # fmt: skip
        url = self.base + "/api/v1/points/claims"
        return session.post(url, headers=self._h(token), json=body, timeout=30).status_code

    def redeem(self, session, token, i):
        h = self._h(token)
        r = session.post(self.base + "/api/v1/redemptions", headers=h,
                         json={"offer_id": self.offer_id}, timeout=30)  # fmt: skip
        if r.status_code != 201:
            return r.status_code
        rid = r.json()["id"]
        code = session.get(f"{self.base}/api/v1/redemptions/{rid}/code", headers=h, timeout=30)
        if code.status_code != 200:
            return code.status_code
        verify = self.base + "/api/v1/merchant/verify"
        body = {"token": code.json()["token"]}
        return session.post(
            verify, headers=self._h(self.merchant), json=body, timeout=30
        ).status_code

    def review(self, session, token, i):
        h = self._h(self.reviewer)
        queue = session.get(self.base + "/api/v1/points/claims?scope=queue&limit=5", headers=h,
                            timeout=30)  # fmt: skip
        if queue.status_code != 200 or not queue.json()["items"]:
            return queue.status_code
        claim = random.choice(queue.json()["items"])["id"]
        url = f"{self.base}/api/v1/points/claims/{claim}/approve"
        return session.post(url, headers=h, json={}, timeout=30).status_code


def _demo_ids(app) -> tuple[list[int], list[int]]:
    from sqlalchemy import select

    from server.db.session import db
    from server.points.models import PointItem
    from server.tasks.models import Task

    with app.app_context():
        tasks = db.session.scalars(select(Task.id).where(Task.status == "published")).all()
        items = db.session.scalars(select(PointItem.id).where(PointItem.monthly_cap.is_(None)))
        ids = (list(tasks), list(items))
        db.session.remove()
    return ids


def _resident_mb(pids) -> float:
    return sum(status_kb(pid).get("VmRSS", 0) for pid in pids) / 1024


def run(ctx, minutes: int, say=print) -> dict:
    app = ctx.app()
    prepared = prepare(app, residents=40)
    tasks, items = _demo_ids(app)
    day = Day(ctx.base_url.rstrip("/"), prepared, ctx.login("merchant-1"), ctx.login("reviewer"),
              tasks, items)  # fmt: skip
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "server", "jobs", "worker"],
        cwd=ROOT, env=ctx.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip

    def api_pids():  # read each minute: gunicorn may have replaced a worker
        return list(ctx.cpu_snapshot()["api"]) if ctx.cpu_snapshot else []

    timeline = []
    try:
        for minute in range(1, minutes + 1):
            began = time.perf_counter()
            figures = drive(day.request, MINUTE, CONCURRENCY)
            statuses = figures.get("statuses", {})
            errors = sum(n for s, n in statuses.items() if int(s) not in EXPECTED)
            timeline.append({
                "minute": minute, "requests": figures["requests"], "rps": figures["rps"],
                "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"], "errors": errors,
                "statuses": statuses, "api_mb": _resident_mb(api_pids()),
                "worker_mb": _resident_mb([worker.pid]), "seconds": time.perf_counter() - began,
            })  # fmt: skip
            t = timeline[-1]
            say(
                f"soak: minute {minute}: {t['requests']} requests, p99 {t['p99_ms']:.0f} ms, "
                f"{errors} errors, API {t['api_mb']:.0f} MB, worker {t['worker_mb']:.0f} MB"
            )
    finally:
        worker.terminate()
        worker.wait(30)
    return {"timeline": timeline, "done": dict(day.done)}


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: a row per minute, the checks on the last."""
    from bench.rows import Check, Row

    result = run(ctx, minutes=2 if opts.quick else 10, say=opts.say)
    timeline, done = result["timeline"], result["done"]
    rows = [
        Row(scenario="soak", label=f"minute {t['minute']:02d} (API {t['api_mb']:.0f} MB, "
            f"worker {t['worker_mb']:.0f} MB)", count=t["requests"], rate=t["rps"],
            p50_ms=t["p50_ms"], p99_ms=t["p99_ms"], errors=t["errors"],
            error_detail=str(t["statuses"]))
        for t in timeline
    ]  # fmt: skip
    settled = timeline[1:] or timeline
    growth = {name: settled[-1][name] - settled[0][name] for name in ("api_mb", "worker_mb")}
    rows[-1].invariants += [
        Check("no 5xx or dropped connection in the whole soak",
              sum(t["errors"] for t in timeline) == 0,
              f"{sum(t['requests'] for t in timeline):,} requests"),
        Check("every kind of traffic succeeded", all(done.values()), str(done)),
        Check(f"memory did not grow (≤ {MAX_GROWTH_MB:.0f} MB after the first minute)",
              all(g <= MAX_GROWTH_MB for g in growth.values()),
              f"API workers {growth['api_mb']:+.1f} MB, jobs worker {growth['worker_mb']:+.1f} MB "
              f"from minute {settled[0]['minute']} to {settled[-1]['minute']}"),
    ]  # fmt: skip
    return rows
