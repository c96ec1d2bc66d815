"""GET /points/balance and GET /rankings latency with 10 thousand vs 1 million ledger entries.

Reads use the account row and the monthly totals, never a scan of the ledger, so their cost
must not grow with history: target p99(1M) / p99(10k) <= 1.5 for each endpoint. Runs on a
throwaway PostgreSQL database (and Redis for the ranking, when --redis is given).

    python -m bench.history_latency [--pg postgresql://...] [--redis redis://...] [--big 1000000]
"""

import json
import time

from sqlalchemy import text

from bench.ledger_db import arguments, make_community, summary, throwaway_app

ACCOUNTS = 2000
REQUESTS = 300

BULK = text(
    """
    INSERT INTO ledger_entries (account_id, amount, balance_after, kind, cause_type, cause_id,
        reason, idempotency_key, rank_month, rank_kinds, created_at)
    SELECT a.id, 5, 5, 'import', 'bench', g::text, '志愿服务：垃圾分类志愿督导', 'bulk:' || g,
        to_char(timestamptz '2026-01-01' + (g % 320) * interval '1 day', 'YYYY-MM'), 'person',
        timestamptz '2026-01-01' + (g % 320) * interval '1 day'
    FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) g
    JOIN point_accounts a ON a.id = CAST(:first AS bigint) + (g % CAST(:accounts AS bigint))
    """
)
RESYNC = text(
    """
    UPDATE point_accounts a SET balance = s.total, earned = s.total
    FROM (SELECT account_id, sum(amount) AS total FROM ledger_entries GROUP BY account_id) s
    WHERE a.id = s.account_id
    """
)


def _setup(app) -> tuple[int, int, str]:
    """A community with ACCOUNTS members; return (community id, first account id, token)."""
    from server.auth.models import User
    from server.auth.tokens import issue_access_token
    from server.community.models import Membership
    from server.extensions import db
    from server.points import ledger

    community_id = make_community()
    users = [User(openid=f"bench-{i}", real_name=f"居民{i:04d}") for i in range(ACCOUNTS)]
    db.session.add_all(users)
    db.session.flush()
    db.session.add_all(Membership(user_id=u.id, community_id=community_id) for u in users)
    accounts = [ledger.account_for_user(community_id, u.id).id for u in users]
    db.session.commit()
    token, _ = issue_access_token(users[0].id)
    return community_id, accounts[0], token


def _fill(app, community_id: int, first: int, start: int, stop: int) -> None:
    from server.extensions import db
    from server.points import rankings

    for lo in range(start, stop + 1, 200_000):
        hi = min(stop, lo + 199_999)
        db.session.execute(BULK, {"start": lo, "stop": hi, "first": first, "accounts": ACCOUNTS})
        db.session.commit()
    db.session.execute(RESYNC)
    rankings.rebuild(community_id)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def _measure(client, token: str) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    paths = {
        "balance": "/api/v1/points/balance",
        "ledger_first_page": "/api/v1/points/ledger?limit=20",
        "rankings_month": "/api/v1/rankings?period=2026-11&kind=person&limit=20",
        "rankings_year": "/api/v1/rankings?period=2026&kind=person&limit=20",
    }
    out = {}
    for name, path in paths.items():
        for _ in range(20):  # warm caches and the connection pool
            client.get(path, headers=headers)
        samples = []
        for _ in range(REQUESTS):
            start = time.perf_counter()
            resp = client.get(path, headers=headers)
            samples.append(time.perf_counter() - start)
            assert resp.status_code == 200, resp.get_json()
        out[name] = summary(samples)
    return out


def run(app, small: int, big: int) -> dict:
    from server.extensions import db

    community_id, first, token = _setup(app)
    client = app.test_client()
    _fill(app, community_id, first, 1, small)
    at_small = _measure(client, token)
    _fill(app, community_id, first, small + 1, big)
    at_big = _measure(client, token)
    entries = db.session.scalar(text("SELECT count(*) FROM ledger_entries"))
    ratios = {k: round(at_big[k]["p99_ms"] / at_small[k]["p99_ms"], 3) for k in at_small}
    return {
        "bench": "history_latency",
        "entries": {"small": small, "big": entries},
        "ranking_source": "redis" if app.config.get("REDIS_URL") else "sql",
        "small": at_small,
        "big": at_big,
        "p99_ratio": ratios,
        "target_ratio": 1.5,
        "pass": all(r <= 1.5 for r in ratios.values()),
    }


def main(argv=None) -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with throwaway_app(args.pg, args.redis) as (app, _url):
        result = run(app, args.small, args.big)
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
