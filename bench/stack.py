"""The running stack: throwaway database, WeChat emulator and the API under gunicorn."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from bench.cleanup import RunState, cleanup, stop_group
from bench.memory import children, cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
WECHAT_APPID = "wxdemo0000000000"  # the emulator's and the app's defaults, stated once here
WECHAT_SECRET = "demo-secret"


class StackError(RuntimeError):
    """The stack could not be brought up."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_loopback(url: str, what: str) -> None:
    host = urlsplit(url).hostname
    if host not in LOOPBACK:
        raise StackError(f"{what} must be on loopback (127.0.0.1), not {host!r}")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class StackContext:
    """What scenario setups get: where things run and how to act on them."""

    base_url: str
    db_url: str
    emulator_url: str
    redis_url: str
    redis_prefix: str
    env: dict[str, str]  # the API's environment, for `flask --app server ...` commands
    run_dir: Path
    resident_count: int = 20  # resident-1 .. resident-20 exist after seed-demo
    http: requests.Session = field(default_factory=requests.Session)
    # CPU seconds so far of the API workers and this database's backends (Stack.cpu_snapshot).
    cpu_snapshot: Callable[[], dict[str, dict[int, float]]] | None = None
    _app: object = field(default=None, repr=False)

    def app(self):
        """A Flask app in this process configured like the API (database, Redis prefix, keys).

        For setups that write through the services (ledger credits, signed tokens). Built once.
        """
        if self._app is None:
            from server import create_app

            saved = dict(os.environ)
            os.environ.update(self.env)  # load_config reads the environment, like gunicorn's
            try:
                self._app = create_app({"LOG_LEVEL": "WARNING"})
            finally:
                os.environ.clear()
                os.environ.update(saved)
        return self._app

    def close_app(self) -> None:
        """Release the in-process app's database connections (before the database is dropped)."""
        if self._app is not None:
            from server.db.session import db

            with self._app.app_context():
                db.session.remove()
                db.engine.dispose()

    def request(self, method: str, path: str, token: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        return self.http.request(
            method, self.base_url + path, headers=headers, timeout=30, **kwargs
        )

    def login(self, identity: str) -> str:
        """Log in through the emulator as `identity` (e.g. resident-1); return the bearer token."""
        code = f"{identity}.bench-{secrets.token_hex(8)}"
        resp = self.request("POST", "/api/v1/auth/wechat-login", json={"code": code})
        if resp.status_code != 200:
            raise StackError(f"login as {identity} failed: {resp.status_code} {resp.text[:300]}")
        return resp.json()["token"]

    def flask(self, *args: str) -> str:
        """Run `flask --app server <args>` against the bench database; return its output."""
        return _run([sys.executable, "-m", "flask", "--app", "server", *args], self.env)


def _run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        raise StackError(f"{' '.join(cmd[2:])} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


@dataclass
class StackOptions:
    pg_admin_url: str
    redis_url: str
    workers: int
    threads: int
    max_requests: int
    emulator_threads: int = 8
    wsgi_app: str | None = None  # None: gunicorn.conf.py's wsgi_app


class Stack:
    """Bring up database, emulator and API; `stop()` undoes it (the state file records all)."""

    def __init__(self, opts: StackOptions, run_dir: Path, state: RunState):
        self.opts, self.run_dir, self.state = opts, run_dir, state
        self.procs: dict[str, subprocess.Popen] = {}
        self.api_pid: int | None = None
        self.ctx: StackContext | None = None

    # -- start -------------------------------------------------------------------------------
    def start(self, say) -> StackContext:
        require_loopback(self.opts.pg_admin_url, "PostgreSQL")
        require_loopback(self.opts.redis_url, "Redis")
        token = secrets.token_hex(4)
        db_name, prefix = f"rp_bench_{token}", f"rp_bench_{token}:"
        db_url = with_database(self.opts.pg_admin_url, db_name)
        api_port, emu_port = free_port(), free_port()
        env = self._env(db_url, prefix, api_port, emu_port)

        say(f"database {db_name}: create, migrate to heads, seed-demo")
        self._create_database(db_name, prefix)
        _run([sys.executable, "-m", "flask", "--app", "server", "db", "upgrade", "heads"], env)
        _run([sys.executable, "-m", "flask", "--app", "server", "seed-demo"], env)
        self._analyze(with_database(self.opts.pg_admin_url, db_name))

        say(f"WeChat emulator on 127.0.0.1:{emu_port} (gunicorn, 1 worker)")
        conf = self.run_dir / "emulator_gunicorn.py"
        conf.write_text(
            f"bind = '127.0.0.1:{emu_port}'\nworkers = 1\nthreads = {self.opts.emulator_threads}\n"
            "worker_class = 'gthread'\nloglevel = 'warning'\naccesslog = None\n"
            "errorlog = '-'\nkeepalive = 5\n"
        )
        factory = f"server.wechat.emulator:create_emulator({WECHAT_APPID!r}, {WECHAT_SECRET!r})"
        self._spawn("emulator", [_gunicorn(), "-c", str(conf), factory], env)
        self._wait_http("emulator", f"http://127.0.0.1:{emu_port}/_emulator/calls")

        say(
            f"API on 127.0.0.1:{api_port} (gunicorn.conf.py, {self.opts.workers} workers × "
            f"{self.opts.threads} threads)"
        )
        cmd = [_gunicorn(), "-c", str(ROOT / "gunicorn.conf.py")]
        if self.opts.wsgi_app:
            cmd.append(self.opts.wsgi_app)
        self.api_pid = self._spawn("api", cmd, env).pid
        base = f"http://127.0.0.1:{api_port}"
        self._wait_http("api", base + "/readyz")
        self.ctx = StackContext(
            base_url=base,
            db_url=db_url,
            emulator_url=f"http://127.0.0.1:{emu_port}",
            redis_url=self.opts.redis_url,
            redis_prefix=prefix,
            env=env,
            run_dir=self.run_dir,
            cpu_snapshot=self.cpu_snapshot,
        )
        return self.ctx

    def _env(self, db_url: str, prefix: str, api_port: int, emu_port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=db_url,
            REDIS_URL=self.opts.redis_url,
            REDIS_PREFIX=prefix,
            SECRET_KEY=secrets.token_urlsafe(36),  # 48 characters
            WECHAT_APPID=WECHAT_APPID,
            WECHAT_SECRET=WECHAT_SECRET,
            WECHAT_API_BASE=f"http://127.0.0.1:{emu_port}/",
            # The login and verify scenarios are about their cost, not the limiter refusing them.
            LOGIN_RATE_LIMIT="1000000 per minute",
            LOGIN_DEVICE_RATE_LIMIT="1000000 per minute",
            LOGIN_IDENTITY_RATE_LIMIT="1000000 per minute",
            REDEMPTION_VERIFY_RATE_LIMIT="1000000 per minute",
            LOG_LEVEL="WARNING",
            GUNICORN_BIND=f"127.0.0.1:{api_port}",
            GUNICORN_WORKERS=str(self.opts.workers),
            GUNICORN_THREADS=str(self.opts.threads),
            GUNICORN_MAX_REQUESTS=str(self.opts.max_requests),
            PYTHONUNBUFFERED="1",
        )
        return env

    def _create_database(self, name: str, prefix: str) -> None:
        import psycopg

        # Record first: if CREATE half-happens, cleanup still tries the DROP.
        self.state.update(
            db_name=name,
            admin_url=self.opts.pg_admin_url,
            redis_url=self.opts.redis_url,
            redis_prefix=prefix,
            db_dropped=False,
            redis_cleaned=False,
        )
        with psycopg.connect(self.opts.pg_admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

    @staticmethod
    def _analyze(url: str) -> None:
        """Table statistics, as autovacuum keeps them in production.

        This machine's PostgreSQL runs with autovacuum off; without statistics the planner
        took the sign-up's seat UPDATE through an index on status instead of the primary key.
        """
        import psycopg

        with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
            conn.execute("ANALYZE")

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.run_dir / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
        # A session of its own: Ctrl-C reaches the harness only, which then stops it in order.
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.procs[name] = proc
        self.state.add_pgid(proc.pid)
        return proc

    def _wait_http(self, name: str, url: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise StackError(f"{name} exited early:\n{self.log_tail(name)}")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise StackError(
            f"{name} not ready at {url} after {timeout_s:.0f}s:\n{self.log_tail(name)}"
        )

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.run_dir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def cpu_snapshot(self) -> dict[str, dict[int, float]]:
        """CPU seconds so far of the API workers and of this database's PostgreSQL backends."""
        import psycopg

        with psycopg.connect(self.opts.pg_admin_url, autocommit=True, connect_timeout=5) as conn:
            backends = [
                row[0]
                for row in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s",
                    (self.state.data["db_name"],),
                )
            ]
        return {"api": cpu_seconds(children(self.api_pid)), "db": cpu_seconds(backends)}

    # -- stop --------------------------------------------------------------------------------
    def stop(self) -> None:
        if self.ctx is not None:
            try:
                self.ctx.close_app()
            except Exception:  # noqa: BLE001 - the database is dropped WITH (FORCE) anyway
                pass
        # The API first, so nothing calls the emulator while it goes away.
        for name in ("api", "emulator"):
            proc = self.procs.pop(name, None)
            if proc is not None:
                stop_group(proc.pid)
                proc.wait(timeout=5)
                self.state.remove_pgid(proc.pid)


def _gunicorn() -> str:
    return str(Path(sys.executable).parent / "gunicorn")


@contextmanager
def own_stack(
    *,
    workers: int = 2,
    threads: int = 4,
    pg_admin_url: str = os.environ.get(
        "BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    ),
    redis_url: str = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
):
    """The harness's stack for a standalone script (`python -m bench.<module>`); torn down after."""
    run_dir = Path(tempfile.mkdtemp(prefix="rp-bench-"))
    state = RunState(run_dir)
    stack = Stack(StackOptions(pg_admin_url, redis_url, workers, threads, 0), run_dir, state)
    try:
        yield stack.start(lambda msg: print(msg, file=sys.stderr))
    finally:
        stack.stop()
        for problem in cleanup(state):
            print(problem, file=sys.stderr)
