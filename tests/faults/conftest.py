"""One stack of processes for the fault tests: PostgreSQL, Redis, the emulator and gunicorn of
their own, migrated and seeded with the demo once. A test that takes a part down brings it back.

The tests run in the PostgreSQL pass (each file marks itself `postgres`) and, under
pytest-xdist, on one worker (`xdist_group("faults")` with scripts/test's `--dist loadgroup`), so
the stack is built once.
"""

import secrets

import psycopg
import pytest
import requests

from tests.faults.api_process import OwnApi, api_env
from tests.faults.processes import OwnEmulator, OwnPostgres, OwnRedis


class FaultStack:
    def __init__(self, base):
        self.parts = []
        self.pg = self._own(OwnPostgres())
        self.redis = self._own(OwnRedis())
        self.emulator = self._own(OwnEmulator())
        self.uploads = base / "uploads"
        self.uploads.mkdir()
        env = api_env(self.pg, self.redis, self.emulator, self.uploads)
        self.api = OwnApi(base, env)
        self.parts.append(self.api)
        self.api.flask("db", "upgrade", "heads")
        self.api.flask("seed-demo")
        self.http = requests.Session()

    def _own(self, part):
        self.parts.append(part)
        return part

    def close(self):
        for part in reversed(self.parts):
            part.close()

    # -- talking to it ----------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.api.url + "/api/v1" + path

    def login(self, identity: str) -> dict:
        code = f"{identity}.{secrets.token_hex(6)}"
        resp = requests.post(self.url("/auth/wechat-login"), json={"code": code}, timeout=10)
        assert resp.status_code == 200, resp.text
        return {"Authorization": "Bearer " + resp.json()["token"]}

    def sql(self, query: str, *params):
        with psycopg.connect(self.pg.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(query, params).fetchall()


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    built = FaultStack(tmp_path_factory.mktemp("faults"))
    yield built
    built.close()
