"""The hall screen in headless Chromium, from its link over real HTTP on loopback: it loads,
rotates its panels and refreshes its data by itself; a revoked link is refused."""

import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import claims_helpers
from tests.notices.display_helpers import FULL_NAME, LINKS, MASKED, PHONE, create_link, hall

upload_dir = claims_helpers.upload_dir
hall = hall  # the fixture, re-exported for pytest
# DISPLAY_SCREENSHOT=docs/screens/display.png keeps the screenshot for the docs.
KEEP = os.environ.get("DISPLAY_SCREENSHOT")


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def chromium(tmp_path, *args: str) -> str:
    binary = shutil.which("chromium")
    assert binary, "install Debian's chromium (scripts/test does)"
    done = subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1920,1080", f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def showing(dom: str) -> str:
    return re.search(r'<main data-showing="(\w+)"', dom).group(1)


def test_the_screen_loads_rotates_and_refreshes_in_chromium(hall, live_url, tmp_path):
    _link, token = create_link(hall)
    url = f"{live_url}/display/{token}"
    first = chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", url)
    assert showing(first) == "ranking" and MASKED in first and "本月积分榜" in first
    # 16 s of the screen's own time: the next panel; 61 s: it fetched its data again.
    later = chromium(tmp_path, "--virtual-time-budget=61000", "--dump-dom", url)
    assert showing(later) != "ranking" and 'data-refreshed="' in later
    assert 'class="gone"' not in later
    for dom in (first, later):
        assert FULL_NAME not in dom and PHONE not in dom
    shot = tmp_path / "display.png"
    chromium(tmp_path, "--virtual-time-budget=2000", f"--screenshot={shot}", url)
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 1920
    assert int.from_bytes(png[20:24], "big") == 1080
    if KEEP:
        Path(KEEP).write_bytes(png)


def test_a_revoked_link_is_refused_in_chromium(hall, live_url, tmp_path):
    link, token = create_link(hall)
    assert hall.post(f"{LINKS}/{link['id']}/revoke", "admin").status_code == 200
    dom = chromium(
        tmp_path, "--virtual-time-budget=2000", "--dump-dom", f"{live_url}/display/{token}"
    )
    assert "此展示链接已停用" in dom and MASKED not in dom and "本月积分榜" not in dom
