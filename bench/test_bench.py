"""Unit tests of the harness itself (no stack needed): `.venv/bin/pytest -q bench`."""

import math

import pytest

from bench import report, scenarios, wrk
from bench.memory import WorkerMemory

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:44321/api/v1/me
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    72.67ms   57.23ms    1.37s    71.60%
    Req/Sec   238.10    161.66     1.01k    82.50%
  Latency Distribution
     50%  863.00us
     75%   98.60ms
     90%  147.21ms
     99%    1.27s
  2958 requests in 10.07s, 200.59KB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 12
Requests/sec:    293.74
Transfer/sec:     49.29KB
"""


def test_parse_reads_totals_percentiles_and_errors():
    r = wrk.parse(WRK_OUTPUT)
    assert (r.requests, r.rps, r.duration_s) == (2958, 293.74, 10.07)
    assert r.p50_ms == pytest.approx(0.863)
    assert r.p75_ms == pytest.approx(98.6)
    assert r.p99_ms == pytest.approx(1270.0)
    assert (r.connect_errors, r.read_errors, r.write_errors, r.timeouts) == (1, 2, 3, 4)
    assert r.non_2xx == 12
    assert r.errors == 22


def test_parse_clean_run_has_no_errors():
    clean = "\n".join(
        line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line
    )
    assert wrk.parse(clean).errors == 0


def test_parse_rejects_output_without_totals():
    with pytest.raises(wrk.WrkError):
        wrk.parse("unable to connect to 127.0.0.1:1 Connection refused")


def test_lua_literal_escapes_everything_outside_printable_ascii():
    assert wrk.lua_literal('a"b\\c\n中') == '"a\\034b\\092c\\010\\228\\184\\173"'
    assert wrk.lua_literal(3) == "3"
    assert wrk.lua_literal(True) == "true"


def test_write_script_puts_request_and_vars_before_the_scenario_code(tmp_path):
    path = wrk.write_script(
        tmp_path / "s.lua",
        method="POST",
        headers={"Content-Type": "application/json"},
        body='{"a": 1}',
        lua_vars={"run_id": "ab12", "identities": 20},
        lua_body="-- scenario code",
    )
    text = path.read_text()
    assert 'wrk.method = "POST"' in text
    assert 'wrk.headers["Content-Type"] = "application/json"' in text
    assert '["identities"] = 20,' in text and '["run_id"] = "ab12",' in text
    assert text.index("bench = {") < text.index("-- scenario code")


def test_select_always_keeps_the_ceiling_and_rejects_unknown_names():
    assert [s.name for s in scenarios.select(["me"])] == ["healthz", "me"]
    assert [s.name for s in scenarios.select(None)] == [s.name for s in scenarios.SCENARIOS]
    with pytest.raises(ValueError):
        scenarios.select(["nope"])
    assert sum(s.ceiling for s in scenarios.SCENARIOS) == 1
    for s in scenarios.SCENARIOS:
        s.lua_code()  # every referenced Lua file exists


def _result(name: str, rps: float, p99: float, non_2xx: int = 0) -> report.ScenarioResult:
    sc = next(s for s in scenarios.SCENARIOS if s.name == name)
    w = wrk.WrkResult(100, 10.0, rps, 1.0, 2.0, 3.0, p99, non_2xx)
    return report.ScenarioResult(sc, w, 1.0, 0.5)


def test_checks_pass_and_fail_against_the_targets():
    workers = [WorkerMemory(1, 120.0, 118.0), WorkerMemory(2, None, 90.0)]
    good = [_result("healthz", 1000, 10), _result("me", 600, 20)]
    assert all(c.passed for c in report.checks(good, workers, 200))
    bad = [_result("healthz", 1000, 10), _result("me", 400, 60, non_2xx=3)]
    verdicts = {c.name: c.passed for c in report.checks(bad, [WorkerMemory(1, 250.0, 10.0)], 200)}
    assert verdicts == {
        "GET /api/v1/me ≥ 50% of /healthz throughput": False,
        "GET /api/v1/me p99 < 50 ms": False,
        "every worker < 200 MB": False,
        "no scenario had errors": False,
    }
    no_workers = {c.name: c.passed for c in report.checks(good, [], 200)}
    assert no_workers["every worker < 200 MB"] is False  # no sample is not a pass


def test_render_shows_ratios_and_verdicts():
    results = [_result("healthz", 1000, 10), _result("me", 600, 20)]
    workers, master = [WorkerMemory(7, 120.0, 118.0)], WorkerMemory(6, 26.0, 26.0)
    checks = report.checks(results, workers, 200)
    text = report.render_text(results, workers, master, checks)
    assert "0.60" in text and "PASS" in text and "120.0" in text
    md = report.render_markdown(results, workers, master, checks, {"date": "today"})
    assert md.startswith("# Benchmark results") and "| me | 600.0 |" in md
    assert not math.isnan(results[1].api_cpu_ms)
