"""Reserve and verify over HTTP, measured against /healthz in the same run.

    scripts/bench --scenario redemption          # as part of the harness (the usual way)
    python -m bench.redemption_bench [--duration 10] [--concurrency 8]   # its own stack

On the harness's stack (gunicorn + throwaway PostgreSQL + Redis, seed-demo) it adds bench
residents with points and a 1-point offer through the services in-process, then drives POST
/redemptions (reserve) and POST /merchant/verify (every reservation just made, each with a
fresh signed code, as merchant-1), each in slices alternating with GET /healthz (the ceiling),
with the same thread-pool load generator. Absolute req/s swing with the machine; the ratio to
the /healthz slices alternating with the phase is what to compare. Targets: verify p99 < 100 ms,
ratio >= 0.3.
"""

import argparse
import json
import secrets
import sys
import threading
import time

import requests

from bench.rows import no_cpu

TARGET_VERIFY_P99_MS = 100.0
TARGET_RATIO = 0.3


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def drive(make_request, duration: float, concurrency: int, sessions=None) -> dict:
    """Call make_request(session, i) from `concurrency` threads for `duration` seconds.

    `sessions` (one per thread) carry their keep-alive connections from one call to the next.
    """
    return summary(_load(make_request, duration, concurrency, sessions))


def _load(make_request, duration: float, concurrency: int, sessions=None) -> dict:
    """One stretch of load: raw latencies, statuses, elapsed seconds, whether work ran out."""
    sessions = sessions or [requests.Session() for _ in range(concurrency)]
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.perf_counter() + duration
    exhausted = threading.Event()

    def worker(n):
        session = sessions[n]
        while time.perf_counter() < stop_at and not exhausted.is_set():
            with lock:
                i = next(counter)
            started = time.perf_counter()
            try:
                status = make_request(session, i)
            except requests.RequestException:
                status = 599  # a dropped connection counts as a server failure
            if status is None:  # no more work prepared for this phase
                exhausted.set()
                break
            latencies[n].append(time.perf_counter() - started)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "latencies": [x for per in latencies for x in per],
        "statuses": statuses,
        "seconds": time.perf_counter() - started,
        "exhausted": exhausted.is_set(),
    }


