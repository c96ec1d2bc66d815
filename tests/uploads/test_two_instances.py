"""Two real gunicorn instances that share only the database and the S3 store serve each other's
photos (issue 15: N app instances share nothing but PostgreSQL, Redis and the store).

Each instance has its own UPLOAD_DIR, which stays empty. The database is a scratch one made for
this test (a PostgreSQL database in the PostgreSQL pass, an SQLite file otherwise).
"""

import hashlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

from server import create_app
from server.db.session import db
from tests import dbutil
from tests.claims_helpers import image_bytes
from tests.conftest import APPID, SECRET

ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE = 90  # seconds for gunicorn to import the app and answer on a busy machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def scratch_database(tmp_path):
    """An empty database of the suite's kind, migrated and seeded with the demo community."""
    url, drop = dbutil.create_database(tmp_path)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "WECHAT_APPID": APPID, "LOG_LEVEL": "WARNING"}
    )
    with app.app_context():
        from flask_migrate import upgrade

        from server.commands.seed_demo import seed_demo

        upgrade(revision="heads")
        seed_demo()
        db.session.remove()
        db.engine.dispose()
    yield url
    drop()


class Instance:
    """One gunicorn process of the app; stopped (only it) when the test ends."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.upload_dir = Path(env["UPLOAD_DIR"])
        self.log = log
        env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"gunicorn exited:\n{self.log.read_text()}"
            try:
                if requests.get(self.base + "/healthz", timeout=5).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass  # bound but still importing the app
            time.sleep(0.2)
        pytest.fail(f"gunicorn did not answer on {self.base}:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def stored_files(self) -> list[Path]:
        return [p for p in self.upload_dir.rglob("*") if p.is_file()]


@pytest.fixture
def two_instances(tmp_path, scratch_database, bucket, emulator):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "UPLOAD_", "AWS_"))}
    for name in ("REDPOINTS_ENV", "FLASK_ENV"):
        env.pop(name, None)
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DATABASE_URL": scratch_database,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "WECHAT_APPID": APPID,
            "WECHAT_SECRET": SECRET,
            "WECHAT_API_BASE": emulator.base,
            "LOG_LEVEL": "WARNING",
            "GUNICORN_WORKERS": "1",
            "GUNICORN_THREADS": "2",
            **bucket.settings,
        }
    )
    redis_url = os.environ.get("TEST_REDIS_URL")
    if redis_url:  # the production shape: the instances also share Redis
        env.update({"REDIS_URL": redis_url, "REDIS_PREFIX": f"rp-two-{uuid.uuid4().hex[:8]}:"})
    else:
        env.pop("REDIS_URL", None)
    instances = []
    try:
        for n in (1, 2):
            upload_dir = tmp_path / f"uploads-{n}"
            upload_dir.mkdir()
            instances.append(
                Instance({**env, "UPLOAD_DIR": str(upload_dir)}, tmp_path / f"gunicorn-{n}.log")
            )
        for instance in instances:
            instance.wait_ready()
        yield instances
    finally:
        for instance in instances:
            instance.stop()
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(match=env["REDIS_PREFIX"] + "*", count=1000):
                client.delete(key)


def login(instance: Instance, emulator, identity: str) -> dict:
    resp = requests.post(
        instance.base + "/api/v1/auth/wechat-login",
        json={"code": emulator.code(identity)},
        timeout=30,
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def post_photo(instance: Instance, auth: dict, data: bytes) -> dict:
    resp = requests.post(
        instance.base + "/api/v1/uploads",
        headers=auth,
        files={"file": ("photo.jpg", data, "image/jpeg")},
        timeout=30,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_two_instances_on_different_upload_dirs_serve_each_others_photos(
    two_instances, bucket, emulator
):
    first, second = two_instances
    auth_1 = login(first, emulator, "resident-1")
    auth_2 = login(second, emulator, "resident-2")

    one = post_photo(first, auth_1, image_bytes("JPEG", size=(120, 80), color=(10, 120, 30)))
    two = post_photo(second, auth_1, image_bytes("JPEG", size=(90, 60), color=(200, 10, 90)))
    for photo in (one, two):
        seen = {}
        for instance in (first, second):
            resp = requests.get(instance.base + photo["url"], headers=auth_1, timeout=30)
            assert resp.status_code == 200, resp.text
            assert resp.headers["Content-Type"] == "image/jpeg"
            assert resp.headers["Cache-Control"] == "private, max-age=3600"
            seen[instance.port] = hashlib.sha256(resp.content).hexdigest()
        assert len(set(seen.values())) == 1 and len(resp.content) == photo["size"]

        # The access check holds on every instance: another resident sees nothing.
        for instance in (first, second):
            resp = requests.get(instance.base + photo["url"], headers=auth_2, timeout=30)
            assert resp.status_code == 404 and resp.json()["error"]["code"] == "upload_not_found"

    # The photos are in the bucket, under the prefix, and on neither machine's disk.
    keys = bucket.keys()
    assert len(keys) == 2 and all(k.startswith("photos/") for k in keys)
    assert first.stored_files() == [] and second.stored_files() == []
