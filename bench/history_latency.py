"""GET /points/balance and GET /rankings latency with 10 thousand vs 1 million ledger entries.

Reads use the account row and the monthly totals, never a scan of the ledger, so their cost
must not grow with history: target p99(1M) / p99(10k) <= 1.5 for each endpoint.

    scripts/bench --scenario history_latency        # on the harness's stack (the usual way)
    python -m bench.history_latency [--small 10000] [--big 1000000]   # its own stack

Over HTTP against gunicorn (PostgreSQL + Redis): a community of 2,000 members is created
through the services in-process; the ledger is filled through `ledger.import_credits`, the
ledger's own bulk path (the entries, the accounts' balance and earned, the monthly ranking
totals), CHUNK entries per transaction; then the Redis sorted sets are rebuilt from the
totals (`ranking_rebuild.rebuild_redis`) and the tables are VACUUM ANALYZEd. Each endpoint is
measured with the same thread-pool client at 10k entries, then again at 1M.
"""

import argparse
import json
import secrets
import sys
import time
from datetime import datetime, timedelta

from bench.redemption_bench import drive
from bench.rows import no_cpu

TARGET_P99_RATIO = 1.5
ACCOUNTS = 2000
CHUNK = 50_000  # entries per import_credits call and transaction
CONCURRENCY = 4
REASON = "志愿服务：垃圾分类志愿督导"
PATHS = {
    "balance": "/api/v1/points/balance",
    "ledger page": "/api/v1/points/ledger?limit=20",
    "rankings month": "/api/v1/rankings?period=2026-11&kind=person&limit=20",
    "rankings year": "/api/v1/rankings?period=2026&kind=person&limit=20",
}

# Entry g (1, 2, ...) goes to account first + (g-1) % ACCOUNTS, spread over 2026-01-01 ..
# 2026-11-16 Asia/Shanghai; the ledger works out balance_after, rank_month and rank_kinds.
START = datetime.fromisoformat("2026-01-01T00:00:00+08:00")

CONSISTENT = """
SELECT
  (SELECT count(*) FROM point_accounts a
     LEFT JOIN (SELECT account_id, sum(amount) AS total FROM ledger_entries
                GROUP BY account_id) e ON e.account_id = a.id
     WHERE a.community_id = %(community)s
       AND (a.balance <> coalesce(e.total, 0) OR a.earned <> coalesce(e.total, 0)))
    AS bad_accounts,
  (SELECT coalesce(sum(points), 0) FROM point_period_totals
     WHERE community_id = %(community)s AND kind = 'person') AS totals,
  (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e
     JOIN point_accounts a ON a.id = e.account_id WHERE a.community_id = %(community)s) AS ledger
"""


def _setup(app) -> tuple[int, int, str]:
    """A community with ACCOUNTS members; return (community id, first account id, token)."""
    from bench.ledger_db import make_community
    from server.auth.models import User
    from server.auth.tokens import issue_access_token
    from server.community.models import Membership
    from server.db.session import db
    from server.points import ledger

    tag = secrets.token_hex(3)
    with app.app_context():
        community_id = make_community(f"hist{tag}")
        users = [
            User(openid=f"bench-hist-{tag}-{i}", real_name=f"居民{i:04d}") for i in range(ACCOUNTS)
        ]
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all(Membership(user_id=u.id, community_id=community_id) for u in users)
        accounts = [ledger.account_for_user(community_id, u.id).id for u in users]
        db.session.commit()
        if accounts != list(range(accounts[0], accounts[0] + ACCOUNTS)):
            raise RuntimeError("bench accounts are not contiguous; is something else writing?")
        token, _ = issue_access_token(users[0].id)
        db.session.remove()
    return community_id, accounts[0], token


def _credits(first: int, tag: str, lo: int, hi: int):
    for g in range(lo, hi + 1):
        yield {
            "account_id": first + (g - 1) % ACCOUNTS,
            "amount": 5,
            "reason": REASON,
            "idempotency_key": f"{tag}:{g}",
            "cause_type": "bench",
            "cause_id": g,
            "at": START + timedelta(days=g % 320, seconds=g % 86400),
        }


def fill(db_url: str, app, community_id: int, first: int, start: int, stop: int) -> float:
    """Entries start..stop (1-based, global) through the ledger; return seconds taken."""
    import psycopg

    from server.db.session import db
    from server.points import ledger, ranking_rebuild

    began = time.perf_counter()
    tag = f"hist{community_id}"
    with app.app_context():
        for lo in range(start, stop + 1, CHUNK):
            ledger.import_credits(_credits(first, tag, lo, min(stop, lo + CHUNK - 1)))
            db.session.commit()
        ranking_rebuild.rebuild_redis(community_id)  # reads served from Redis, as in production
        db.session.remove()
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE ledger_entries, point_accounts, point_period_totals")
    return time.perf_counter() - began