def summary(load: dict) -> dict:
    flat, elapsed = load["latencies"], load["seconds"]
    return {
        "requests": len(flat),
        "seconds": round(elapsed, 3),
        "rps": round(len(flat) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(_percentile(flat, 0.50) * 1000, 2),
        "p99_ms": round(_percentile(flat, 0.99) * 1000, 2),
        "statuses": {str(k): v for k, v in sorted(load["statuses"].items())},
    }


def alternate(healthz, phase, duration: float, concurrency: int, snap, before_slice=None):
    """`phase` and /healthz in alternating slices until `phase` has run `duration` seconds or
    run out of work: (healthz summary, phase summary), each with its CPU per request.

    The two share these cores with the client, and this machine's speed drifts by a quarter
    within seconds (other tenants of the host): measured one after the other, a ratio would
    carry that drift. Alternating slices of SLICE_SECONDS put both under the same conditions.
    `before_slice` runs before each slice of `phase`, outside the measured time.
    """
    sessions = [requests.Session() for _ in range(concurrency)]
    runs = {"healthz": [], "phase": []}
    cpu = {"healthz": no_cpu(), "phase": no_cpu()}
    spent = 0.0
    while spent < duration:
        for name, fn in (("healthz", healthz), ("phase", phase)):
            if name == "phase" and before_slice is not None:
                before_slice()
            before = snap()
            load = _load(fn, min(SLICE_SECONDS, duration - spent), concurrency, sessions)
            _add_cpu(cpu[name], before, snap())
            runs[name].append(load)
        spent += runs["phase"][-1]["seconds"]
        if runs["phase"][-1]["exhausted"]:
            break
    out = []
    for name in ("healthz", "phase"):
        merged = summary(
            {
                "latencies": [x for load in runs[name] for x in load["latencies"]],
                "statuses": _merged_statuses(runs[name]),
                "seconds": sum(load["seconds"] for load in runs[name]),
            }
        )
        merged["slices"] = len(runs[name])
        merged["cpu"] = (no_cpu(), cpu[name], merged["requests"])
        out.append(merged)
    return tuple(out)


SLICE_SECONDS = 2.0


def _add_cpu(total: dict, before: dict, after: dict) -> None:
    """Add the CPU seconds between two snapshots to `total`, per process."""
    for side in ("api", "db"):
        for pid, seconds in after.get(side, {}).items():
            spent = seconds - before.get(side, {}).get(pid, 0.0)
            total[side][pid] = total[side].get(pid, 0.0) + spent


def _merged_statuses(loads: list[dict]) -> dict[int, int]:
    merged: dict[int, int] = {}
    for load in loads:
        for status, n in load["statuses"].items():
            merged[status] = merged.get(status, 0) + n
    return merged


def prepare(app, residents: int) -> dict:
    """Bench residents with points and bearer tokens, and a well-stocked 1-point offer.

    Written through the services in this process (`app` is configured like the API, same
    database and SECRET_KEY), so the tokens it signs are good at the API.
    """
    from sqlalchemy import select

    from server.auth.models import User
    from server.auth.tokens import issue_access_token
    from server.community.models import Community, Membership, Merchant
    from server.db.session import db
    from server.points import ledger
    from server.rewards.models import Offer

    tag = secrets.token_hex(3)
    with app.app_context():
        community = db.session.scalar(select(Community).where(Community.code == "demo"))
        market = db.session.scalar(select(Merchant).where(Merchant.kind == "supermarket"))
        offer = Offer(
            community_id=community.id,
            merchant_id=market.id,
            title="压测商品",
            points_cost=1,
            stock=1_000_000,
            limit_per_person=None,
        )
        db.session.add(offer)
        users = []
        for n in range(residents):
            user = User(openid=f"bench-{tag}-{n}", real_name=f"压测{n}")
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, community_id=community.id))
            users.append(user.id)
        db.session.commit()
        for uid in users:
            ledger.credit(
                ledger.account_for_user(community.id, uid),
                1_000_000,
                reason="压测积分",
                idempotency_key=f"bench:{tag}:{uid}",
                cause_type="adjustment",
                cause_id=uid,
            )
        db.session.commit()
        tokens = [issue_access_token(uid)[0] for uid in users]
        offer_id = offer.id
        db.session.remove()
    return {"offer_id": offer_id, "tokens": tokens, "user_ids": users}


