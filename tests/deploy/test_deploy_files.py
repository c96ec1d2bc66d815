"""The committed nginx site and systemd units agree with the app they serve."""

import json
import re
import runpy
from pathlib import Path

import pytest

from server.uploads.service import DEFAULT_MAX_BYTES
from tests.deploy.readme_lines import ROOT

DEPLOY = ROOT / "deploy"
NGINX = (DEPLOY / "nginx" / "redpoints.conf").read_text()
SYSTEMD = DEPLOY / "systemd"


def _size(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", text).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def test_nginx_answers_its_own_refusals_with_the_error_envelope():
    pages = dict(re.findall(r"error_page (\d+)(?: =\d+)? /_errors/(\d+)\.json;", NGINX))
    assert set(pages.values()) == {"400", "413", "414", "431", "501", "502", "504"}
    assert pages["494"] == "431"  # nginx's "header too large" goes out as 431
    assert "alias /opt/redpoints/deploy/nginx/errors/;" in NGINX
    for status in pages.values():
        body = json.loads((DEPLOY / "nginx" / "errors" / f"{status}.json").read_text())
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", body["error"]["code"])
        assert re.search(r"[\u4e00-\u9fff]", body["error"]["message"])
        assert isinstance(body["error"]["details"], dict)


def test_nginx_limits_sit_between_a_photo_and_the_apps_and_gunicorns_limits(app):
    body = _size(re.search(r"client_max_body_size (\w+);", NGINX).group(1))
    assert DEFAULT_MAX_BYTES < body < app.config["MAX_CONTENT_LENGTH"]
    line = _size(re.search(r"large_client_header_buffers \d+ (\w+);", NGINX).group(1))
    gunicorn = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert line < gunicorn["limit_request_line"] and line < gunicorn["limit_request_field_size"]


def test_nginx_sends_exactly_the_headers_trusted_proxies_reads():
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in NGINX
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in NGINX


def _jobs() -> dict[str, list[str]]:
    jobs = {}
    for path in (SYSTEMD / "jobs").glob("*.env"):
        args = re.search(r"^REDPOINTS_JOB_ARGS=(.+)$", path.read_text(), re.M).group(1)
        jobs[path.stem] = args.split()
    return jobs


@pytest.mark.parametrize("name", sorted(_jobs()))
def test_every_periodic_job_is_a_command_of_the_app_with_a_timer(app, name):
    result = app.test_cli_runner().invoke(args=[*_jobs()[name], "--help"])
    assert result.exit_code == 0, result.output
    timer = (SYSTEMD / f"redpoints-job-{name}.timer").read_text()
    assert f"Unit=redpoints-job@{name}.service" in timer and "OnCalendar=" in timer


def test_units_run_what_the_checkout_holds():
    for unit in SYSTEMD.glob("*.service"):
        text = unit.read_text()
        assert "EnvironmentFile=/etc/redpoints/redpoints.env" in text, unit.name
        assert "WorkingDirectory=/opt/redpoints" in text, unit.name
    api = (SYSTEMD / "redpoints-api.service").read_text()
    assert "gunicorn -c gunicorn.conf.py" in api and (ROOT / "gunicorn.conf.py").is_file()
    timers = {p.name for p in SYSTEMD.glob("redpoints-job-*.timer")}
    assert timers == {f"redpoints-job-{name}.timer" for name in _jobs()}
    assert Path(SYSTEMD / "redpoints-job@.service").is_file()
