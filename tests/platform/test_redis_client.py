"""get_redis(): a connection per thread, and never an exception of its own."""

import threading

import pytest
from redis.exceptions import RedisError

from server.platform.redis_client import get_redis


@pytest.mark.redis
def test_each_thread_keeps_its_own_client(app):
    with app.app_context():
        mine = get_redis()
        assert get_redis() is mine
        assert mine.ping()
    theirs = []

    def other():
        with app.app_context():
            theirs.append(get_redis())
            theirs.append(get_redis().ping())

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert theirs[0] is not mine and theirs[1] is True


def test_unreachable_redis_fails_at_the_command_not_at_get_redis(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    with app.app_context():
        client = get_redis()
        assert client is not None
        with pytest.raises(RedisError):
            client.get("anything")
