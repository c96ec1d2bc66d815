"""Unit tests of the benchmark harness itself (bench/): no stack, database or Redis needed.

.venv/bin/pytest -q tests/test_bench_harness.py
"""

import math
import time

import pytest

from bench import report, run, scenarios, wrk
from bench.memory import WorkerMemory
from bench.rows import Check, Row, cpu_per_op, from_load


@pytest.fixture(autouse=True)
def _clean_state():
    """Overrides conftest's per-test database cleanup: nothing here touches the app."""
    yield


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
    assert [s.name for s in scenarios.select(["history_latency"])] == [
        "healthz",
        "history_latency",
    ]
    assert [s.name for s in scenarios.select(None)] == [s.name for s in scenarios.SCENARIOS]
    assert [s.name for s in scenarios.select(["grid"])] == ["healthz", "grid"]
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


def test_python_driven_scenarios_are_registered_with_runners():
    runners = {s.name for s in scenarios.SCENARIOS if s.runner is not None}
    assert runners == {
        "signup_rush",
        "redemption",
        "ledger_throughput",
        "fused_writes",
        "history_latency",
        "grid",
        "notify",
        "console",
        "soak",
        "fuzz",
    }
    assert not any(s.runner and s.ceiling for s in scenarios.SCENARIOS)


def test_command_line_selects_one_scenario_and_quick_shrinks_the_timing():
    args = run.parse_args(["--scenario", "signup_rush", "--quick"])
    assert [s.name for s in args.selected] == ["healthz", "signup_rush"]
    assert (args.duration, args.warmup, args.quick) == (3, 1, True)
    full = run.parse_args([])
    assert [s.name for s in full.selected] == [s.name for s in scenarios.SCENARIOS]
    assert (full.duration, full.quick) == (10, False)
    with pytest.raises(SystemExit):
        run.parse_args(["--scenario", "nope"])
    named = run.parse_args(["console", "--quick"])  # `scripts/bench console`
    assert [s.name for s in named.selected] == ["healthz", "console"]
    with pytest.raises(SystemExit):
        run.parse_args(["nope"])


def _rows() -> list[Row]:
    health = Row("rush", "/healthz (same client)", 1000, 800.0, 5.0, 40.0)
    good = Row(
        "rush",
        "signups",
        1000,
        400.0,
        50.0,
        150.0,
        ref=health.label,
        min_rate_ratio=0.3,
        max_p99_ms=200.0,
        invariants=[Check("exactly 50 confirmed", True, "rows 50")],
    )
    small = Row("hist", "balance @10k", 100, 200.0, 4.0, 10.0)
    big = Row("hist", "balance @1M", 100, 150.0, 5.0, 20.0, ref=small.label, max_p99_ratio=1.5)
    return [health, good, small, big]


def test_row_checks_use_the_named_reference_of_the_same_scenario():
    verdicts = {c.name: (c.passed, c.detail) for c in report.row_checks(_rows())}
    assert verdicts["rush: signups ≥ 30% of /healthz (same client) req/s"] == (
        True,
        "400.0 ÷ 800.0 = 0.50",
    )
    assert verdicts["rush: signups p99 < 200 ms"][0] is True
    assert verdicts["rush: exactly 50 confirmed"] == (True, "rows 50")
    assert verdicts["hist: balance @1M p99 ≤ 1.5 × balance @10k p99"] == (
        False,
        "20.00 ÷ 10.00 ms = 2.00",
    )
    assert len(verdicts) == 4  # rows without targets add no checks


def test_rows_with_errors_fail_the_error_check_and_unknown_references_are_refused():
    rows = _rows()
    rows[1].errors, rows[1].error_detail = 3, "3×500"
    good = [_result("healthz", 1000, 10)]
    verdicts = {c.name: c for c in report.checks(good, [WorkerMemory(1, 100.0, 90.0)], 200, rows)}
    assert verdicts["no scenario had errors"].passed is False
    assert "rush (signups)" in verdicts["no scenario had errors"].detail
    with pytest.raises(ValueError):
        report.row_checks([Row("x", "a", 1, 1.0, ref="missing")])


def test_render_includes_the_python_table_with_ratios():
    results = [_result("healthz", 1000, 10)]
    rows = _rows()
    workers, master = [WorkerMemory(7, 120.0, 118.0)], WorkerMemory(6, 26.0, 26.0)
    checks = report.checks(results, workers, 200, rows)
    text = report.render_text(results, workers, master, checks, rows)
    assert "Python-driven" in text and "balance @1M" in text and "FAIL" in text
    md = report.render_markdown(results, workers, master, checks, {"date": "today"}, rows)
    assert "## Python-driven scenarios" in md
    assert "| rush | signups | 1000 | 400.0 | 50.00 | 150.00 | 0 | /healthz (same client) |" in md
    assert "| 0.50 | 3.75 |" in md  # × per s and × p99 against the same-client /healthz


