"""The ledger's one-statement path against the portable one, in alternating slices.

server/points/ledger/fused.py may exist only while it is more than 20 % faster than the
portable path on the figure that matters: operations per second of the service a request
calls. Both paths run in this process against the same PostgreSQL database, in alternating
slices (portable, fused, fused, portable, ...) so drift of the machine hits both alike. Each
slice reserves (measured, 50 residents, one well-stocked offer), signs the codes (not
measured), then verifies each reservation once as merchant staff (measured), all on that
slice's path, then credits as many points through ledger.credit (measured, one commit each).
Target: fused > 1.2 x portable per second, for each of the three.

    scripts/bench --scenario fused_writes      # on the harness's database (the usual way)
    python -m bench.fused_writes [--pg postgresql://...] [--n 1600] [--rounds 8]
"""

import json
import secrets
import time

from bench.ledger_db import arguments, summary, throwaway_app
from bench.rows import no_cpu

TARGET_SPEEDUP = 1.2
PATHS = ("portable", "fused")
OPERATIONS = ("reserve", "verify", "credit")


def _use(app, path: str) -> None:
    app.config["LEDGER_FUSED_WRITES"] = path == "fused"


def run(app, n: int, rounds: int, *, staff_id: int, prepared: dict, cpu_snapshot=None) -> dict:
    """n reservations and n verifications per path, in alternating slices (in an app context)."""
    from sqlalchemy import select

    from server.db.session import db
    from server.points import ledger
    from server.rewards import redemption, verify
    from server.rewards.codes import sign_code
    from server.rewards.models import Offer

    snap = cpu_snapshot or no_cpu
    users, offer_id = prepared["user_ids"], prepared["offer_id"]
    sides = {
        (op, path): {"seconds": 0.0, "latencies": [], "db_cpu": 0.0, "own_cpu": 0.0}
        for op in OPERATIONS
        for path in PATHS
    }
    made: list[int] = []
    community_id = db.session.scalar(select(Offer.community_id).where(Offer.id == offer_id))
    accounts = [ledger.account_for_user(community_id, uid).id for uid in users]
    db.session.commit()

    def reserve(i: int) -> None:
        made.append(redemption.reserve(users[i % len(users)], offer_id)[0].id)

    def credit(i: int) -> None:
        ledger.credit(
            accounts[i % len(accounts)],
            5,
            reason="志愿服务：垃圾分类志愿督导",
            idempotency_key=f"fused-bench:{secrets.token_hex(8)}",
            cause_type="claim",
            cause_id=i,
        )
        db.session.commit()

    def timed(work, count: int, path: str, side: dict | None) -> None:
        _use(app, path)
        before, cpu0, start = snap(), time.process_time(), time.perf_counter()
        for i in range(count):
            t0 = time.perf_counter()
            work(i)
            db.session.remove()
            if side is not None:
                side["latencies"].append(time.perf_counter() - t0)
        if side is None:
            return
        side["seconds"] += time.perf_counter() - start
        side["own_cpu"] += time.process_time() - cpu0
        after = snap()
        side["db_cpu"] += sum(t - before["db"].get(pid, 0.0) for pid, t in after["db"].items())

    def slice_of(path: str, count: int, measured: bool) -> None:
        made.clear()
        timed(reserve, count, path, sides["reserve", path] if measured else None)
        codes = [sign_code(rid)["token"] for rid in made]  # not measured
        side = sides["verify", path] if measured else None
        timed(lambda i: verify.verify(staff_id, codes[i]), count, path, side)
        side = sides["credit", path] if measured else None
        timed(credit, count, path, side)

    per_round = n // rounds
    try:
        for path in PATHS:  # unmeasured warm-up: statement caches, prepared statements
            slice_of(path, 20, False)
        for r in range(rounds):
            for path in PATHS if r % 2 == 0 else PATHS[::-1]:
                slice_of(path, per_round, True)
    finally:
        _use(app, "fused")
    done = per_round * rounds
    out = {"bench": "fused_writes", "each_side": done, "target": TARGET_SPEEDUP}
    for (op, path), side in sides.items():
        out.setdefault(op, {})[path] = {
            "per_s": round(done / side["seconds"], 1),
            **summary(side["latencies"]),
            "own_cpu_ms": round(1000 * side["own_cpu"] / done, 3),
            "db_cpu_ms": round(1000 * side["db_cpu"] / done, 3) if cpu_snapshot else None,
        }
    for op in OPERATIONS:
        speedup = out[op]["fused"]["per_s"] / out[op]["portable"]["per_s"]
        out[op]["speedup"] = round(speedup, 3)
    out["passed"] = all(out[op]["speedup"] > TARGET_SPEEDUP for op in OPERATIONS)
    return out


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: both paths on the harness's database, as report rows."""
    from bench.redemption_bench import prepare
    from bench.rows import NAN, Row

    n = 200 if opts.quick else 800
    app = ctx.app()
    prepared = prepare(app, 50)
    with app.app_context():
        result = run(
            app, n, 8, staff_id=_staff_id(), prepared=prepared, cpu_snapshot=ctx.cpu_snapshot
        )
    rows = []
    for op in OPERATIONS:
        for path in PATHS:
            figures = result[op][path]
            row = Row(
                scenario="fused_writes",
                label=f"{op} ({path})",
                count=result["each_side"],
                rate=figures["per_s"],
                p50_ms=figures["p50_ms"],
                p99_ms=figures["p99_ms"],
                api_cpu_ms=figures["own_cpu_ms"],  # in-process: the harness's own CPU
                db_cpu_ms=NAN if figures["db_cpu_ms"] is None else figures["db_cpu_ms"],
                unit=op,
            )
            if path == "fused":
                row.ref, row.min_rate_ratio = f"{op} (portable)", TARGET_SPEEDUP
            rows.append(row)
    return rows


def _staff_id() -> int:
    from sqlalchemy import select

    from server.auth.models import User
    from server.db.session import db

    return db.session.scalar(select(User.id).where(User.nickname == "merchant-1"))


def main(argv=None) -> int:
    from bench.redemption_bench import prepare

    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, default=1600, help="reservations, verifications and credits per path"
    )
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args(argv)
    with throwaway_app(args.pg, args.redis) as (app, _url):
        from server.commands.seed_demo import seed_demo
        from server.db.session import db

        seed_demo()
        db.session.commit()
        staff_id = _staff_id()
        prepared = prepare(app, 50)
        result = run(app, args.n, args.rounds, staff_id=staff_id, prepared=prepared)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
