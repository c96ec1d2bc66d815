"""Snapshotting a month's notice with 10 thousand vs 1 million ledger entries.

A snapshot reads the monthly ranking totals off their index (the top 100 of each kind), never
the ledger, so its cost must not grow with history: target p99(1M) / p99(10k) <= 1.5.

    scripts/bench --scenario notify                      # on the harness stack, with deliveries
    python -m bench.notices_bench [--small 10000] [--big 1000000] [--pg URL]   # in-process

In-process against PostgreSQL: the history_latency community (2,000 members) is filled
through `ledger.import_credits`; each measurement writes a whole notice for 2026-11 (the
notice row, its frozen rows, its outbox event) in a transaction that is then rolled back,
REPEAT times; one real `snapshot_notice` per size checks the published result.
"""

import json
import sys
import time

from bench.history_latency import ACCOUNTS, _setup, fill
from bench.ledger_db import arguments, summary, throwaway_app

TARGET_P99_RATIO = 1.5
REPEAT = 200
PERIOD = "2026-11"


def _measure(app, community_id: int, repeat: int) -> dict:
    from server.db.session import db
    from server.notices.models import Notice
    from server.notices.snapshot import freeze_and_announce, notice_title, write_notice
    from server.points.rankings import parse_period

    period = parse_period(PERIOD)
    times = []
    with app.app_context():
        for _ in range(repeat):
            began = time.perf_counter()
            notice = Notice(
                community_id=community_id,
                period=PERIOD,
                period_type="month",
                revision=0,
                title=notice_title(period),
            )
            write_notice(notice)
            freeze_and_announce(notice, period)
            db.session.flush()
            times.append(time.perf_counter() - began)
            db.session.rollback()
        db.session.remove()
    return summary(times)


def _publish_once(app, community_id: int, period: str) -> int:
    from sqlalchemy import func, select

    from server.db.session import db
    from server.notices.models import NoticeRow
    from server.notices.snapshot import snapshot_notice

    with app.app_context():
        notice = snapshot_notice(community_id, period)
        rows = db.session.scalar(
            select(func.count()).where(NoticeRow.notice_id == notice.id, NoticeRow.kind == "person")
        )
        db.session.remove()
    return rows


def run(db_url: str, app, *, small=10_000, big=1_000_000, repeat=REPEAT, say=print) -> dict:
    community_id, first, _token = _setup(app)
    fill(db_url, app, community_id, first, 1, small)
    say(f"notices: {small:,} entries loaded; measuring")
    at_small = _measure(app, community_id, repeat)
    rows_small = _publish_once(app, community_id, "2026-10")
    fill(db_url, app, community_id, first, small + 1, big)
    say(f"notices: {big:,} entries loaded; measuring")
    at_big = _measure(app, community_id, repeat)
    rows_big = _publish_once(app, community_id, "2026-09")
    ratio = at_big["p99_ms"] / at_small["p99_ms"] if at_small["p99_ms"] else None
    return {
        "bench": "notices",
        "entries": {"small": small, "big": big},
        "small": at_small,
        "big": at_big,
        "p99_ratio": round(ratio, 3) if ratio else None,
        "target_ratio": TARGET_P99_RATIO,
        "published_person_rows": {"small": rows_small, "big": rows_big},
    }


def _size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: both sizes on the harness's stack, as report rows."""
    from bench.rows import Check, Row

    big = 100_000 if opts.quick else 1_000_000
    repeat = 50 if opts.quick else REPEAT
    result = run(ctx.db_url, ctx.app(), big=big, repeat=repeat, say=opts.say)
    small, big = _size(result["entries"]["small"]), _size(result["entries"]["big"])
    rows = []
    for size, label in (("small", small), ("big", big)):
        figures = result[size]
        rows.append(
            Row(
                scenario="notices",
                label=f"snapshot {PERIOD} @{label}",
                count=figures["n"],
                rate=1000 / figures["mean_ms"] if figures["mean_ms"] else 0.0,
                p50_ms=figures["p50_ms"],
                p99_ms=figures["p99_ms"],
                unit="snapshot",
                ref=None if size == "small" else f"snapshot {PERIOD} @{small}",
                max_p99_ratio=None if size == "small" else TARGET_P99_RATIO,
            )
        )
    published = result["published_person_rows"]
    rows[-1].invariants.append(
        Check(
            "a published notice holds the top 100 people",
            published == {"small": 100, "big": 100},
            f"person rows {published} of {ACCOUNTS} members",
        )
    )
    return rows


def main(argv=None) -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args(argv)
    with throwaway_app(args.pg, args.redis) as (app, url):
        result = run(
            url,
            app,
            small=args.small,
            big=args.big,
            repeat=args.repeat,
            say=lambda msg: print(msg, file=sys.stderr),
        )
    print(json.dumps(result, ensure_ascii=False, indent=2))
    ratio = result["p99_ratio"]
    return 0 if ratio is not None and ratio <= TARGET_P99_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
