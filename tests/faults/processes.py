"""Processes the fault tests own: a PostgreSQL cluster, a Redis server and the WeChat emulator
(the API under gunicorn is in api_process.py). Each can be stopped, killed and started again on
the same port while the others keep running; the tests stop only what they started."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from server.wechat.emulator import create_emulator
from tests.conftest import APPID, SECRET

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE = 90  # seconds: a busy 2-core machine imports the app slowly


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if found:
        return str(found[-1])
    return shutil.which(name) or name


def _as_postgres(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs the suite as root.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class OwnPostgres:
    """A throwaway cluster: initdb into a temporary directory, trust auth on loopback."""

    def __init__(self):
        # Its own /tmp directory: pytest's are private to root, and the server runs as postgres.
        self.home = Path(tempfile.mkdtemp(prefix="rp-fault-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres")
        self.dir = self.home / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/redpoints"
        self._ctl(
            "-D",
            str(self.dir),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C.UTF-8",
            binary="initdb",
        )
        self.start()
        self.psql("CREATE DATABASE redpoints")

    def _ctl(self, *args: str, binary: str = "pg_ctl") -> None:
        subprocess.run(
            _as_postgres([_pg_bin(binary), *args]),
            check=True,
            capture_output=True,
            cwd="/tmp",
            timeout=120,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
            "-c full_page_writes=off -c max_connections=60"
        )
        self._ctl("-D", str(self.dir), "-o", options, "-l", str(self.home / "log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-D", str(self.dir), "-m", mode, "-w", "stop")

    def psql(self, sql: str) -> None:
        import psycopg

        url = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)

    def close(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.home, ignore_errors=True)


class OwnRedis:
    """redis-server on its own port, keeping nothing on disk (as a crash loses everything)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: _redis_pings(self.port), "redis-server", self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # a crash: whatever it held is gone
            self.proc.wait(10)

    close = stop


def _redis_pings(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass  # one line per WeChat call would bury the test's own output


class OwnEmulator:
    """The WeChat emulator on a loopback port in this process; it can be taken down."""

    def __init__(self):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}/"
        self.server = None
        self.start()

    def start(self) -> None:
        self.server = make_server(
            "127.0.0.1",
            self.port,
            create_emulator(APPID, SECRET),
            threaded=True,
            request_handler=_Quiet,
        )
        self.server.block_on_close = False  # stopping never waits for a deliberately slow call
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fault(self, endpoint: str, delay: float = 0.0, errcode=None, times=None) -> None:
        body = {"endpoint": endpoint, "delay": delay, "errcode": errcode, "times": times}
        requests.post(self.base + "_emulator/faults", json=body, timeout=5).raise_for_status()

    def reset(self) -> None:
        requests.post(self.base + "_emulator/reset", timeout=5).raise_for_status()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    close = stop


def terminate(proc: subprocess.Popen, grace: float) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds (what systemd's stop does)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until(ready, what: str, proc: subprocess.Popen | None = None, log: Path | None = None):
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited:\n{log.read_text() if log else ''}")
        if ready():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} not ready after {START_DEADLINE}s")
