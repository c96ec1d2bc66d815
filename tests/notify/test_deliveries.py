"""Deliveries of outbox events to group robots: planned once, sent once, retried, dead-lettered."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow
from server.notify import deliveries
from server.notify.channel_models import Delivery
from tests.concurrency import run_n_together
from tests.conftest import error_code
from tests.notify.channel_helpers import DELIVERIES, received, register
from tests.tasks.test_tasks_support import Clock, create_task, grid_id


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    """Tasks are published against the tasks' frozen clock (their start must be ahead)."""
    return Clock(monkeypatch)


def drain(app, now=None) -> dict:
    with app.app_context():
        deliveries.plan_deliveries()
        counts = deliveries.deliver_due(now)
        db.session.remove()
    return counts


def rows(query) -> list[Delivery]:
    return query(lambda s: s.scalars(select(Delivery).order_by(Delivery.id)).all())


def test_a_published_task_reaches_the_community_and_its_grid_once(
    api, seeded, query, app, emulator
):
    _community, community_key = register(api, emulator, name="社区群")
    g1 = grid_id(query, "g1")
    _grid1, g1_key = register(api, emulator, name="第一网格群", grid_id=g1)
    _grid2, g2_key = register(api, emulator, name="第二网格群", grid_id=grid_id(query, "g2"))
    create_task(api, query, title="楼道清扫", audience="grid", audience_grid_id=g1)
    assert drain(app) == {"sent": 2}
    assert drain(app) == {}  # planning and sending again changes nothing
    for key in (community_key, g1_key):
        messages = [m for m in received(emulator, key) if "楼道清扫" in m["content"]]
        assert len(messages) == 1 and messages[0]["msgtype"] == "markdown"
    assert not [m for m in received(emulator, g2_key) if "楼道清扫" in m["content"]]


def test_a_busy_robot_is_retried_with_backoff_and_then_sent(api, seeded, query, app, emulator):
    _channel, key = register(api, emulator)
    emulator.fault("webhook/send", errcode=45009, times=1)
    create_task(api, query, title="反诈宣传")
    assert drain(app) == {"pending": 1}
    (row,) = rows(query)
    assert row.attempts == 1 and row.last_error.startswith("45009")
    assert row.next_attempt_at > utcnow()
    assert drain(app, utcnow() + timedelta(hours=2)) == {"sent": 1}
    assert [m for m in received(emulator, key) if "反诈宣传" in m["content"]]


def test_a_robot_behind_a_failing_gateway_is_retried_until_it_recovers(
    api, seeded, query, app, emulator
):
    import requests

    _channel, key = register(api, emulator)
    outage = {"status": 502, "times": 2}
    requests.post(emulator.base + "_emulator/robots/outage", json=outage).raise_for_status()
    create_task(api, query, title="消防演练")
    assert drain(app) == {"pending": 1}
    (row,) = rows(query)
    assert row.last_error.startswith("502")
    assert drain(app, utcnow() + timedelta(hours=2)) == {"pending": 1}  # still down
    assert drain(app, utcnow() + timedelta(hours=4)) == {"sent": 1}  # back
    (row,) = rows(query)
    assert row.status == "sent" and row.attempts == 3
    assert len([m for m in received(emulator, key) if "消防演练" in m["content"]]) == 1


def test_a_bad_key_is_a_dead_letter_admins_see_and_retry(api, seeded, query, app, emulator):
    _channel, key = register(api, emulator)
    emulator.fault("webhook/send", errcode=93000, times=1)
    create_task(api, query, title="垃圾分类督导")
    assert drain(app) == {"dead": 1}
    dead = api.get(DELIVERIES, "admin", query_string={"status": "dead"}).get_json()["items"]
    assert len(dead) == 1 and dead[0]["last_error"].startswith("93000")
    assert key not in str(dead)
    assert api.post(f"{DELIVERIES}/{dead[0]['id']}/retry", "reviewer").status_code == 403
    retried = api.post(f"{DELIVERIES}/{dead[0]['id']}/retry", "admin")
    assert retried.status_code == 200 and retried.get_json()["status"] == "pending"
    again = api.post(f"{DELIVERIES}/{dead[0]['id']}/retry", "admin")
    assert again.status_code == 409 and error_code(again) == "delivery_not_dead"
    assert drain(app) == {"sent": 1}


