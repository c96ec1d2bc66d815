"""The PostgreSQL pass needs only a database it may CREATE DATABASE from, not one named `test`."""

import psycopg
import pytest

from tests import dbutil

pytestmark = pytest.mark.postgres


def test_scratch_databases_need_only_the_maintenance_database(tmp_path, monkeypatch):
    maintenance = dbutil.PG_ADMIN_URL.rsplit("/", 1)[0] + "/postgres"
    monkeypatch.setattr(dbutil, "PG_ADMIN_URL", maintenance)
    url, drop = dbutil.create_database(tmp_path)
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == (name,)
    drop()
    with psycopg.connect(maintenance) as conn:
        gone = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert gone is None
