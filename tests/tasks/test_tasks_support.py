"""Shared helpers for the volunteer-task tests (no tests here)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from server.auth.models import User
from server.community.models import Community, Grid, Membership
from server.db.session import db
from server.points.models import PointItem
from server.tasks import clock
from server.tasks.models import Task, TaskSignup
from server.wechat.emulator import stable_id
from tests.conftest import APPID
from tests.factories import add_other_community

T0 = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


class Clock:
    """Freeze the tasks domain's clock and move it by hand."""

    def __init__(self, monkeypatch, start: datetime = T0):
        self.now = start
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **kwargs) -> None:
        self.now = self.now + timedelta(**kwargs)


def user_id(query, identity: str) -> int:
    openid = stable_id(APPID, identity, "openid")
    return query(lambda s: s.scalar(select(User.id).where(User.openid == openid)))


def community_id(query, code: str = "demo") -> int:
    return query(lambda s: s.scalar(select(Community.id).where(Community.code == code)))


def grid_id(query, code: str) -> int:
    cid = community_id(query)
    return query(
        lambda s: s.scalar(select(Grid.id).where(Grid.community_id == cid, Grid.code == code))
    )


def item_id(query, code: str = "C01") -> int:
    return query(lambda s: s.scalar(select(PointItem.id).where(PointItem.code == code)))


def task_body(query, **overrides) -> dict:
    """A valid POST /tasks body starting a day after the frozen clock."""
    starts = T0 + timedelta(days=1)
    body = {
        "title": "垃圾分类志愿督导",
        "description": "周末早上在小区垃圾投放点督导分类",
        "reward_kind": "item",
        "point_item_id": item_id(query),
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": 3,
        "place_name": "幸福里 3 号投放点",
        "latitude": 31.2304,
        "longitude": 121.4737,
        "radius_m": 200,
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def create_task(api, query, as_: str = "admin", **overrides) -> dict:
    resp = api.post("/api/v1/tasks", as_, json=task_body(query, **overrides))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def load_user(identity: str) -> User:
    """Inside an app context: the User of an emulator identity."""
    openid = stable_id(APPID, identity, "openid")
    return db.session.scalar(select(User).where(User.openid == openid))


def make_other_community(app) -> tuple[int, int]:
    """A second community with one member ('stranger'); returns (community id, user id)."""
    with app.app_context():
        other, _grid = add_other_community()
        stranger = User(openid=stable_id(APPID, "stranger", "openid"), real_name="外人")
        db.session.add(stranger)
        db.session.flush()
        db.session.add(Membership(user_id=stranger.id, community_id=other.id))
        db.session.commit()
        return other.id, stranger.id


def make_residents(app, community: int, count: int, prefix: str = "rush") -> list[int]:
    """Many members at once, for load tests; returns their user ids."""
    with app.app_context():
        users = [
            User(openid=stable_id(APPID, f"{prefix}-{n}", "openid"), nickname=f"{prefix}-{n}")
            for n in range(count)
        ]
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all(Membership(user_id=u.id, community_id=community) for u in users)
        db.session.commit()
        return [u.id for u in users]


def invariants(query, task_id):
    """Seats as the rows have them: counters equal to the rows, within capacity, seqs unique."""

    def check(s):
        task = s.get(Task, task_id)
        counts = dict(
            s.execute(
                select(TaskSignup.status, func.count())
                .where(TaskSignup.task_id == task_id)
                .group_by(TaskSignup.status)
            ).all()
        )
        assert task.confirmed_count == counts.get("confirmed", 0) <= task.capacity
        assert task.waitlisted_count == counts.get("waitlisted", 0)
        seqs = s.scalars(select(TaskSignup.seq).where(TaskSignup.task_id == task_id)).all()
        assert len(seqs) == len(set(seqs))
        return task, counts

    return query(check)
