"""The README's production lines, run as written, end with a 200 login (PostgreSQL + Redis)."""

import os
import signal
import subprocess
import sys
import uuid

import psycopg
import pytest

from tests import dbutil
from tests.deploy.readme_lines import ROOT, free_port, marked_block, substitute

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_readme_production_lines_end_with_a_200_login(tmp_path):
    name = f"rp_readme_{uuid.uuid4().hex[:10]}"
    api, emulator = free_port(), free_port()
    script = substitute(
        marked_block(ROOT / "README.md", "production-lines"),
        {
            "127.0.0.1:8000": f"127.0.0.1:{api}",
            "127.0.0.1:8001": f"127.0.0.1:{emulator}",
            "--port 8001": f"--port {emulator}",
            "5432/redpoints": f"5432/{name}",
            "-U postgres redpoints": f"-U postgres {name}",
        },
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "GUNICORN_"))}
    env.update(
        # As after `source .venv/bin/activate` in this checkout.
        PATH=f"{os.path.dirname(sys.executable)}:{env['PATH']}",
        PYTHONPATH=str(ROOT),
        REDIS_PREFIX=f"rp-readme-{uuid.uuid4().hex[:8]}:",
    )
    log = tmp_path / "out.log"
    with open(log, "w") as out:
        # Its own session, so every process the lines start (emulator, gunicorn and its
        # workers) can be stopped together afterwards.
        proc = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=120)
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    output = log.read_text()
    try:
        assert code == 0, output
        lines = output.strip().splitlines()
        assert lines[-1] == "HTTP 200", output
        assert "token" in output and "NOT WeChat" in output, output
    finally:
        with psycopg.connect(dbutil.PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _forget_redis_keys(env["REDIS_PREFIX"])


def _forget_redis_keys(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(os.environ["TEST_REDIS_URL"])
    for key in client.scan_iter(match=prefix + "*", count=1000):
        client.delete(key)
