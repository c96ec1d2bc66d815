"""Ranking increments reach Redis from a background thread, many commits per round trip.

A credit's SQL totals commit with it; its Redis sorted sets are only a fast copy. Sending
them from the request thread cost every credit a Redis round trip after its commit, so the
committing thread hands them to this process's sender thread instead and returns. Under
load the sender batches what queued up meanwhile into one pipeline. Reads of Redis rankings
in this process first wait (briefly) until everything queued here has been sent, so a
process always reads its own credits; another process sees them a few milliseconds later.
If sending fails, the affected communities lose their "ready" mark and rankings are read
from SQL until `flask rankings rebuild`, as before.
"""

import atexit
import logging
import os
import queue
import threading
from collections.abc import Iterable

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# (client, [(key, delta, member), ...], ready keys to drop if the batch is lost)
Batch = tuple[Redis, list[tuple[str, int, str]], set[str]]


class RankingPusher:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent = threading.Condition(self._lock)
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._queue: queue.SimpleQueue[Batch] = queue.SimpleQueue()
        self._unsent = 0
        self._thread: threading.Thread | None = None

    def submit(self, client: Redis, increments: list[tuple[str, int, str]], ready: set[str]):
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread and queue are not ours
                self._reset()
            self._unsent += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="ranking-pusher", daemon=True
                )
                self._thread.start()
        self._queue.put((client, increments, ready))

    def wait(self, timeout: float = 2.0) -> bool:
        """Block until everything queued so far in this process was sent (or timeout)."""
        with self._lock:
            if self._pid != os.getpid():
                return True
            return self._sent.wait_for(lambda: self._unsent == 0, timeout)

    def _run(self) -> None:
        while True:
            batches = [self._queue.get()]
            while True:
                try:
                    batches.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                _send(batches)
            except Exception:  # noqa: BLE001 - the sender must outlive any one bad batch
                log.exception("ranking update failed")
            finally:
                with self._lock:
                    self._unsent -= len(batches)
                    self._sent.notify_all()


def _send(batches: Iterable[Batch]) -> None:
    by_client: dict[int, list[Batch]] = {}
    for batch in batches:
        by_client.setdefault(id(batch[0]), []).append(batch)
    for group in by_client.values():
        client = group[0][0]
        pipe = client.pipeline(transaction=False)
        for _client, increments, _ready in group:
            for key, delta, member in increments:
                pipe.zincrby(key, delta, member)
        try:
            pipe.execute()
        except RedisError:
            # SQL totals stay right; reads fall back to them until the next rebuild.
            log.warning("ranking update lost; run `flask rankings rebuild`", exc_info=True)
            lost = set().union(*(ready for _c, _i, ready in group))
            try:
                client.delete(*lost)
            except RedisError:
                pass


pusher = RankingPusher()
# A CLI command or a recycled worker exits soon after its last commit: send what it queued.
atexit.register(pusher.wait, 5.0)
