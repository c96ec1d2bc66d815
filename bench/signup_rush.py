"""A sign-up rush over HTTP: many residents sign up for one small task at the same moment.

    python -m bench.signup_rush                      # its own stack (gunicorn + PostgreSQL + Redis)
    python -m bench.signup_rush --base-url URL --db-url URL   # an already-running stack

`run(base_url, db_url, login)` is what scripts/bench calls with its StackContext
(`ctx.base_url, ctx.db_url, ctx.login`). It logs in `rush` residents through the WeChat
emulator, has them join the demo community, lets the admin publish a `seats`-seat task, then
measures /healthz (the ceiling) and the rush with the same number of client threads. Every
sign-up thread opens its connection, then waits on one barrier, so the first wave of sign-ups
hits the server together.

Checks: exactly `seats` confirmed and the rest waitlisted (counted in the database, not
trusted from responses), no 5xx; prints throughput as a ratio to /healthz and p99 latency.
Targets: p99 < 200 ms, ratio >= 0.3. Absolute req/s swing with the machine; compare ratios.
"""

import argparse
import json
import secrets
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import requests

from bench.rows import no_cpu

TARGET_P99_MS = 200.0
TARGET_RATIO = 0.3


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _burst(
    call: Callable[[requests.Session, int], int], total: int, concurrency: int, connect_url: str
) -> dict:
    """Make `total` calls from `concurrency` threads released together; time them.

    Each thread opens its keep-alive connection (one unmeasured GET of `connect_url`) before
    the barrier: the rush is of residents who already have the app open, and 32 client
    threads stand in for 1,000 residents, so only these 32 requests would otherwise carry a
    TCP handshake and gunicorn's accept - exactly the slowest 3%, i.e. the p99.
    """
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)
    next_index = iter(range(total))

    def worker():
        session = requests.Session()
        session.get(connect_url, timeout=30)
        barrier.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            started = time.perf_counter()
            try:
                status = call(session, i)
            except requests.RequestException:
                status = 599  # a dropped connection counts as a server failure
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "seconds": round(seconds, 3),
        "rps": round(len(latencies) / seconds, 1) if seconds else 0.0,
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def _prepare(base_url: str, login: Callable[[str], str], rush: int, seats: int, prefix: str):
    """Residents logged in and joined; a fresh task published by the admin."""
    http = requests.Session()
    admin = login("admin")
    me = http.get(f"{base_url}/api/v1/me", headers=_auth(admin), timeout=30).json()
    community_id = me["membership"]["community"]["id"]

    def resident(n: int) -> str:
        token = login(f"{prefix}-{n}")
        with requests.Session() as s:
            resp = s.post(
                f"{base_url}/api/v1/communities/{community_id}/join",
                json={},
                headers=_auth(token),
                timeout=30,
            )
        if resp.status_code != 200:
            raise RuntimeError(f"join failed: {resp.status_code} {resp.text[:200]}")
        return token

    with ThreadPoolExecutor(max_workers=16) as pool:
        tokens = list(pool.map(resident, range(rush)))
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    body = {
        "title": f"压测：报名抢位 {prefix}",
        "description": "benchmark",
        "reward_kind": "hours",
        "points_per_hour": 5,
        "points_cap": 20,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "capacity": seats,
    }
    resp = http.post(f"{base_url}/api/v1/tasks", json=body, headers=_auth(admin), timeout=30)
    if resp.status_code != 201:
        raise RuntimeError(f"publishing the task failed: {resp.status_code} {resp.text[:300]}")
    return resp.json()["id"], tokens


