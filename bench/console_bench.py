"""The office console at scale: 工作台 and 积分审核's queue with 10 thousand vs 1 million ledger
entries and 10 thousand vs 100 thousand claims, and a 200,000-row claims export written by an
RQ worker whose peak memory must stay under 200 MB and flat with the row count.

    scripts/bench --scenario console

In-process against the harness's PostgreSQL: a community of 2,000 members (bench/history_
latency.py) with a reviewer; the ledger is filled through `ledger.import_credits`; claims are
COPYed in the services' shape. History grows, the present does not: at every size OPEN claims
wait for review and THIS_MONTH were decided this month, the rest were decided in earlier years
(what a community accumulates). Each size measures `community_dashboard` (工作台's figures) and
the queue's first page (`claim_queue.list_claims(scope="queue")`, what 积分审核 shows) REPEAT
times; target p99(big) / p99(small) <= 1.5. The exports go through `start_export` (the
console's own path) to a `flask jobs worker --burst` process whose VmHWM is read from /proc.
"""

import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bench.history_latency import _setup, fill
from bench.ledger_db import summary
from bench.memory import status_kb

TARGET_P99_RATIO = 1.5
MAX_EXPORT_MB = 200
FLAT_MB = 30  # the 200k export's peak may exceed the 10k one's by at most this
OPEN, THIS_MONTH = 500, 2000
REPEAT = 200
HISTORY_START = date(2019, 1, 1)
ROOT = Path(__file__).resolve().parents[1]
COLUMNS = (
    "community_id, claimant_id, item_id, category_id, occurred_on, description, photo_ids, "
    "status, content_verdict, points, decided_by, decided_at, created_at, updated_at"
)


def _reviewer_and_item(app, community_id: int) -> dict:
    from sqlalchemy import select

    from server.community.models import Membership, RoleGrant
    from server.db.session import db
    from server.points.models import PointCategory, PointItem, PointItemVersion

    with app.app_context():
        members = db.session.scalars(
            select(Membership.user_id)
            .where(Membership.community_id == community_id)
            .order_by(Membership.user_id)
        ).all()
        reviewer = members[0]
        db.session.add_all(
            RoleGrant(user_id=reviewer, community_id=community_id, role=role)
            for role in ("reviewer", "admin")
        )
        category = PointCategory(community_id=community_id, code="vol", name="志愿服务")
        db.session.add(category)
        db.session.flush()
        item = PointItem(
            community_id=community_id, category_id=category.id, code="V01", name="垃圾分类督导"
        )
        db.session.add(item)
        db.session.flush()
        db.session.add(PointItemVersion(item_id=item.id, points=10, effective_from=HISTORY_START))
        db.session.commit()
        ids = {"reviewer": reviewer, "members": members, "item": item.id, "cat": category.id}
        db.session.remove()
    return ids


def _claim(n: int, ids: dict, community_id: int, now: datetime) -> tuple:
    """Claim n (1-based): open, decided this month, or decided in an earlier year."""
    members = ids["members"]
    claimant = members[1 + n % (len(members) - 1)]
    if n <= OPEN:
        created, status, decided_at = now - timedelta(minutes=n), "pending", None
    elif n <= OPEN + THIS_MONTH:
        created = decided_at = now - timedelta(minutes=n)
        status = "approved"
    else:
        created = decided_at = datetime.combine(
            HISTORY_START + timedelta(days=n % 2000), datetime.min.time(), UTC
        ) + timedelta(seconds=n % 86400)
        status = "approved"
    decided_by = ids["reviewer"] if decided_at else None
    return (community_id, claimant, ids["item"], ids["cat"], created.date(),
            f"垃圾分类督导 第{n}次", "[]", status, "pass", 10, decided_by, decided_at,
            created, created)  # fmt: skip


def add_claims(db_url: str, ids: dict, community_id: int, lo: int, hi: int, now) -> None:
    """Claims lo..hi COPYed in one transaction, then the table analysed."""
    import psycopg

    with psycopg.connect(db_url) as conn:
        with conn.cursor().copy(f"COPY point_claims ({COLUMNS}) FROM STDIN") as copy:
            for n in range(lo, hi + 1):
                copy.write_row(_claim(n, ids, community_id, now))
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE point_claims")


def _measure(app, ids: dict, community_id: int, repeat: int) -> dict:
    from server.admin.dashboard import community_dashboard
    from server.auth.models import User
    from server.db.session import db
    from server.points import claim_queue

    out = {"dashboard": [], "queue": []}
    with app.app_context():
        user = db.session.get(User, ids["reviewer"])
        for _ in range(repeat):
            began = time.perf_counter()
            figures = community_dashboard(user, community_id)
            out["dashboard"].append(time.perf_counter() - began)
            began = time.perf_counter()
            page = claim_queue.list_claims(user, 50, None, scope="queue")
            out["queue"].append(time.perf_counter() - began)
        db.session.remove()
    if figures["pending"]["count"] != OPEN or len(page.items) != 50:
        raise RuntimeError(f"unexpected figures: {figures['pending']}, {len(page.items)} rows")
    return {name: summary(times) for name, times in out.items()}