def run(
    base: str,
    app,
    staff_token: str,
    *,
    duration: float = 10.0,
    warmup: float = 2.0,
    concurrency: int = 8,
    residents: int = 50,
    cpu_snapshot=None,
) -> dict:
    """Three phases on a running API: /healthz, reserve, verify; numbers, ratios, targets.

    `app` is an in-process app configured like the API (bench.stack.StackContext.app()),
    `staff_token` a bearer token of staff of the supermarket (merchant-1 in seed-demo).
    """
    prepared = prepare(app, residents)
    snap = cpu_snapshot or no_cpu
    tokens = prepared["tokens"]

    def healthz(session, i):
        return session.get(f"{base}/healthz", timeout=30).status_code

    made: list[int] = []
    made_lock = threading.Lock()

    def reserve(session, i):
        resp = session.post(
            f"{base}/api/v1/redemptions",
            json={"offer_id": prepared["offer_id"]},
            headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
            timeout=30,
        )
        if resp.status_code == 201:
            with made_lock:
                made.append(resp.json()["id"])
        return resp.status_code

    if warmup > 0:
        drive(healthz, warmup, concurrency)
        drive(reserve, warmup, concurrency)  # its reservations get verified too, not measured
    health_r, reserved = alternate(healthz, reserve, duration, concurrency, snap)

    from server.rewards.codes import sign_code

    # Every reservation gets verified once, in order (codes run out before the duration on most
    # machines). Codes live REDEMPTION_CODE_TTL (60) seconds: the ones still to be scanned are
    # signed afresh before each slice.
    codes: list[str | None] = [None] * len(made)
    position = {"next": 0}
    position_lock = threading.Lock()
    staff = {"Authorization": f"Bearer {staff_token}"}

    def sign_fresh():
        with app.app_context():
            for n in range(position["next"], len(made)):
                codes[n] = sign_code(made[n])["token"]

    def verify(session, _i):
        with position_lock:
            n = position["next"]
            position["next"] += 1
        if n >= len(codes):
            return None
        return session.post(
            f"{base}/api/v1/merchant/verify", json={"token": codes[n]}, headers=staff, timeout=30
        ).status_code

    health_v, verified = alternate(
        healthz, verify, min(max(duration, 30.0), 45.0), concurrency, snap, sign_fresh
    )
    reserved["ratio_to_healthz"] = round(reserved["rps"] / (health_r["rps"] or 1.0), 3)
    verified["ratio_to_healthz"] = round(verified["rps"] / (health_v["rps"] or 1.0), 3)
    return {
        "concurrency": concurrency,
        "residents": residents,
        "healthz_with_reserve": health_r,
        "reserve": reserved,
        "healthz_with_verify": health_v,
        "verify": verified,
        "reservations": len(made),
        "targets": {
            "verify_p99_ms": TARGET_VERIFY_P99_MS,
            "ratio": TARGET_RATIO,
            "verify_p99_met": verified["p99_ms"] < TARGET_VERIFY_P99_MS,
            "verify_ratio_met": verified["ratio_to_healthz"] >= TARGET_RATIO,
            "reserve_ratio_met": reserved["ratio_to_healthz"] >= TARGET_RATIO,
        },
    }


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: the three phases on the harness's stack, as report rows."""
    from bench.rows import Check, cpu_per_op, from_load

    result = run(
        ctx.base_url,
        ctx.app(),
        ctx.login("merchant-1"),
        duration=opts.duration,
        warmup=opts.warmup,
        cpu_snapshot=ctx.cpu_snapshot,
    )
    name = "redemption"
    # Each phase against the /healthz slices it alternated with (see alternate).
    health_r = from_load(name, "/healthz (with reserve)", result["healthz_with_reserve"])
    reserve = from_load(
        name,
        "reserve POST /redemptions",
        result["reserve"],
        ok=(201,),
        ref=health_r.label,
        min_rate_ratio=TARGET_RATIO,
    )
    health_v = from_load(name, "/healthz (with verify)", result["healthz_with_verify"])
    verify = from_load(
        name,
        "verify POST /merchant/verify",
        result["verify"],
        ref=health_v.label,
        min_rate_ratio=TARGET_RATIO,
        max_p99_ms=TARGET_VERIFY_P99_MS,
        invariants=[
            Check(
                "every reservation verified exactly once",
                result["verify"]["statuses"] == {"200": result["reservations"]},
                f"{result['reservations']} reserved, verify statuses "
                f"{result['verify']['statuses']}",
            )
        ],
    )
    rows = [health_r, reserve, health_v, verify]
    phases = ("healthz_with_reserve", "reserve", "healthz_with_verify", "verify")
    for row, phase in zip(rows, phases, strict=True):
        row.api_cpu_ms, row.db_cpu_ms = cpu_per_op(*result[phase]["cpu"])
    return rows


def main(argv=None) -> int:
    from bench.stack import own_stack

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--residents", type=int, default=50)
    args = parser.parse_args(argv)
    with own_stack() as ctx:
        result = run(
            ctx.base_url,
            ctx.app(),
            ctx.login("merchant-1"),
            duration=args.duration,
            concurrency=args.concurrency,
            residents=args.residents,
        )
    for phase in ("healthz_with_reserve", "reserve", "healthz_with_verify", "verify"):
        result[phase].pop("cpu", None)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0 if all(v for k, v in result["targets"].items() if k.endswith("_met")) else 1


if __name__ == "__main__":
    sys.exit(main())
