import os
import threading
import uuid

import pytest
import requests
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import make_server

from server import create_app
from server.db.session import db
from server.http import rate_limits
from server.outbox.models import OutboxEvent
from server.wechat.emulator import create_emulator
from tests import dbutil, seed_snapshot
from tests.message_contract import outbox_event_problems

APPID = "wxtest0000000000"
SECRET = "test-secret"


def pytest_collection_modifyitems(config, items):
    """`postgres` tests need real concurrency: they run in the PostgreSQL pass only.

    `redis` tests need a Redis (TEST_REDIS_URL): scripts/test gives one to the PostgreSQL pass.
    """
    on_postgres = dbutil.target() == "postgresql"
    with_redis = bool(os.environ.get("TEST_REDIS_URL"))

    def runs(item) -> bool:
        if item.get_closest_marker("postgres") is not None and not on_postgres:
            return False
        return item.get_closest_marker("redis") is None or with_redis

    dropped = [i for i in items if not runs(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if runs(i)]


def pytest_report_header(config):
    return f"database: {dbutil.target()}, redis: {os.environ.get('TEST_REDIS_URL') or 'none'}"


@pytest.fixture(scope="session")
def emulator():
    """The WeChat emulator on a loopback port, as the app would reach the real thing."""
    emu = create_emulator(APPID, SECRET)
    server = make_server("127.0.0.1", 0, emu, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/"
    yield Emulator(base, emu.extensions["wechat_emulator"])
    server.shutdown()


class Emulator:
    def __init__(self, base, state):
        self.base = base
        self.state = state

    def code(self, identity: str) -> str:
        return requests.post(self.base + "_emulator/codes", json={"identity": identity}).json()[
            "code"
        ]

    def fault(self, endpoint: str, errcode=None, delay=0.0, times=None):
        body = {"endpoint": endpoint, "errcode": errcode, "delay": delay, "times": times}
        requests.post(self.base + "_emulator/faults", json=body).raise_for_status()

    def advance(self, seconds: float):
        requests.post(self.base + "_emulator/clock", json={"advance_seconds": seconds})

    def reset(self):
        requests.post(self.base + "_emulator/reset").raise_for_status()


OUTBOX_COLUMNS = [
    getattr(OutboxEvent, name)
    for name in ("event_type", "aggregate_type", "aggregate_id", "community_id", "payload")
]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url, drop = dbutil.create_database(tmp_path_factory.mktemp("db"))
    yield url
    drop()


@pytest.fixture(scope="session")
def redis_prefix():
    return f"rp-test-{uuid.uuid4().hex[:10]}:"


@pytest.fixture(scope="session")
def app(database_url, emulator, redis_prefix, tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REDIS_URL": os.environ.get("TEST_REDIS_URL") or None,
            "REDIS_PREFIX": redis_prefix,
            "WECHAT_APPID": APPID,
            "WECHAT_SECRET": SECRET,
            "WECHAT_API_BASE": emulator.base,
            "WECHAT_TIMEOUT": 1.0,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_DEVICE_RATE_LIMIT": "1000 per minute",
            "LOGIN_IDENTITY_RATE_LIMIT": "1000 per minute",
            "LOG_LEVEL": "WARNING",
            "UPLOAD_DIR": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
    yield app
    with app.app_context():
        db.engine.dispose()
    redis = _redis(app)
    if redis is not None:
        for key in redis.scan_iter(match=redis_prefix + "*", count=1000):
            redis.delete(key)


def _redis(app):
    with app.app_context():
        from server.platform.redis_client import get_redis

        return get_redis()


def _empty_postgresql(conn, tables: list[str]) -> None:
    """Empty every table and restart its ids, as TRUNCATE ... RESTART IDENTITY would.

    TRUNCATE pays a fixed ~0.1 s (new files, a flush) however little a test wrote; DELETE of a
    few rows costs about a tenth of that. Replica mode skips the triggers on the way: the
    append-only guard on ledger entries, and foreign keys (every table is emptied anyway).
    """
    try:
        with conn.begin_nested():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
    except DBAPIError:  # only superusers may skip triggers
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        return
    for name in tables:
        conn.execute(text(f"DELETE FROM {name}"))
    conn.execute(
        text(
            "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
            "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
        )
    )


def empty_database() -> None:
    """Empty every table (in an app context); on PostgreSQL also restart every sequence."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            _empty_postgresql(conn, tables)
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(autouse=True)
def _clean_state(request, app, emulator):
    """Every test starts from empty tables, reset limits and a well-behaved emulator."""
    yield
    with app.app_context():
        db.session.remove()
        problems = outbox_event_problems(db.session.execute(select(*OUTBOX_COLUMNS)))
        db.session.remove()
        empty_database()
        rate_limits.reset(app)
    redis = _redis(app)
    if redis is not None:
        prefix = app.config["REDIS_PREFIX"]
        for key in redis.scan_iter(match=prefix + "*", count=1000):
            redis.delete(key)
    emulator.reset()
    if problems:
        pytest.fail("outbox events break schemas/events.json:\n" + "\n".join(problems[:20]))


@pytest.fixture(scope="module")
def live_url(app):
    """Serve the app over real HTTP on loopback, as the mini-program would reach it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def query(app):
    """Run `fn(session)` in a fresh app context, as a separate reader would see the database."""

    def run(fn):
        with app.app_context():
            try:
                return fn(db.session)
            finally:
                db.session.remove()

    return run


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app, emulator):
    """The demo community (server/commands/seed_demo.py), restored from a per-session snapshot."""
    seed_snapshot.seed(app, emulator.state.calls)


class Api:
    """Test helper that logs in through the emulator and calls the API like the mini-program."""

    def __init__(self, client, emulator):
        self.client = client
        self.emulator = emulator
        self.tokens: dict[str, str] = {}

    def login(self, identity: str) -> dict:
        resp = self.client.post(
            "/api/v1/auth/wechat-login", json={"code": self.emulator.code(identity)}
        )
        assert resp.status_code == 200, resp.get_json()
        body = resp.get_json()
        self.tokens[identity] = body["token"]
        return body

    def headers(self, identity: str) -> dict:
        if identity not in self.tokens:
            self.login(identity)
        return {"Authorization": f"Bearer {self.tokens[identity]}"}

    def call(self, method: str, path: str, as_: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if as_:
            headers.update(self.headers(as_))
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def get(self, path, as_=None, **kw):
        return self.call("GET", path, as_, **kw)

    def post(self, path, as_=None, **kw):
        return self.call("POST", path, as_, **kw)

    def patch(self, path, as_=None, **kw):
        return self.call("PATCH", path, as_, **kw)

    def delete(self, path, as_=None, **kw):
        return self.call("DELETE", path, as_, **kw)


@pytest.fixture
def api(client, emulator):
    return Api(client, emulator)


def error_code(resp) -> str:
    body = resp.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    return body["error"]["code"]