def export_in_worker(ctx, ids: dict, community_id: int, upload_dir: Path) -> dict:
    """Queue the approved claims' export as the console does; run one burst worker on it."""
    from flask import g
    from openpyxl import load_workbook

    from server.admin.console import console_for
    from server.admin.console_exports import start_export
    from server.admin.console_models import ConsoleExport
    from server.auth.models import User
    from server.db.session import db

    app, query = ctx.app(), "status=approved"
    with app.app_context(), app.test_request_context(f"/console/exports/claims?{query}"):
        g.console = console_for(db.session.get(User, ids["reviewer"]), community_id)
        export_id = start_export(g.console, "claims", query).id
        db.session.remove()
    env = {**ctx.env, "UPLOAD_DIR": str(upload_dir)}
    began, peak = time.perf_counter(), 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "server", "jobs", "worker", "--burst"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    while proc.poll() is None:
        peak = max(peak, status_kb(proc.pid).get("VmHWM", 0))
        time.sleep(0.02)
    elapsed = time.perf_counter() - began
    with app.app_context():
        export = db.session.get(ConsoleExport, export_id)
        status, rows, key = export.status, export.row_count, export.storage_key
        db.session.remove()
    sheet_rows = None
    if key:
        book = load_workbook(upload_dir / key, read_only=True)
        sheet_rows = book.active.max_row - 1  # the header
        book.close()
    err = proc.stderr.read().decode(errors="replace")[-300:] if status != "done" else ""
    return {"status": status, "rows": rows, "sheet_rows": sheet_rows, "peak_mb": peak / 1024,
            "seconds": elapsed, "error": err}  # fmt: skip


def run(ctx, *, small=10_000, big=1_000_000, claims_big=100_000, export_rows=200_000,
        repeat=REPEAT, say=print) -> dict:  # fmt: skip
    app, now = ctx.app(), datetime.now(UTC)
    community_id, first, _token = _setup(app)
    ids = _reviewer_and_item(app, community_id)
    uploads = ctx.run_dir / "console-uploads"
    fill(ctx.db_url, app, community_id, first, 1, small)
    add_claims(ctx.db_url, ids, community_id, 1, small, now)
    say(f"console: {small:,} entries and {small:,} claims; measuring")
    at_small = _measure(app, ids, community_id, repeat)
    export_small = export_in_worker(ctx, ids, community_id, uploads)
    fill(ctx.db_url, app, community_id, first, small + 1, big)
    add_claims(ctx.db_url, ids, community_id, small + 1, claims_big, now)
    say(f"console: {big:,} entries and {claims_big:,} claims; measuring")
    at_big = _measure(app, ids, community_id, repeat)
    add_claims(ctx.db_url, ids, community_id, claims_big + 1, export_rows + OPEN, now)
    say(f"console: exporting {export_rows:,} approved claims in a worker")
    export_big = export_in_worker(ctx, ids, community_id, uploads)
    return {"sizes": {"entries": (small, big), "claims": (small, claims_big)},
            "small": at_small, "big": at_big,
            "export_small": export_small, "export_big": export_big,
            "export_rows": export_rows}  # fmt: skip


def _k(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: both sizes and both exports, as report rows."""
    from bench.rows import Check, Row

    quick = opts.quick
    r = run(
        ctx,
        big=100_000 if quick else 1_000_000,
        claims_big=30_000 if quick else 100_000,
        export_rows=50_000 if quick else 200_000,
        repeat=50 if quick else REPEAT,
        say=opts.say,
    )
    (e_small, e_big), (c_small, c_big) = r["sizes"]["entries"], r["sizes"]["claims"]
    rows = []
    for name, label in (("dashboard", "工作台 figures"), ("queue", "积分审核 queue page")):
        small_label = f"{label} @{_k(e_small)} entries / {_k(c_small)} claims"
        for size, text in (
            ("small", small_label),
            ("big", f"{label} @{_k(e_big)} entries / {_k(c_big)} claims"),
        ):
            figures = r[size][name]
            rows.append(Row(
                scenario="console", label=text, count=figures["n"],
                rate=1000 / figures["mean_ms"] if figures["mean_ms"] else 0.0,
                p50_ms=figures["p50_ms"], p99_ms=figures["p99_ms"], unit="read",
                ref=None if size == "small" else small_label,
                max_p99_ratio=None if size == "small" else TARGET_P99_RATIO,
            ))  # fmt: skip
    small_x, big_x = r["export_small"], r["export_big"]
    for x in (small_x, big_x):
        rows.append(Row(
            scenario="console", label=f"export {x['rows'] or 0:,} rows in an RQ worker",
            count=x["rows"] or 0, rate=(x["rows"] or 0) / x["seconds"], unit="row",
            p50_ms=x["seconds"] * 1000, p99_ms=x["seconds"] * 1000,
        ))  # fmt: skip
    rows[-1].invariants += [
        Check("every export finished with every row",
              small_x["status"] == big_x["status"] == "done"
              and big_x["rows"] == big_x["sheet_rows"] == r["export_rows"],
              f"{small_x['status']}/{big_x['status']}; {big_x['rows']} rows, "
              f"{big_x['sheet_rows']} in the sheet {big_x['error']}"),
        Check(f"worker peak under {MAX_EXPORT_MB} MB", big_x["peak_mb"] < MAX_EXPORT_MB,
              f"{big_x['peak_mb']:.0f} MB for {big_x['rows']:,} rows"),
        Check("worker memory flat with the row count",
              big_x["peak_mb"] - small_x["peak_mb"] <= FLAT_MB,
              f"{small_x['peak_mb']:.0f} MB at {small_x['rows']:,} rows, "
              f"{big_x['peak_mb']:.0f} MB at {big_x['rows']:,}"),
    ]  # fmt: skip
    return rows
