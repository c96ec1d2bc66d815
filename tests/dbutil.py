"""Throwaway databases for one test run: SQLite files, or PostgreSQL databases made and dropped."""

import os
import uuid
from pathlib import Path

import psycopg

# Any database the user may connect to and CREATE DATABASE from; `postgres` always exists.
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def target() -> str:
    return os.environ.get("TEST_DATABASE", "sqlite")


def create_database(tmp_dir: Path) -> tuple[str, callable]:
    """Create an empty database; return its URL and a function that drops it."""
    if target() == "postgresql":
        name = f"rp_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = PG_ADMIN_URL.rsplit("/", 1)[0]

        def drop():
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"{base}/{name}", drop
    path = tmp_dir / f"rp_{uuid.uuid4().hex[:8]}.sqlite3"

    def remove():
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)

    return f"sqlite:///{path}", remove
