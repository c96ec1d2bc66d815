"""GET /me from the Redis profile cache: served from it, and never stale after a change."""

from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from sqlalchemy import select, text

from server.community.models import Community, Grid
from server.db.session import db
from server.platform import profile_versions
from server.profile import cache as profile_cache
from tests.conftest import error_code
from tests.tasks.test_tasks_support import T0, Clock, community_id, create_task

ME = "/api/v1/me"
ADJ = "/api/v1/points/adjustments"
needs_redis = pytest.mark.redis


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def me(api, who="resident-4"):
    resp = api.get(ME, who)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _behind_the_apps_back(app, sql: str, **params) -> None:
    """Change a row with plain SQL, which bumps no version: only the cache can hide it."""
    with app.app_context():
        db.session.execute(text(sql), params)
        db.session.commit()
        db.session.remove()


@needs_redis
def test_a_repeated_me_is_served_from_the_cache(api, seeded, app, query):
    first = me(api)
    uid = first["id"]
    _behind_the_apps_back(app, "UPDATE users SET nickname = 'changed' WHERE id = :id", id=uid)
    assert me(api) == first  # the database was not read again
    with app.test_request_context():
        profile_versions.touch(uid)
        db.session.commit()  # a commit that touched the user bumps their version
    assert me(api)["nickname"] == "changed"


@needs_redis
def test_every_kind_of_change_shows_at_once(api, seeded, app, query):
    uid = me(api)["id"]
    cid = community_id(query)

    api.patch(ME, "resident-4", json={"nickname": "新昵称"})
    assert me(api)["nickname"] == "新昵称"

    resp = api.post(ADJ, "admin", json={"user_id": uid, "amount": 30, "reason": "奖励"})
    assert resp.status_code == 201, resp.get_json()
    assert me(api)["points"] == {"balance": 30, "held": 0, "available": 30}

    url = f"/api/v1/admin/communities/{cid}/roles"
    grant = api.post(url, "admin", json={"user_id": uid, "role": "reviewer"}).get_json()
    assert "reviewer" in me(api)["roles"]
    assert api.delete(f"{url}/{grant['id']}", "admin").status_code == 204
    assert "reviewer" not in me(api)["roles"]

    code = api.emulator.code("13812345678")
    assert api.post("/api/v1/auth/phone", "resident-4", json={"code": code}).status_code == 200
    assert me(api)["phone"] == "138****5678"

    with app.app_context():  # a rename shows in every member's profile
        db.session.scalar(select(Community).where(Community.id == cid)).name = "新名字社区"
        db.session.commit()
    assert me(api)["membership"]["community"]["name"] == "新名字社区"
    grid_id = me(api, "grid-1")["membership"]["grid"]["id"]
    with app.app_context():
        db.session.get(Grid, grid_id).name = "新网格"
        db.session.commit()
    assert me(api, "grid-1")["membership"]["grid"]["name"] == "新网格"


@needs_redis
def test_joining_shows_the_membership(api, seeded, query):
    assert me(api, "outsider")["membership"] is None
    cid = community_id(query)
    assert api.post(f"/api/v1/communities/{cid}/join", "outsider", json={}).status_code == 200
    assert me(api, "outsider")["membership"]["community"]["id"] == cid


@needs_redis
def test_deactivated_user_is_refused_at_once(api, seeded, app, query):
    uid = me(api)["id"]
    with app.app_context():
        from server.auth.models import User

        db.session.get(User, uid).is_active = False
        db.session.commit()
    resp = api.get(ME, "resident-4")
    assert resp.status_code == 401 and error_code(resp) == "token_invalid"


@needs_redis
def test_completed_task_hours_show_and_roll_over_at_new_year(api, seeded, query, frozen):
    task = create_task(
        api,
        query,
        capacity=1,
        radius_m=None,
        reward_kind="hours",
        points_per_hour=4,
        points_cap=20,
        point_item_id=None,
    )
    tid = task["id"]
    api.post(f"/api/v1/tasks/{tid}/signups", "resident-4")
    starts = T0 + timedelta(days=1)
    frozen.set(starts)
    token = api.get(f"/api/v1/tasks/{tid}/checkin-code", "admin").get_json()["token"]
    api.post(f"/api/v1/tasks/{tid}/checkin", "resident-4", json={"token": token})
    frozen.set(starts + timedelta(minutes=90))
    token = api.get(f"/api/v1/tasks/{tid}/checkin-code", "admin").get_json()["token"]
    api.post(f"/api/v1/tasks/{tid}/checkout", "resident-4", json={"token": token})
    assert me(api)["volunteer_hours"] == {"this_year": 0.0, "lifetime": 0.0}  # now cached
    assert api.post(f"/api/v1/tasks/{tid}/complete", "admin").status_code == 200
    profile = me(api)
    assert profile["volunteer_hours"] == {"this_year": 1.5, "lifetime": 1.5}
    assert profile["points"]["balance"] == 6
    frozen.set(datetime(2027, 1, 1, 0, 30, tzinfo=UTC))  # 08:30 on 1 January in Shanghai
    assert me(api)["volunteer_hours"] == {"this_year": 0.0, "lifetime": 1.5}


@needs_redis
def test_a_copy_read_before_a_commit_is_never_served_after_it(api, seeded, app, query):
    old = me(api)
    uid = old["id"]
    with app.test_request_context():
        stamp = profile_cache.lookup(uid).stamp  # a reader takes the versions ...
    api.patch(ME, "resident-4", json={"nickname": "写入者"})  # ... a writer commits ...
    with app.test_request_context():
        profile_cache.store(uid, stamp, b'{"nickname": "stale"}')  # ... the reader stores late
    assert me(api)["nickname"] == "写入者"


@needs_redis
def test_a_rolled_back_change_bumps_nothing(app, seeded, api):
    uid = me(api)["id"]
    with app.test_request_context():
        before = profile_cache.lookup(uid).stamp
        db.session.execute(text("UPDATE users SET nickname = 'x' WHERE id = :id"), {"id": uid})
        profile_versions.touch(uid)
        db.session.rollback()
        db.session.commit()
        assert profile_cache.lookup(uid).stamp == before


def test_without_a_reachable_redis_me_reads_the_database(api, seeded, app, monkeypatch):
    closed = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(profile_cache, "get_redis", lambda: closed)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    first = me(api)
    api.patch(ME, "resident-4", json={"nickname": "无缓存"})  # the lost bump is only logged
    assert me(api) == {**first, "nickname": "无缓存"}
