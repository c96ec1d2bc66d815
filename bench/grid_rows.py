"""The reports the `grid` bench loads: rows shaped as the grid's services leave them, in bulk.

The grid has no bulk path for reports (each is posted by a resident and walked by its
handlers), so this is the one place the bench writes them: a Core INSERT per CHUNK rows, each
row as submit_report writes it and as accept, wait, resolve, confirm, mark_duplicate and
reject then leave it, with the SLA clock columns computed by `report_sla` itself. Their outbox
events and reporter credits are not written: the measured reads never touch them.
"""

import time
from datetime import timedelta

GRIDS = 8
CHUNK = 5_000  # rows per INSERT statement and transaction

# A community that keeps up: the open backlog is its recent reports, not a share of its
# history (one that closed 100,000 reports does not have 15,000 open). Each load's newest
# RECENT reports are from the last 6 days (many open, some past due); older ones are closed.
RECENT = 150
RECENT_MIX = [
    ("submitted", 30), ("accepted", 25), ("waiting", 10), ("resolved", 15), ("confirmed", 10),
    ("duplicate", 5), ("in_review", 3), ("rejected", 2),
]  # fmt: skip
HISTORY_MIX = [("confirmed", 78), ("resolved", 8), ("duplicate", 8), ("rejected", 6)]
STATES = {
    recent: [state for state, share in mix for _ in range(share)]
    for recent, mix in ((True, RECENT_MIX), (False, HISTORY_MIX))
}
assert all(len(states) == 100 for states in STATES.values())
OPEN = ("submitted", "accepted", "waiting")


def _mixed(n: int) -> int:
    """Knuth's multiplicative hash: states and grids independent of each other and of n's order."""
    return (n * 2654435761) % 2**32


def report_row(world: dict, n: int, now, anchors: dict, recent: bool = False) -> dict:
    """Report n (a recent one or history) as the services leave it in its state."""
    from server.grid import report_sla

    h = _mixed(n)
    state = STATES[recent][(h >> 8) % 100]
    grid_id = world["grid_ids"][h % GRIDS]
    accept, resolve = world["accept_within"], world["resolve_within"]
    # Recent: 0-6 days old (some open ones past their due); history: up to two years old.
    age = (
        timedelta(minutes=(n * 37) % (6 * 1440))
        if recent
        else timedelta(days=7 + n % 720, minutes=n % 1440)
    )
    posted = now - age
    row = {
        "community_id": world["community_id"],
        "reporter_id": world["resident_ids"][n % len(world["resident_ids"])],
        "category_id": world["category_id"],
        "grid_id": grid_id,
        "text": f"第 {n} 号：楼道堆放杂物，影响通行",
        "place": f"{n % 20 + 1} 栋",
        "latitude": None,
        "longitude": None,
        "photo_ids": [],
        "resolution_photo_ids": [],
        "status": "submitted",
        "content_verdict": "pass",
        "accept_within": accept,
        "resolve_within": resolve,
        "clock_consumed": 0,
        "clock_running_since": None,
        "accept_due_at": None,
        "resolve_due_at": None,
        "reopened_count": 0,
        "created_at": posted,
        "updated_at": posted,
    }
    if state in ("in_review", "rejected"):
        row.update(status=state, content_verdict="review")
        if state == "rejected":
            row.update(last_reason="内容不符合社区规范")
        return row
    row.update(report_sla.started(posted, accept, resolve))
    if state == "duplicate":
        row.update(status="duplicate", duplicate_of_id=anchors[grid_id])
        row.update(report_sla.stopped(_Clock(row), posted + timedelta(hours=2), paused=False))
        return row
    if state == "submitted":
        return row
    accepted_at = posted + timedelta(hours=3 + n % 20)
    row.update(status="accepted", accepted_by=world["worker_id"], accepted_at=accepted_at)
    if state == "waiting":
        row.update(status="waiting", last_reason="需要与您约定上门时间")
        row.update(report_sla.stopped(_Clock(row), accepted_at + timedelta(hours=1), paused=True))
    elif state in ("resolved", "confirmed"):
        resolved_at = accepted_at + timedelta(hours=5 + n % 40)
        row.update(status="resolved", resolved_by=world["worker_id"], resolved_at=resolved_at)
        row.update(resolution_note="已清理完毕")
        row.update(report_sla.stopped(_Clock(row), resolved_at, paused=False))
        if state == "confirmed":
            row.update(status="confirmed", rating=3 + n % 3, confirmed_at=resolved_at + age / 10)
    return row


class _Clock:
    """The clock columns of a row, as report_sla reads them from a Report."""

    def __init__(self, row: dict):
        self.__dict__.update(row)


def load(app, world: dict, start: int, stop: int) -> float:
    """Reports start..stop (1-based) into the database; return seconds taken."""
    from sqlalchemy import insert

    from server.db.session import db
    from server.db.types import utcnow
    from server.grid.report_models import Report

    began = time.perf_counter()
    now = utcnow()
    with app.app_context():
        anchors = world.setdefault("anchors", {})
        for grid_id in world["grid_ids"]:
            if grid_id not in anchors:  # the originals duplicates point at: one per grid
                row = report_row(world, 0, now, {})  # number 0 mixes to 0: confirmed
                row["grid_id"] = grid_id
                anchors[grid_id] = db.session.scalar(
                    insert(Report).values(row).returning(Report.id)
                )
        for lo in range(start, stop + 1, CHUNK):
            rows = [
                report_row(world, n, now, anchors, recent=n > stop - RECENT)
                for n in range(lo, min(stop, lo + CHUNK - 1) + 1)
            ]
            # Every key in every row, so one executemany statement takes them all.
            keys = set().union(*rows)
            db.session.execute(insert(Report), [dict.fromkeys(keys) | r for r in rows])
            db.session.commit()
        db.session.remove()
    _vacuum(world["db_url"])
    return time.perf_counter() - began


def _vacuum(db_url: str) -> None:
    import psycopg

    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE reports")