def count_in_database(db_url: str, task_id: int) -> dict:
    """Seats as the database has them: row counts by status, and the task's counters."""
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(db_url.split("///", 1)[1])
        placeholder = "?"
    else:
        import psycopg

        conn = psycopg.connect(db_url.replace("postgresql+psycopg://", "postgresql://"))
        placeholder = "%s"
    try:
        cur = conn.cursor()
        cur.execute(
            "SELECT status, count(*) FROM task_signups WHERE task_id = "
            f"{placeholder} GROUP BY status",
            (task_id,),
        )
        rows = dict(cur.fetchall())
        cur.execute(
            "SELECT capacity, confirmed_count, waitlisted_count FROM tasks WHERE id = "
            f"{placeholder}",
            (task_id,),
        )
        capacity, confirmed_count, waitlisted_count = cur.fetchone()
    finally:
        conn.close()
    return {
        "confirmed": rows.get("confirmed", 0),
        "waitlisted": rows.get("waitlisted", 0),
        "capacity": capacity,
        "confirmed_count": confirmed_count,
        "waitlisted_count": waitlisted_count,
    }


def run(
    base_url: str,
    db_url: str,
    login: Callable[[str], str],
    *,
    rush: int = 1000,
    seats: int = 50,
    concurrency: int = 32,
    cpu_snapshot: Callable[[], dict] | None = None,
) -> dict:
    """Run the rush against a running stack; return numbers, checks and PASS/FAIL.

    With `cpu_snapshot` (scripts/bench's StackContext.cpu_snapshot) the result also holds
    (before, after, n) CPU snapshots around each burst under `healthz_cpu` / `signups_cpu`.
    """
    prefix = f"rush{secrets.token_hex(3)}"
    task_id, tokens = _prepare(base_url, login, rush, seats, prefix)
    snap = cpu_snapshot or no_cpu
    before = snap()
    healthz = _burst(
        lambda s, i: s.get(f"{base_url}/healthz", timeout=30).status_code,
        max(rush, 1000),
        concurrency,
        f"{base_url}/healthz",
    )
    healthz_cpu = (before, snap(), healthz["requests"])
    url = f"{base_url}/api/v1/tasks/{task_id}/signups"
    before = snap()
    rushed = _burst(
        lambda s, i: s.post(url, headers=_auth(tokens[i]), timeout=30).status_code,
        rush,
        concurrency,
        f"{base_url}/healthz",
    )
    signups_cpu = (before, snap(), rushed["requests"])
    seats_now = count_in_database(db_url, task_id)
    server_errors = sum(v for k, v in rushed["statuses"].items() if int(k) >= 500)
    ratio = round(rushed["rps"] / healthz["rps"], 3) if healthz["rps"] else 0.0
    checks = {
        "exactly_seats_confirmed": seats_now["confirmed"] == seats_now["confirmed_count"] == seats,
        "rest_waitlisted": seats_now["waitlisted"] == seats_now["waitlisted_count"] == rush - seats,
        "no_5xx": server_errors == 0,
        "all_201": rushed["statuses"] == {"201": rush},
    }
    targets = {
        "p99_under_200ms": rushed["p99_ms"] < TARGET_P99_MS,
        "ratio_at_least_0.3": (ratio >= TARGET_RATIO),
    }
    return {
        "scenario": "signup_rush",
        "task_id": task_id,
        "rush": rush,
        "seats": seats,
        "concurrency": concurrency,
        "healthz": healthz,
        "signups": rushed,
        "healthz_cpu": healthz_cpu,
        "signups_cpu": signups_cpu,
        "database": seats_now,
        "ratio_to_healthz": ratio,
        "checks": checks,
        "targets": targets,
        "passed": all(checks.values()) and all(targets.values()),
    }


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: the rush on the harness's stack, as report rows."""
    from bench.rows import Check, cpu_per_op, from_load

    rush = 200 if opts.quick else 1000
    opts.say(f"signup_rush: logging in and joining {rush} residents (not measured)")
    result = run(ctx.base_url, ctx.db_url, ctx.login, rush=rush, cpu_snapshot=ctx.cpu_snapshot)
    name, checks = "signup_rush", result["checks"]
    seats = result["database"]
    healthz = from_load(name, "/healthz (same client)", result["healthz"])
    healthz.api_cpu_ms, healthz.db_cpu_ms = cpu_per_op(*result["healthz_cpu"])
    signups = from_load(
        name,
        f"POST signups ({result['rush']} for {result['seats']} seats)",
        result["signups"],
        ok=(201,),
        ref=healthz.label,
        min_rate_ratio=TARGET_RATIO,
        max_p99_ms=TARGET_P99_MS,
        invariants=[
            Check(
                f"exactly {result['seats']} confirmed",
                checks["exactly_seats_confirmed"],
                f"rows {seats['confirmed']}, counter {seats['confirmed_count']}",
            ),
            Check(
                f"the other {result['rush'] - result['seats']} waitlisted",
                checks["rest_waitlisted"],
                f"rows {seats['waitlisted']}, counter {seats['waitlisted_count']}",
            ),
            Check("no 5xx", checks["no_5xx"], f"statuses {result['signups']['statuses']}"),
        ],
    )
    signups.api_cpu_ms, signups.db_cpu_ms = cpu_per_op(*result["signups_cpu"])
    return [healthz, signups]


