"""Credits per second through the ledger service versus plain SQL writing the same rows.

Both sides write the same rows per credit - the account UPDATE, the entry INSERT and the
upsert of the account's ranking total for the month - and commit once, into the same
PostgreSQL database, interleaved in rounds so machine noise hits both alike. The plain side
sends three hand-written statements; the ledger side is the service as the app calls it:
idempotency key, ranking kinds from the holder's roles, the ORM entry, the profile-cache
bump and the Redis ranking increment after commit. Target: ratio >= 0.5.

    scripts/bench --scenario ledger_throughput      # on the harness's database (the usual way)
    python -m bench.ledger_throughput [--pg postgresql://...] [--n 4000] [--rounds 4]
"""

import json
import secrets
import time

from sqlalchemy import text

from bench.ledger_db import arguments, make_community, summary, throwaway_app
from bench.rows import no_cpu

TARGET_RATIO = 0.5
PLAIN_UPDATE = text(
    "UPDATE point_accounts SET balance = balance + :n, earned = earned + :n, updated_at = now()"
    " WHERE id = :id RETURNING balance"
)
PLAIN_INSERT = text(
    "INSERT INTO ledger_entries (account_id, amount, balance_after, kind, cause_type, cause_id,"
    " reason, idempotency_key, rank_month, rank_kinds, created_at) VALUES (:id, :n, :after,"
    " 'credit', 'claim', :cause, :reason, :key, :month, 'person', now())"
)
PLAIN_TOTAL = text(
    "INSERT INTO point_period_totals (account_id, community_id, kind, month, points)"
    " VALUES (:id, :community, 'person', :month, :n) ON CONFLICT (account_id, kind, month)"
    " DO UPDATE SET points = point_period_totals.points + excluded.points"
)
REASON = "志愿服务：垃圾分类志愿督导"


def _process_cpu() -> float:
    return time.process_time()


def run(
    app, n: int, rounds: int, accounts: int = 50, *, code: str | None = None, cpu_snapshot=None
) -> dict:
    """Post n credits each way (call inside an app context); rates, latencies, CPU.

    `cpu_snapshot` (StackContext.cpu_snapshot) adds this database's PostgreSQL CPU per side;
    this process's own CPU per side is measured either way.
    """
    from server.db.session import db
    from server.db.types import utcnow
    from server.platform.localtime import month_of
    from server.points import ledger

    snap = cpu_snapshot or no_cpu
    tag = code or f"lt{secrets.token_hex(3)}"  # community code and key prefix, unique per run
    community_id = make_community(tag)
    held = [ledger.account_for_user(community_id, 10_000 + i) for i in range(accounts)]
    ids = [a.id for a in held]
    db.session.commit()
    per_round = n // rounds
    sides = {
        name: {"seconds": 0.0, "latencies": [], "db_cpu": 0.0, "own_cpu": 0.0}
        for name in ("ledger", "plain")
    }

    def timed(name: str, body) -> None:
        side = sides[name]
        before, cpu0 = snap(), _process_cpu()
        start = time.perf_counter()
        body(side["latencies"])
        side["seconds"] += time.perf_counter() - start
        side["own_cpu"] += _process_cpu() - cpu0
        after = snap()
        side["db_cpu"] += sum(t - before["db"].get(pid, 0.0) for pid, t in after["db"].items())

    def through_ledger(latencies, r, count):
        for i in range(count):
            t0 = time.perf_counter()
            # Both sides get the same input, an account id: an ORM account object would be
            # expired by the previous commit and cost a reload the plain side never pays.
            ledger.credit(
                ids[i % accounts],
                5,
                reason=REASON,
                idempotency_key=f"L{tag}:{r}:{i}",
                cause_type="claim",
                cause_id=i,
            )
            db.session.commit()
            latencies.append(time.perf_counter() - t0)

    def plain_sql(latencies, r, count):
        month = month_of(utcnow())  # the month the ledger side's totals go to
        with db.engine.connect() as conn:
            for i in range(count):
                t0 = time.perf_counter()
                account_id = ids[i % accounts]
                with conn.begin():
                    after = conn.execute(PLAIN_UPDATE, {"n": 5, "id": account_id}).scalar()
                    conn.execute(
                        PLAIN_INSERT,
                        {
                            "id": account_id,
                            "n": 5,
                            "after": after,
                            "cause": str(i),
                            "reason": REASON,
                            "key": f"P{tag}:{r}:{i}",
                            "month": month,
                        },
                    )
                    conn.execute(
                        PLAIN_TOTAL,
                        {"id": account_id, "community": community_id, "month": month, "n": 5},
                    )
                latencies.append(time.perf_counter() - t0)

    # Unmeasured warm-up of both paths (first-use compilation, pool, caches).
    through_ledger([], "w", 25)
    plain_sql([], "w", 25)
    for r in range(rounds):
        timed("ledger", lambda lat, r=r: through_ledger(lat, r, per_round))
        timed("plain", lambda lat, r=r: plain_sql(lat, r, per_round))
    done = per_round * rounds
    out = {"bench": "ledger_throughput", "credits_each_side": done}
    for name, side in sides.items():
        out[name] = {
            "credits_per_s": round(done / side["seconds"], 1),
            **summary(side["latencies"]),
            "own_cpu_ms": round(1000 * side["own_cpu"] / done, 3),
            "db_cpu_ms": round(1000 * side["db_cpu"] / done, 3) if cpu_snapshot else None,
        }
    ratio = out["ledger"]["credits_per_s"] / out["plain"]["credits_per_s"]
    out.update(ratio=round(ratio, 3), target_ratio=TARGET_RATIO, passed=ratio >= TARGET_RATIO)
    return out


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: both sides on the harness's database, as report rows."""
    from bench.rows import NAN, Row

    n = 800 if opts.quick else 4000
    app = ctx.app()
    with app.app_context():
        result = run(app, n, 4, cpu_snapshot=ctx.cpu_snapshot)
    rows = []
    for side, label in (("plain", "plain SQL, same 3 rows"), ("ledger", "ledger.credit")):
        figures = result[side]
        row = Row(
            scenario="ledger_throughput",
            label=label,
            count=result["credits_each_side"],
            rate=figures["credits_per_s"],
            p50_ms=figures["p50_ms"],
            p99_ms=figures["p99_ms"],
            api_cpu_ms=figures["own_cpu_ms"],  # in-process: the harness's own CPU
            db_cpu_ms=NAN if figures["db_cpu_ms"] is None else figures["db_cpu_ms"],
            unit="credit",
        )
        if side == "ledger":
            row.ref, row.min_rate_ratio = "plain SQL, same 3 rows", TARGET_RATIO
        rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="credits per side")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    with throwaway_app(args.pg, args.redis) as (app, _url):
        result = run(app, args.n, args.rounds)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
