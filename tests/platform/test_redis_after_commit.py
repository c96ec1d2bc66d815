"""Redis writes collected during a transaction: sent together once it commits."""

import pytest
from redis import Redis
from sqlalchemy import text

from server.db.session import db
from server.platform import redis_after_commit
from server.platform.redis_client import get_redis, redis_key

_PENDING = "test_after_commit"


@pytest.fixture
def collected(monkeypatch):
    """A collector like the domains' own: pops what the transaction queued in session.info."""
    failures: list = []

    def collect(session):
        pending = session.info.pop(_PENDING, None)
        if not pending:
            return None
        return redis_after_commit.Batch(
            incr=pending["incr"],
            incr_ttl=60,
            zincrby=pending["zincrby"],
            on_failure=failures.append,
        )

    monkeypatch.setattr(redis_after_commit, "_collectors", [collect])
    return failures


def _queue(incr, zincrby):
    db.session.execute(text("SELECT 1"))  # inside a transaction, as a service would be
    db.session.info[_PENDING] = {"incr": incr, "zincrby": zincrby}


@pytest.mark.redis
def test_counters_and_sorted_sets_are_applied_after_commit(app, collected):
    with app.test_request_context():
        redis = get_redis()
        counter, ranking = redis_key("t", "v"), redis_key("t", "rank")
        _queue([counter], [(ranking, 5, "a"), (ranking, 3, "b"), (ranking, 2, "a")])
        assert redis.get(counter) is None  # nothing before the commit
        db.session.commit()
        assert int(redis.get(counter)) == 1
        assert redis.zrange(ranking, 0, -1, withscores=True) == [(b"b", 3.0), (b"a", 7.0)]
        assert 0 < redis.ttl(counter) <= 60 and redis.ttl(ranking) == -1  # sets never expire
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        assert int(redis.get(counter)) == 1  # a commit that collected nothing sends nothing
    assert collected == []


def test_when_redis_refuses_each_batch_undoes_its_own(app, collected, monkeypatch):
    closed = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(redis_after_commit, "get_redis", lambda: closed)
    with app.test_request_context():
        _queue(["rp-test:v"], [("rp-test:rank", 1, "a")])
        db.session.commit()  # the commit stands; only the mirror in Redis is lost
    assert collected == [closed]
