"""The scenario registry: add a `Scenario` to SCENARIOS and `scripts/bench` runs it.

A scenario is either one wrk run against one path, or a `runner`: a Python callable that
gets the running stack and returns rows for the report (bench/rows.py), for what wrk cannot
express (a fixed 1,000-request rush with invariants checked afterwards, in-process ledger
throughput, bulk-loaded history). Its `setup` runs once against the live stack
(after migrate + seed-demo, before wrk) and returns what the requests need: headers, a body
and values exposed to the Lua code as `bench.<name>`; the harness adds `bench.run_id`, unique
per wrk invocation (the warm-up is one too), for values that must never repeat. Lua code may
define wrk's `request()`, `response()` etc. to vary each request (see `login` below); without
them, wrk repeats one request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.rows import Row
    from bench.stack import StackContext

LUA_DIR = Path(__file__).resolve().parent / "lua"
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Prepared:
    """What a scenario's setup hands to wrk."""

    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    lua_vars: dict[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class RunnerOptions:
    """What a Python-driven scenario gets besides the stack (from the command line)."""

    duration: float = 10.0  # seconds per timed phase
    warmup: float = 2.0  # unmeasured seconds before a timed phase
    quick: bool = False  # smoke run: shrink counts and sizes
    say: Callable[[str], None] = print


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    description: str
    lua: str = ""  # Lua appended after the generated prelude
    lua_file: str | None = None  # or a file under bench/lua/
    setup: Callable[[StackContext], Prepared] | None = None
    # Send the prepared request once before the run and insist on this status (catches a
    # broken setup that would otherwise benchmark a fast 401). None: no probe (e.g. one-time codes).
    probe_status: int | None = 200
    ceiling: bool = False  # the reference the others are compared with (exactly one)
    # Python-driven instead of wrk: runner(ctx, options) -> rows (with their own targets).
    runner: Callable[[StackContext, RunnerOptions], list[Row]] | None = None
    # Targets, checked after the run (None: no target).
    min_throughput_ratio: float | None = None  # req/s ÷ ceiling req/s
    max_p99_ms: float | None = None

    def lua_code(self) -> str:
        code = self.lua
        if self.lua_file:
            code += "\n" + (LUA_DIR / self.lua_file).read_text(encoding="utf-8")
        return code


def _login_setup(ctx: StackContext) -> Prepared:
    ctx.login("resident-1")  # fails loudly if login is broken before wrk hides it in a count
    return Prepared(
        headers=JSON,
        lua_vars={"identities": ctx.resident_count},
    )


def _me_setup(ctx: StackContext) -> Prepared:
    return Prepared(headers={"Authorization": "Bearer " + ctx.login("resident-1")})


# Runners import their modules lazily: `--list` and the harness tests stay light.
def _signup_rush(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import signup_rush

    return signup_rush.bench_rows(ctx, opts)


def _redemption(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import redemption_bench

    return redemption_bench.bench_rows(ctx, opts)


def _ledger_throughput(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import ledger_throughput

    return ledger_throughput.bench_rows(ctx, opts)


def _fused_writes(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import fused_writes

    return fused_writes.bench_rows(ctx, opts)


def _history_latency(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import history_latency

    return history_latency.bench_rows(ctx, opts)


def _grid(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import grid_reports

    return grid_reports.bench_rows(ctx, opts)


def _console(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import console_bench

    return console_bench.bench_rows(ctx, opts)


def _fuzz(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import fuzz_bench

    return fuzz_bench.bench_rows(ctx, opts)


def _soak(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import soak

    return soak.bench_rows(ctx, opts)


def _notify(ctx: StackContext, opts: RunnerOptions) -> list[Row]:
    from bench import notify_bench

    return notify_bench.bench_rows(ctx, opts)


SCENARIOS: list[Scenario] = [
    Scenario(
        name="healthz",
        method="GET",
        path="/healthz",
        description="liveness probe: the ceiling of this stack in this run",
        ceiling=True,
    ),
    Scenario(
        name="login",
        method="POST",
        path="/api/v1/auth/wechat-login",
        description="WeChat login with a fresh one-time code per request (emulator round trip)",
        lua_file="login.lua",
        setup=_login_setup,
        probe_status=None,
    ),
    Scenario(
        name="me",
        method="GET",
        path="/api/v1/me",
        description="profile of resident-1 with a bearer token",
        setup=_me_setup,
        min_throughput_ratio=0.5,
        max_p99_ms=50.0,
    ),
    Scenario(
        name="signup_rush",
        method="POST",
        path="/api/v1/tasks/{id}/signups",
        description="1,000 residents sign up for one 50-seat task at once (32 client threads "
        "released by a barrier); exactly 50 confirmed, the rest waitlisted, no 5xx",
        runner=_signup_rush,
    ),
    Scenario(
        name="redemption",
        method="POST",
        path="/api/v1/redemptions, /api/v1/merchant/verify",
        description="reserve (50 residents, 8 client threads, timed) then verify every "
        "reservation just made with a fresh signed code as merchant staff",
        runner=_redemption,
    ),
    Scenario(
        name="ledger_throughput",
        method="-",
        path="server.points.ledger.credit",
        description="credits/s through the ledger service (in-process, one commit per "
        "credit) vs plain SQL writing the same rows (account UPDATE, entry INSERT, "
        "ranking-total UPSERT), interleaved in rounds",
        runner=_ledger_throughput,
    ),
    Scenario(
        name="fused_writes",
        method="-",
        path="server.rewards.redemption.reserve, server.rewards.verify.verify",
        description="reserve and verify in-process on the ledger's one-statement path vs the "
        "portable path, in alternating slices; the fused path must stay > 1.2 x faster",
        runner=_fused_writes,
    ),
    Scenario(
        name="history_latency",
        method="GET",
        path="/api/v1/points/balance, /api/v1/rankings",
        description="balance, ledger first page and rankings latency with 10 thousand, then "
        "1 million ledger entries in the database (bulk-loaded through ledger.import_credits)",
        runner=_history_latency,
    ),
    Scenario(
        name="grid",
        method="GET",
        path="/api/v1/grid/reports?scope=grid, /api/v1/grid/reports/stats",
        description="a grid worker's report queue (all and open only) and the community's "
        "per-grid open and overdue counts with 1,000, then 100,000 reports in the database "
        "(bulk-loaded by bench/grid_rows.py in the services' shape)",
        runner=_grid,
    ),
    Scenario(
        name="notify",
        method="-",
        path="flask jobs worker (RQ), server.notices.snapshot.snapshot_notice",
        description="1,000 group messages across 50 robots (half over WeCom's 20 a minute) "
        "sent by two RQ workers; then a month's notice snapshot with 10 thousand, then 1 "
        "million ledger entries",
        runner=_notify,
    ),
    Scenario(
        name="console",
        method="-",
        path="server.admin.dashboard, claim_queue.list_claims, flask jobs worker (exports)",
        description="the console's 工作台 figures and 积分审核 queue with 10 thousand, then 1 "
        "million ledger entries and 10 thousand, then 100 thousand claims; a 200,000-row "
        "claims export written by an RQ worker (peak memory)",
        runner=_console,
    ),
    Scenario(
        name="soak",
        method="-",
        path="mixed: offers, tasks, /me, sign-ups, claims, reserve → verify, reviews",
        description="a redemption day held for 10 minutes (2 with --quick): errors, p99 and "
        "worker memory minute by minute; memory must not grow",
        runner=_soak,
    ),
    Scenario(
        name="fuzz",
        method="-",
        path="every contract operation (stateless) and the flows' links (stateful)",
        description="schemathesis for about 10 minutes (2 with --quick): calls made, 5xx and "
        "contract violations; the stateful walk must reach check-in, approval and verify",
        runner=_fuzz,
    ),
]


def select(names: list[str] | None) -> list[Scenario]:
    """The named scenarios in registry order; the ceiling is always included."""
    known = {s.name: s for s in SCENARIOS}
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(known)}")
    return [s for s in SCENARIOS if s.ceiling or not names or s.name in names]
