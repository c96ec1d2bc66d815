"""Credits per second through the ledger service versus a plain SQL insert+update.

Both sides post the same rows (one UPDATE of the account, one INSERT of its entry, one commit
per credit) into the same throwaway PostgreSQL database, interleaved in rounds so machine noise
hits both alike. The ledger side also keeps its invariants: conditional update, idempotency
key, ranking totals upsert and ORM objects. Target: ratio >= 0.5.

    python -m bench.ledger_throughput [--pg postgresql://...] [--n 4000] [--rounds 4]
"""

import json
import time

from sqlalchemy import text

from bench.ledger_db import arguments, make_community, throwaway_app

PLAIN_UPDATE = text(
    "UPDATE point_accounts SET balance = balance + :n, earned = earned + :n, updated_at = now()"
    " WHERE id = :id RETURNING balance"
)
PLAIN_INSERT = text(
    "INSERT INTO ledger_entries (account_id, amount, balance_after, kind, cause_type, cause_id,"
    " reason, idempotency_key, rank_kinds, created_at) VALUES (:id, :n, :after, 'credit',"
    " 'claim', :cause, :reason, :key, '', now())"
)
REASON = "志愿服务：垃圾分类志愿督导"


def run(app, n: int, rounds: int, accounts: int = 50) -> dict:
    from server.extensions import db
    from server.points import ledger

    community_id = make_community()
    held = [ledger.account_for_user(community_id, 10_000 + i) for i in range(accounts)]
    ids = [a.id for a in held]
    db.session.commit()
    per_round = n // rounds
    ledger_time = plain_time = 0.0
    done = 0
    for r in range(rounds):
        start = time.perf_counter()
        for i in range(per_round):
            # Callers hold the account they looked up; the ledger never reloads it.
            ledger.credit(
                held[i % accounts],
                5,
                reason=REASON,
                idempotency_key=f"L{r}:{i}",
                cause_type="claim",
                cause_id=i,
            )
            db.session.commit()
        ledger_time += time.perf_counter() - start

        with db.engine.connect() as conn:
            start = time.perf_counter()
            for i in range(per_round):
                with conn.begin():
                    after = conn.execute(PLAIN_UPDATE, {"n": 5, "id": ids[i % accounts]}).scalar()
                    conn.execute(
                        PLAIN_INSERT,
                        {
                            "id": ids[i % accounts],
                            "n": 5,
                            "after": after,
                            "cause": str(i),
                            "reason": REASON,
                            "key": f"P{r}:{i}",
                        },
                    )
            plain_time += time.perf_counter() - start
        done += per_round
    ledger_rate = done / ledger_time
    plain_rate = done / plain_time
    return {
        "bench": "ledger_throughput",
        "credits_each_side": done,
        "ledger_credits_per_s": round(ledger_rate, 1),
        "plain_sql_credits_per_s": round(plain_rate, 1),
        "ratio": round(ledger_rate / plain_rate, 3),
        "target_ratio": 0.5,
        "pass": ledger_rate / plain_rate >= 0.5,
    }


def main(argv=None) -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4000, help="credits per side")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    with throwaway_app(args.pg, args.redis) as (app, _url):
        result = run(app, args.n, args.rounds)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
