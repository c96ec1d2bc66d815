"""Exit 0 when PostgreSQL and Redis answer on loopback, 1 otherwise (used by scripts/test)."""

import os
import sys

import psycopg
import redis

pg_url = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
problems = []
try:
    psycopg.connect(pg_url, connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    problems.append(f"PostgreSQL at {pg_url}: {exc}")
try:
    redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
except Exception as exc:  # noqa: BLE001
    problems.append(f"Redis at {redis_url}: {exc}")
for problem in problems:
    print(problem, file=sys.stderr)
sys.exit(1 if problems else 0)