def test_from_load_counts_unexpected_statuses_and_cpu_per_op():
    measured = {"requests": 10, "rps": 5.0, "p50_ms": 1.0, "p99_ms": 2.0}
    row = from_load("s", "x", {**measured, "statuses": {"201": 8, "409": 1, "599": 1}}, ok=(201,))
    assert (row.errors, row.error_detail) == (2, "1×409, 1×599")
    api, db = cpu_per_op({"api": {1: 1.0}, "db": {}}, {"api": {1: 1.5}, "db": {9: 0.25}}, 10)
    assert (api, db) == pytest.approx((50.0, 25.0))
    assert all(math.isnan(x) for x in cpu_per_op({}, {}, 0))


def test_a_broken_runner_becomes_one_failed_check_and_the_run_goes_on(monkeypatch):
    def broken(ctx, opts):
        raise RuntimeError("publishing the task failed: 422")

    sc = scenarios.Scenario("broken", "POST", "/x", "always fails", runner=broken)
    args = run.parse_args(["--quick"])
    said = []
    rows, failed = run.run_runner(sc, ctx=None, args=args, say=said.append)
    assert rows == [] and len(failed) == 1 and failed[0].passed is False
    assert "publishing the task failed" in failed[0].detail

    def fine(ctx, opts):
        assert opts.quick and opts.duration == 3
        return [Row("fine", "a", 1, 1.0, 1.0, 2.0)]

    ok = scenarios.Scenario("fine", "GET", "/y", "works", runner=fine)
    rows, failed = run.run_runner(ok, ctx=None, args=args, say=said.append)
    assert [r.label for r in rows] == ["a"] and failed == []


def test_busiest_worker_share_spots_a_run_that_loaded_one_worker():
    from bench.run import BALANCED_SHARE, busiest_worker_share

    before = {101: 10.0, 102: 4.0}
    assert busiest_worker_share(before, {101: 13.0, 102: 6.0}) == 0.6  # 3 s and 2 s
    assert busiest_worker_share(before, {101: 19.5, 102: 4.5}) > BALANCED_SHARE
    assert busiest_worker_share(before, {101: 11.0, 102: 4.0, 103: 1.0}) == 0.5  # newborn pid
    assert busiest_worker_share({101: 1.0}, {101: 2.0}) == 0.0  # one worker: nothing to balance


def test_alternate_interleaves_slices_and_stops_when_the_phase_runs_out(monkeypatch):
    from bench import redemption_bench

    monkeypatch.setattr(redemption_bench, "SLICE_SECONDS", 0.05)
    order, signed = [], []
    cpu = {"api": {1: 0.0}, "db": {2: 0.0}}
    left = {"phase": 30}

    def snap():  # each snapshot later than the one before: 1 ms of API, 0.5 ms of DB
        cpu["api"][1] += 0.001
        cpu["db"][2] += 0.0005
        return {"api": dict(cpu["api"]), "db": dict(cpu["db"])}

    def healthz(session, i):
        if not order or order[-1] != "healthz":
            order.append("healthz")
        time.sleep(0.002)
        return 200

    def phase(session, i):
        if not order or order[-1] != "phase":
            order.append("phase")
        left["phase"] -= 1
        if left["phase"] < 0:
            return None  # out of work
        time.sleep(0.01)  # 30 of them on 2 threads: several slices of 0.05 s
        return 201

    health, measured = redemption_bench.alternate(
        healthz, phase, 10.0, 2, snap, lambda: signed.append(len(order))
    )
    assert measured["statuses"] == {"201": 30} and measured["requests"] == 30
    assert health["statuses"] == {"200": health["requests"]} and health["requests"] > 0
    assert order[:2] == ["healthz", "phase"] and order == ["healthz", "phase"] * (len(order) // 2)
    assert measured["slices"] == health["slices"] == len(order) // 2 == len(signed) >= 2
    # Far less than the 10 s asked for: the phase ran out of work.
    assert measured["seconds"] < 5 and health["seconds"] < 5
    api_ms, db_ms = cpu_per_op(*measured["cpu"])
    assert api_ms == pytest.approx(1000 * 0.001 * measured["slices"] / 30)
    assert db_ms == pytest.approx(api_ms / 2)