def consistency(db_url: str, community_id: int) -> tuple[bool, str]:
    import psycopg

    with psycopg.connect(db_url) as conn:
        bad, totals, ledger = conn.execute(CONSISTENT, {"community": community_id}).fetchone()
    ok = bad == 0 and totals == ledger
    return ok, f"{bad} account(s) off their entries; totals {totals:,} vs ledger {ledger:,}"


def _measure(base: str, token: str, seconds: float, warmup: float, snap=no_cpu) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    out = {}
    for name, path in PATHS.items():

        def get(session, i, path=path):
            return session.get(base + path, headers=headers, timeout=30).status_code

        if warmup > 0:
            drive(get, warmup, CONCURRENCY)
        before = snap()
        out[name] = drive(get, seconds, CONCURRENCY)
        out[name]["cpu"] = (before, snap(), out[name]["requests"])
    return out


def run(
    base: str,
    db_url: str,
    app,
    *,
    small: int = 10_000,
    big: int = 1_000_000,
    seconds: float = 5.0,
    warmup: float = 1.0,
    say=print,
    cpu_snapshot=None,
) -> dict:
    """Measure at `small` entries, fill up to `big`, measure again; figures, timings, checks."""
    snap = cpu_snapshot or no_cpu
    community_id, first, token = _setup(app)
    before = snap()
    healthz = drive(
        lambda s, i: s.get(base + "/healthz", timeout=30).status_code, seconds, CONCURRENCY
    )
    healthz["cpu"] = (before, snap(), healthz["requests"])
    load_small = fill(db_url, app, community_id, first, 1, small)
    say(f"history_latency: {small:,} entries loaded in {load_small:.1f} s; measuring")
    at_small = _measure(base, token, seconds, warmup, snap)
    load_big = fill(db_url, app, community_id, first, small + 1, big)
    say(f"history_latency: {big:,} entries loaded in {load_small + load_big:.1f} s; measuring")
    at_big = _measure(base, token, seconds, warmup, snap)
    consistent, detail = consistency(db_url, community_id)
    return {
        "bench": "history_latency",
        "entries": {"small": small, "big": big},
        "load_seconds": {"small": round(load_small, 1), "big": round(load_big, 1)},
        "healthz": healthz,
        "small": at_small,
        "big": at_big,
        "p99_ratio": {
            k: round(at_big[k]["p99_ms"] / at_small[k]["p99_ms"], 3)
            if at_small[k]["p99_ms"]
            else None
            for k in at_small
        },
        "target_ratio": TARGET_P99_RATIO,
        "consistent": consistent,
        "consistency": detail,
    }


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: both sizes on the harness's stack, as report rows."""
    from bench.rows import Check, cpu_per_op, from_load

    big = 100_000 if opts.quick else 1_000_000
    result = run(
        ctx.base_url,
        ctx.db_url,
        ctx.app(),
        big=big,
        seconds=max(2.0, opts.duration / 2),
        warmup=min(1.0, opts.warmup),
        say=opts.say,
        cpu_snapshot=ctx.cpu_snapshot,
    )
    name = "history_latency"
    small, big = _size(result["entries"]["small"]), _size(result["entries"]["big"])
    rows = [from_load(name, "/healthz (same client)", result["healthz"])]
    for key in PATHS:
        rows.append(from_load(name, f"{key} @{small}", result["small"][key], ref=rows[0].label))
    for key in PATHS:
        rows.append(
            from_load(
                name,
                f"{key} @{big}",
                result["big"][key],
                ref=f"{key} @{small}",
                max_p99_ratio=TARGET_P99_RATIO,
            )
        )
    measured = [result["healthz"], *result["small"].values(), *result["big"].values()]
    for row, figures in zip(rows, measured, strict=True):
        row.api_cpu_ms, row.db_cpu_ms = cpu_per_op(*figures["cpu"])
    loads = result["load_seconds"]
    rows[-1].invariants.append(
        Check(
            "accounts and period totals match the bulk-loaded ledger",
            result["consistent"],
            f"{result['consistency']}; loaded {small} in {loads['small']} s, "
            f"{big} in {loads['small'] + loads['big']:.1f} s",
        )
    )
    return rows


def main(argv=None) -> int:
    from bench.stack import own_stack

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint and size")
    args = parser.parse_args(argv)
    with own_stack() as ctx:
        result = run(
            ctx.base_url,
            ctx.db_url,
            ctx.app(),
            small=args.small,
            big=args.big,
            seconds=args.seconds,
            say=lambda msg: print(msg, file=sys.stderr),
        )
    for figures in [result["healthz"], *result["small"].values(), *result["big"].values()]:
        figures.pop("cpu", None)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    ok = result["consistent"] and all(
        r is not None and r <= TARGET_P99_RATIO for r in result["p99_ratio"].values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
