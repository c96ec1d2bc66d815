"""Undo everything a run created, from the state file it keeps: processes, database, Redis keys.

The harness calls this itself when it ends; scripts/bench calls it again from its trap
(`python -m bench.cleanup <run dir>`) in case the harness died without getting the chance.
Running it twice is harmless.
"""

import json
import os
import signal
import sys
import time
from pathlib import Path

STATE_FILE = "state.json"


class RunState:
    """What one run created, written to disk as soon as it exists."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / STATE_FILE
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {"pgids": []}

    def update(self, **values) -> None:
        self.data.update(values)
        self._save()

    def add_pgid(self, pgid: int) -> None:
        self.data["pgids"].append(pgid)
        self._save()

    def remove_pgid(self, pgid: int) -> None:
        if pgid in self.data["pgids"]:
            self.data["pgids"].remove(pgid)
            self._save()

    def _save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2))
        tmp.replace(self.path)


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_group(pgid: int, grace_s: float = 8.0) -> None:
    """Stop a process group we started: SIGINT to its leader, then SIGKILL to the whole group.

    Only the leader (the gunicorn master) gets SIGINT, its quick shutdown: the master stops its
    workers itself. Signalling the whole group hands each worker a second quit signal while it
    is already exiting, and a gthread worker can then hang until the master's timeout.
    """
    if not _alive(pgid):
        return
    try:
        os.kill(pgid, signal.SIGINT)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            os.waitpid(pgid, os.WNOHANG)  # reap the leader if it is our child
        except ChildProcessError:
            pass
        if not _alive(pgid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def drop_database(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def delete_redis_keys(url: str, prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    deleted = 0
    batch = []
    for key in client.scan_iter(match=prefix + "*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted


def cleanup(state: RunState) -> list[str]:
    """Stop every recorded process group, drop the database, delete the Redis keys."""
    problems = []
    for pgid in list(state.data.get("pgids", [])):
        stop_group(pgid)
        state.remove_pgid(pgid)
    db_name = state.data.get("db_name")
    if db_name and not state.data.get("db_dropped"):
        try:
            drop_database(state.data["admin_url"], db_name)
            state.update(db_dropped=True)
        except Exception as exc:  # noqa: BLE001 - report, keep cleaning
            problems.append(f"could not drop database {db_name}: {exc}")
    prefix = state.data.get("redis_prefix")
    if prefix and not state.data.get("redis_cleaned"):
        try:
            delete_redis_keys(state.data["redis_url"], prefix)
            state.update(redis_cleaned=True)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"could not delete Redis keys {prefix}*: {exc}")
    return problems


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m bench.cleanup <run dir>", file=sys.stderr)
        return 2
    run_dir = Path(sys.argv[1])
    if not (run_dir / STATE_FILE).exists():
        return 0
    problems = cleanup(RunState(run_dir))
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
