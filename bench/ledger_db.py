"""Throwaway PostgreSQL database and app for the ledger benchmarks."""

import argparse
import os
import statistics
import uuid
from contextlib import contextmanager

import psycopg

DEFAULT_ADMIN_URL = os.environ.get(
    "DATABASE_URL", os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
)


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--pg",
        default=DEFAULT_ADMIN_URL,
        help="PostgreSQL URL used to create and drop a throwaway database (default: DATABASE_URL)",
    )
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL"), help="optional Redis URL")
    return parser


@contextmanager
def throwaway_app(admin_url: str, redis_url: str | None = None):
    """An app on a fresh, migrated database that is dropped afterwards."""
    from flask_migrate import upgrade

    from server import create_app
    from server.db.session import db

    name = f"rp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": redis_url,
                "REDIS_PREFIX": f"{name}:",
                "LOG_LEVEL": "WARNING",
                "SEED_POINTS_HISTORY": False,
            }
        )
        with app.app_context():
            upgrade(revision="heads")
            yield app, url
            db.session.remove()
            db.engine.dispose()
    finally:
        if redis_url:
            from redis import Redis

            client = Redis.from_url(redis_url)
            for key in client.scan_iter(match=f"{name}:*"):
                client.delete(key)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_community(code: str = "bench") -> int:
    from server.community.models import Community, Street
    from server.db.session import db

    street = Street(name=f"{code}街道", district="基准区")
    db.session.add(street)
    db.session.flush()
    community = Community(street_id=street.id, name=f"{code}社区", code=code)
    db.session.add(community)
    db.session.commit()
    return community.id


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(p(values, 0.50) * 1000, 3),
        "p99_ms": round(p(values, 0.99) * 1000, 3),
        "mean_ms": round(statistics.fmean(values) * 1000, 3),
    }
