"""scripts/run refuses a taken port up front instead of printing "running"."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _listening() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("taken", ["API_PORT", "EMULATOR_PORT"])
def test_scripts_run_exits_non_zero_naming_a_taken_port(taken, tmp_path):
    with _listening() as holder:
        port = holder.getsockname()[1]
        ports = {
            "API_PORT": str(_free_port()),
            "EMULATOR_PORT": str(_free_port()),
            taken: str(port),
        }
        env = {k: v for k, v in os.environ.items() if k not in ("GUNICORN_BIND", "DATABASE_URL")}
        # A scratch database: were the check to fail, nothing would touch instance/.
        env.update(ports, DATABASE_URL=f"sqlite:///{tmp_path / 'never.sqlite3'}")
        result = subprocess.run(
            [str(ROOT / "scripts" / "run")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"port {port}" in result.stderr and f"({taken})" in result.stderr
    assert "running" not in result.stdout
    assert not (tmp_path / "never.sqlite3").exists()
