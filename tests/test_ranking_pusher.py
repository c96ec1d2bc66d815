"""The background sender of ranking increments: batching, waiting for it, and losing a batch."""

import threading

from redis.exceptions import ConnectionError as RedisConnectionError

from server.points.ranking_pusher import RankingPusher


class FakeRedis:
    """Records pipelines; `gate` holds execute() until set; `fail` makes it raise."""

    def __init__(self, fail: bool = False):
        self.pipelines: list[list[tuple]] = []
        self.deleted: list[str] = []
        self.fail = fail
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()

    def pipeline(self, transaction=False):
        return FakePipeline(self)

    def delete(self, *keys):
        self.deleted.extend(keys)


class FakePipeline:
    def __init__(self, client: FakeRedis):
        self.client, self.commands = client, []

    def zincrby(self, key, delta, member):
        self.commands.append((key, delta, member))

    def execute(self):
        self.client.started.set()
        self.client.gate.wait(5)
        if self.client.fail:
            raise RedisConnectionError("down")
        self.client.pipelines.append(self.commands)


def test_waiting_returns_once_everything_queued_was_sent():
    pusher, client = RankingPusher(), FakeRedis()
    client.gate.clear()
    pusher.submit(client, [("rank:1:person:2026-11", 5, "000000000007")], {"rank:1:ready"})
    assert client.started.wait(5)
    assert pusher.wait(timeout=0.05) is False  # still in flight
    client.gate.set()
    assert pusher.wait(timeout=5) is True
    assert client.pipelines == [[("rank:1:person:2026-11", 5, "000000000007")]]


def test_increments_queued_while_sending_go_out_together():
    pusher, client = RankingPusher(), FakeRedis()
    client.gate.clear()
    pusher.submit(client, [("k", 1, "a")], set())
    assert client.started.wait(5)
    for n in range(2, 7):
        pusher.submit(client, [("k", n, "a"), ("q", n, "b")], set())
    client.gate.set()
    assert pusher.wait(timeout=5)
    assert len(client.pipelines) == 2  # one for the first, one for the five queued behind it
    assert [c[1] for c in client.pipelines[1]] == [2, 2, 3, 3, 4, 4, 5, 5, 6, 6]


def test_a_lost_batch_unmarks_its_communities_and_the_sender_carries_on():
    pusher, broken, good = RankingPusher(), FakeRedis(fail=True), FakeRedis()
    pusher.submit(broken, [("rank:3:person:2026", 5, "x")], {"rank:3:ready"})
    assert pusher.wait(timeout=5)
    assert broken.pipelines == [] and broken.deleted == ["rank:3:ready"]
    pusher.submit(good, [("rank:4:person:2026", 1, "y")], {"rank:4:ready"})
    assert pusher.wait(timeout=5)
    assert good.pipelines == [[("rank:4:person:2026", 1, "y")]] and good.deleted == []