def test_a_delivery_failing_every_time_ends_dead_after_the_last_attempt(
    api, seeded, query, app, emulator
):
    register(api, emulator)
    emulator.fault("webhook/send", errcode=-1)
    create_task(api, query, title="治安巡逻")
    now = utcnow() + timedelta(seconds=1)  # after the delivery is planned
    for _ in range(deliveries.MAX_ATTEMPTS):
        drain(app, now)
        now += timedelta(hours=2)
    (row,) = rows(query)
    assert (row.status, row.attempts) == ("dead", deliveries.MAX_ATTEMPTS)


@pytest.mark.postgres
def test_two_workers_racing_for_one_delivery_send_it_once(api, seeded, query, app, emulator):
    _channel, key = register(api, emulator)
    create_task(api, query, title="邻里节")
    with app.app_context():
        deliveries.plan_deliveries()
        db.session.remove()
    (row,) = rows(query)
    results = run_n_together(app, 2, lambda _i: deliveries.deliver_one(row.id))
    assert sorted(str(r[1]) for r in results) == ["None", "sent"]
    assert len([m for m in received(emulator, key) if "邻里节" in m["content"]]) == 1


def test_a_message_that_cannot_be_built_is_a_dead_letter_not_a_crash(
    api, seeded, query, app, emulator, monkeypatch
):
    from server.notify import messages

    register(api, emulator)
    create_task(api, query, title="邻里议事会")

    def too_long(_payload, _part):
        raise messages.robot.MessageTooLong("文本超过 2048 字节")

    route = messages.ROUTED["task.published"]
    monkeypatch.setitem(
        messages.ROUTED, "task.published", messages.Route(route.audience, route.grids, too_long)
    )
    assert drain(app) == {"dead": 1}
    (row,) = rows(query)
    assert row.last_error.startswith("message:") and row.attempts == 1


def test_the_in_process_drain_posts_a_published_task_soon_after_commit(
    api, seeded, query, app, emulator, monkeypatch
):
    """The embedded default (no Redis): a thread of the process drains after the commit."""
    import time

    from server.notify.drain import Drainer

    _channel, key = register(api, emulator)
    drainer = Drainer(app, interval=60)  # only a commit wakes it within this test
    monkeypatch.setitem(app.extensions, "notify_drainer", drainer)
    try:
        create_task(api, query, title="重阳敬老")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if [m for m in received(emulator, key) if "重阳敬老" in m["content"]]:
                break
            time.sleep(0.05)
    finally:
        drainer.stop()
    assert len([m for m in received(emulator, key) if "重阳敬老" in m["content"]]) == 1
    assert [(r.status, r.attempts) for r in rows(query)] == [("sent", 1)]


def test_the_drain_is_on_by_default_only_without_redis_and_outside_tests(tmp_path):
    from server.platform.config import load_config

    base = {"SQLALCHEMY_DATABASE_URI": "sqlite://"}
    assert load_config(str(tmp_path), {**base, "REDIS_URL": None})["NOTIFY_IN_PROCESS"] is True
    with_redis = load_config(str(tmp_path), {**base, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert with_redis["NOTIFY_IN_PROCESS"] is False
    testing = load_config(str(tmp_path), {**base, "REDIS_URL": None, "TESTING": True})
    assert testing["NOTIFY_IN_PROCESS"] is False


def test_a_burst_to_one_robot_goes_at_twenty_a_minute_queued_not_dropped(
    api, seeded, query, app, emulator
):
    from server.http import rate_limits

    rate_limits.reset(app)
    _channel, key = register(api, emulator)  # its test message is the minute's first send
    for n in range(25):
        create_task(api, query, title=f"楼栋议事 {n:02d}")
    assert drain(app) == {"sent": 19, "pending": 6}
    waiting = [r for r in rows(query) if r.status == "pending"]
    assert {r.attempts for r in waiting} == {0}  # waiting spends no attempt
    assert all(r.next_attempt_at > utcnow() for r in waiting)
    rate_limits.reset(app)  # a minute later, as far as our window knows
    emulator.advance(61)  # and WeCom's
    assert drain(app, utcnow() + timedelta(minutes=2)) == {"sent": 6}
    titles = [m["content"] for m in received(emulator, key) if "楼栋议事" in m["content"]]
    assert len(titles) == 25 and len(set(titles)) == 25  # none lost, none twice
    assert not [r for r in rows(query) if r.last_error]  # WeCom never had to say 45009
