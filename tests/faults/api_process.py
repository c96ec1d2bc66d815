"""The API under gunicorn for the fault tests, and the processes systemd would run beside it."""

import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import requests

from tests.conftest import APPID, SECRET
from tests.faults.processes import (
    ROOT,
    OwnEmulator,
    OwnPostgres,
    OwnRedis,
    free_port,
    terminate,
    wait_until,
)


class OwnApi:
    """The API under gunicorn (gunicorn.conf.py) from `tests.faults.wsgi`, with its env."""

    def __init__(self, base: Path, env: dict[str, str]):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = base / "gunicorn.log"
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "gunicorn.conf.py",
                    "tests.faults.wsgi:app",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._answers, "gunicorn", self.proc, self.log)

    def _answers(self) -> bool:
        try:
            return requests.get(self.url + "/healthz", timeout=3).status_code == 200
        except requests.RequestException:
            return False

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def flask(self, *args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "server", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    def spawn(self, *args: str, name: str) -> subprocess.Popen:
        """A `flask --app server …` process beside the API (a jobs worker, the cron)."""
        out = (self.log.parent / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "server", *args],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        out.close()
        return proc

    def close(self) -> None:
        if self.proc is not None:
            terminate(self.proc, grace=30)


def api_env(pg: OwnPostgres, redis: OwnRedis, emulator: OwnEmulator, uploads: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("S3_", "UPLOAD_", "AWS_", "REDIS_", "DATABASE_", "GUNICORN_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=pg.url,
        REDIS_URL=redis.url,
        REDIS_PREFIX=f"rp-fault-{secrets.token_hex(4)}:",
        SECRET_KEY=secrets.token_urlsafe(48),
        WECHAT_APPID=APPID,
        WECHAT_SECRET=SECRET,
        WECHAT_API_BASE=emulator.base,
        WECHAT_TIMEOUT="1.5",
        UPLOAD_DIR=str(uploads),
        LOG_LEVEL="WARNING",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
        # A takeover of a crashed request's key after 2 s, not a minute, so the test is short.
        IDEMPOTENCY_IN_FLIGHT_SECONDS="2",
        PYTHONUNBUFFERED="1",
    )
    return env


class Supervised:
    """`flask --app server <args>` kept running the way systemd's Restart=on-failure does
    (deploy/systemd), restarted a second after it exits; `close` stops it for good."""

    def __init__(self, api: OwnApi, *args: str, name: str):
        self.api, self.args, self.name = api, args, name
        self.restarts = 0
        self.proc = api.spawn(*args, name=name)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.wait(1.0):
            if self.proc.poll() is not None:
                self.restarts += 1
                self.proc = self.api.spawn(*self.args, name=self.name)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        terminate(self.proc, grace=15)