def report(result: dict) -> str:
    s, h = result["signups"], result["healthz"]
    lines = [
        f"signup rush: {result['rush']} residents, {result['seats']} seats, "
        f"{result['concurrency']} client threads",
        f"  /healthz     {h['rps']:>8.1f} req/s  p50 {h['p50_ms']:.1f} ms"
        f"  p99 {h['p99_ms']:.1f} ms",
        f"  sign-ups     {s['rps']:>8.1f} req/s  p50 {s['p50_ms']:.1f} ms  p99 {s['p99_ms']:.1f} ms"
        f"  statuses {s['statuses']}",
        f"  ratio to /healthz {result['ratio_to_healthz']:.3f} (target >= {TARGET_RATIO})",
        f"  p99 {s['p99_ms']:.1f} ms (target < {TARGET_P99_MS:.0f} ms)",
        f"  database: {result['database']}",
    ]
    for name, ok in {**result["checks"], **result["targets"]}.items():
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {name}")
    lines.append("PASS" if result["passed"] else "FAIL")
    return "\n".join(lines)


def _emulator_login(base_url: str) -> Callable[[str], str]:
    def login(identity: str) -> str:
        code = f"{identity}.rush-{secrets.token_hex(8)}"
        resp = requests.post(
            f"{base_url}/api/v1/auth/wechat-login", json={"code": code}, timeout=30
        )
        if resp.status_code != 200:
            raise RuntimeError(f"login as {identity}: {resp.status_code} {resp.text[:200]}")
        return resp.json()["token"]

    return login


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.signup_rush", description=__doc__.split("\n")[0]
    )
    p.add_argument("--base-url", help="an already-running API (else start a throwaway stack)")
    p.add_argument("--db-url", help="its database, to count seats (required with --base-url)")
    p.add_argument("--rush", type=int, default=1000)
    p.add_argument("--seats", type=int, default=50)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--pg-admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--json", action="store_true", help="print the result as JSON too")
    args = p.parse_args(argv)
    options = {"rush": args.rush, "seats": args.seats, "concurrency": args.concurrency}
    if args.base_url:
        if not args.db_url:
            p.error("--db-url is required with --base-url")
        result = run(args.base_url, args.db_url, _emulator_login(args.base_url), **options)
    else:
        result = _run_on_own_stack(args, options)
    print(report(result))
    if args.json:
        result.pop("healthz_cpu", None), result.pop("signups_cpu", None)
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if result["passed"] else 1


def _run_on_own_stack(args, options: dict) -> dict:
    import tempfile
    from pathlib import Path

    from bench.cleanup import RunState, cleanup
    from bench.stack import Stack, StackOptions

    run_dir = Path(tempfile.mkdtemp(prefix="rp-signup-rush-"))
    state = RunState(run_dir)
    stack = Stack(
        StackOptions(
            pg_admin_url=args.pg_admin_url,
            redis_url=args.redis_url,
            workers=args.workers,
            threads=args.threads,
            max_requests=0,
        ),
        run_dir,
        state,
    )
    try:
        ctx = stack.start(lambda msg: print(msg, file=sys.stderr))
        return run(ctx.base_url, ctx.db_url, ctx.login, **options)
    finally:
        stack.stop()
        for problem in cleanup(state):
            print(problem, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
