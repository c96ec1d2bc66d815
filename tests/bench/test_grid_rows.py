"""The `grid` bench's bulk-loaded reports have the shape the grid's services give reports
in each state (compared with the demo's, which went through the services), and the per-grid
counts the bench reads see them."""

from sqlalchemy import select

from bench import grid_reports, grid_rows
from server.auth.models import User
from server.commands.seed_demo import seed_demo
from server.db.session import db
from server.grid.report_models import Report
from server.grid.report_queue import grid_stats

# Not loaded by the bench (its reads never touch them): the reporter's credit, and the free
# texts a service sets only on some paths.
NOT_LOADED = {"reporter_entry_id", "feedback", "last_reason"}


def _filled(report: Report) -> frozenset:
    columns = Report.__table__.columns.keys()
    return frozenset(c for c in columns if getattr(report, c) is not None) - NOT_LOADED


def _shapes(reports) -> dict[str, set]:
    """Per status, the distinct sets of filled columns."""
    out: dict[str, set] = {}
    for report in reports:
        out.setdefault(report.status, set()).add(_filled(report))
    return out


def test_bench_rows_are_shaped_like_the_services_reports(app, query, monkeypatch):
    monkeypatch.setitem(app.config, "SEED_DEMO_GRID", True)
    monkeypatch.setattr(grid_rows, "_vacuum", lambda url: None)  # PostgreSQL-only upkeep
    with app.app_context():
        seed_demo()
        demo = _shapes(db.session.scalars(select(Report)))
        db.session.remove()
    world = grid_reports._setup(app)
    world["db_url"] = None
    grid_rows.load(app, world, 1, 400)

    bench = query(
        lambda s: _shapes(
            s.scalars(select(Report).where(Report.community_id == world["community_id"]))
        )
    )
    assert set(bench) == {state for state, _ in grid_rows.RECENT_MIX}
    compared = set(demo) & set(bench)
    assert compared >= {"submitted", "accepted", "waiting", "resolved", "confirmed", "duplicate"}
    for state in compared:
        assert bench[state] <= demo[state], state  # every loaded shape is one a service made


def test_the_counts_the_bench_reads_see_the_loaded_reports(app, monkeypatch):
    monkeypatch.setattr(grid_rows, "_vacuum", lambda url: None)
    world = grid_reports._setup(app)
    world["db_url"] = None
    grid_rows.load(app, world, 1, 500)
    with app.app_context():
        admin = db.session.get(User, world["admin_id"])
        stats = grid_stats(admin, 20, None)
        open_rows = db.session.scalars(
            select(Report).where(
                Report.community_id == world["community_id"],
                Report.status.in_(grid_rows.OPEN),
            )
        ).all()
        db.session.remove()
    assert sum(item["open"] for item in stats["items"]) == len(open_rows) > 0
    assert sum(item["overdue"] for item in stats["items"]) > 0
    assert len(stats["items"]) == grid_rows.GRIDS
