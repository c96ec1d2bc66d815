"""RQ workers (`flask --app server jobs worker`) as real processes against the test database,
Redis and the emulator: two competing over a burst to one robot, and one SIGKILLed mid-send.

Redis only (RQ needs it): these run in the PostgreSQL + Redis pass."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from server.db.session import db
from server.notify import rq_jobs
from server.notify.channel_models import Delivery
from server.outbox.emit import emit_event
from tests.conftest import APPID, SECRET
from tests.notify.channel_helpers import received, register
from tests.tasks.test_tasks_support import Clock, community_id

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    return Clock(monkeypatch)


class Workers:
    """Worker processes of this test; it stops only these."""

    def __init__(self, app, emulator, tmp_path, **config):
        self.env = {
            **os.environ,
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": app.config["REDIS_URL"],
            "REDIS_PREFIX": app.config["REDIS_PREFIX"],
            "WECHAT_APPID": APPID,
            "WECHAT_SECRET": SECRET,
            "WECHAT_API_BASE": emulator.base,
            "LOG_LEVEL": "WARNING",
            **{k: str(v) for k, v in config.items()},
        }
        self.tmp_path, self.procs = tmp_path, []

    def start(self, name: str) -> subprocess.Popen:
        # Unique: a killed worker's name stays registered in Redis until its heartbeat expires.
        name = f"{name}-{uuid.uuid4().hex[:8]}"
        log = (self.tmp_path / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "server", "jobs", "worker", "--name", name],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs.append(proc)
        proc.worker_name = name
        return proc

    def stop(self):
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def workers(app, emulator, tmp_path):
    made = []

    def start(**config):
        w = Workers(app, emulator, tmp_path, **config)
        made.append(w)
        return w

    yield start
    for w in made:
        w.stop()
    with app.app_context():
        rq_jobs.queue().empty()


def publish(app, query, titles: list[str]) -> None:
    """Tasks announced to the groups (the event a published task writes), in one commit."""
    cid = community_id(query)
    with app.app_context():
        for n, title in enumerate(titles, start=1):
            emit_event("task.published", aggregate_type="task", aggregate_id=n, community_id=cid,
                       payload={"task_id": n, "title": title, "grid_id": None,
                                "starts_at": "2026-06-02T01:00:00+00:00"})  # fmt: skip
        db.session.commit()
        db.session.remove()


def pump_now(app) -> None:
    """What the cron does every 15 s, here every call."""
    with app.app_context():
        rq_jobs.queue().enqueue(rq_jobs.pump_job, result_ttl=600)


def leased(query) -> bool:
    from server.db.types import utcnow

    rows = query(lambda s: s.scalars(select(Delivery)).all())
    return bool(rows) and rows[0].next_attempt_at > utcnow() + timedelta(seconds=1)


def statuses(query) -> dict:
    rows = query(lambda s: s.scalars(select(Delivery.status)).all())
    return {s: rows.count(s) for s in set(rows)}


def test_two_workers_send_a_burst_of_300_at_the_robots_rate_none_lost_or_doubled(
    app, api, seeded, query, emulator, workers
):
    _channel, key = register(api, emulator)
    requests.post(emulator.base + "_emulator/robots/window", json={"seconds": 1}).raise_for_status()
    pool = workers(NOTIFY_ROBOT_RATE="20 per 1 second")
    names = {pool.start("w1").worker_name, pool.start("w2").worker_name}
    titles = [f"楼栋议事 {n:03d}" for n in range(300)]
    publish(app, query, titles)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and statuses(query).get("sent", 0) < 300:
        pump_now(app)
        pump_now(app)  # two at a time, so both workers compete for the same deliveries
        time.sleep(0.5)
    assert statuses(query) == {"sent": 300}
    got = [m for m in received(emulator, key) if "楼栋议事" in m["content"]]
    contents = [m["content"] for m in got]
    assert len(contents) == 300 and len(set(contents)) == 300  # none lost, none twice
    times = [m["received_at"] for m in received(emulator, key)]
    assert all(b - a >= 1 for a, b in zip(times, times[20:], strict=False))  # ≤ 20 a "minute"
    with app.app_context():
        from rq.registry import FinishedJobRegistry

        q = rq_jobs.queue()
        finished = [q.fetch_job(i) for i in FinishedJobRegistry(queue=q).get_job_ids()]
        sent_by = {j.worker_name for j in finished if j and (j.return_value() or {}).get("sent")}
    assert sent_by == names  # both did part of it


def test_a_worker_killed_mid_send_leaves_it_to_another_and_the_group_gets_it_once(
    app, api, seeded, query, emulator, workers
):
    _channel, key = register(api, emulator)
    pool = workers(NOTIFY_LEASE_SECONDS=3)
    doomed = pool.start("doomed")
    # The next send hangs in the network for 5 s: the worker is mid-send when it is killed.
    hold = {"seconds": 5, "times": 1}
    requests.post(emulator.base + "_emulator/robots/hold", json=hold).raise_for_status()
    publish(app, query, ["独居老人探访"])
    pump_now(app)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not leased(query):  # the worker owns it, is sending
        time.sleep(0.1)
    assert leased(query)
    time.sleep(1.0)  # inside the 5 s hold: the request is out, WeCom has not seen it
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    (row,) = query(lambda s: s.scalars(select(Delivery)).all())
    assert row.status == "pending" and row.attempts == 0  # owned by the dead worker's lease
    time.sleep(5)  # the hold ends: WeCom never saw the dead worker's send
    assert not [m for m in received(emulator, key) if "独居老人探访" in m["content"]]
    pool.start("survivor")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and statuses(query) != {"sent": 1}:
        pump_now(app)
        time.sleep(0.5)
    assert statuses(query) == {"sent": 1}
    time.sleep(1)
    pump_now(app)
    time.sleep(1)
    assert len([m for m in received(emulator, key) if "独居老人探访" in m["content"]]) == 1
