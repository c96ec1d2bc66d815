"""Requests gunicorn refuses before the app get the status docs/api-errors.md gives them.

gunicorn writes those answers itself (an HTML page: it has no public hook for them, and the
project uses no private one); behind the documented nginx, whose limits are lower, nginx
refuses them first with the envelope (tests/deploy/test_deploy_files.py checks the limits).

Runs gunicorn with the project's gunicorn.conf.py on a loopback port (one worker) and speaks
raw HTTP to it, since no client library will send a malformed request.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_port(database_url, tmp_path_factory):
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        "UPLOAD_DIR": str(tmp_path_factory.mktemp("gunicorn-uploads")),
    }
    env.pop("REDPOINTS_ENV", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).ok:
                    break
            except (requests.ConnectionError, requests.Timeout):  # still booting
                pass
            assert process.poll() is None, "gunicorn exited"
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _exchange(port: int, raw: bytes) -> tuple[int, dict, dict]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(raw)
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, body = data.partition(b"\r\n\r\n")
                length = [
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ]
                if length and len(body) >= length[0]:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = dict(line.split(": ", 1) for line in lines[1:])
    headers = {k.lower(): v for k, v in headers.items()}
    return status, headers, body


def _request(target: str, *headers: str) -> bytes:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


@pytest.mark.parametrize(
    "raw, status, code",
    [
        (_request("/api/v1/nowhere?x=" + "a" * 9000), 414, "uri_too_long"),
        (_request("/healthz", "X-Long: " + "a" * 9000), 431, "headers_too_large"),
        (_request("/healthz", *[f"X-N{i}: 1" for i in range(4100)]), 431, "headers_too_large"),
        (_request("/healthz", "X-Bad: a\x01b"), 400, "bad_request"),
        (_request("/healthz", "X-Bad: a\x7fb"), 400, "bad_request"),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400,
         "bad_request"),
    ],
    ids=["long-request-line", "long-header", "many-headers", "control-char", "del-char",
         "transfer-coding"],
)  # fmt: skip
def test_gunicorn_refuses_before_the_app_with_the_documented_status(
    gunicorn_port, raw, status, code
):
    got, headers, body = _exchange(gunicorn_port, raw)
    assert got == status
    assert b'"error"' not in body  # gunicorn's own answer: the app never saw the request
    documented = (ROOT / "docs" / "api-errors.md").read_text(encoding="utf-8")
    assert f"gunicorn: {status}" in documented


def test_long_urls_and_headers_within_the_limits_reach_the_app(gunicorn_port):
    status, headers, body = _exchange(
        gunicorn_port,
        _request("/api/v1/nowhere?x=" + "a" * 8000, "X-Long: " + "a" * 8000),
    )
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"  # the app's
