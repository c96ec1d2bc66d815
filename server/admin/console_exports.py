"""导出: every console list exports its current filter to xlsx. Up to CONSOLE_EXPORT_DIRECT_MAX
rows (3,000) the file is the answer; more become a background job (导出任务) run by an RQ worker
(or, without Redis, a thread of the API process), written in xlsxwriter's constant-memory mode,
kept in the upload store for KEEP_DAYS and downloadable only by the staff member who asked
(docs/console.md)."""

import io
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from flask import current_app, g, render_template, request
from redis.exceptions import RedisError
from sqlalchemy import select, update

from server.admin.console import console_for
from server.admin.console_models import MAX_EXPORT_QUERY, ConsoleExport
from server.admin.xlsx_files import XLSX, TooManyRows, attachment, write_xlsx
from server.auth.models import User
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import BadRequest, Conflict, Forbidden, NotFound
from server.http.pagination import MAX_LIMIT, paginate_by_id
from server.platform.rq_queues import background_enabled, queue
from server.uploads.storage import current_storage

log = logging.getLogger(__name__)

KEEP_DAYS = 7
ACTIVE_PER_USER = 3  # queued or running at once
STALE_AFTER = timedelta(hours=1)  # a job running this long died with its worker


@dataclass(frozen=True)
class ExportKind:
    """One list's export. `rows()` reads the filter from `request.args` and the user from
    `g.console`, exactly as the list page does, and yields one sequence per row."""

    name: str
    title: str
    headers: tuple[str, ...]
    roles: tuple[str, ...]
    rows: Callable[[], Iterable[Sequence]]

    @property
    def filename(self) -> str:
        return f"{self.title}.xlsx"


KINDS: dict[str, ExportKind] = {}


def export_kind(name: str, title: str, headers: Sequence[str], roles: tuple[str, ...]):
    """Register the decorated row generator as the export `name` (a list module does this)."""

    def register(rows) -> ExportKind:
        KINDS[name] = ExportKind(name, title, tuple(headers), roles, rows)
        return KINDS[name]

    return register


def each_item(fetch: Callable[[int, str | None], object]) -> Iterable:
    """Every item of a cursor-paginated service list, a page at a time (memory stays flat)."""
    cursor = None
    while True:
        page = fetch(MAX_LIMIT, cursor)
        yield from page.items
        cursor = page.next_cursor
        if not cursor:
            return


def respond(kind: ExportKind):
    """The 导出 link: the file when the filter holds at most the direct maximum, else a page
    offering to run it in the background."""
    direct_max = current_app.config["CONSOLE_EXPORT_DIRECT_MAX"]
    first = list(islice(iter(kind.rows()), direct_max + 1))
    if len(first) <= direct_max:
        buffer = io.BytesIO()
        write_xlsx(buffer, kind.headers, first, stream=False)
        return attachment(buffer.getvalue(), kind.filename)
    return render_template(
        "console/exports/offer.html", kind=kind, direct_max=direct_max, args=request.args
    )


def start_export(console, kind_name: str, query: str) -> ConsoleExport:
    """Queue a background export of `kind_name` with the list filter `query` for the user."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise NotFound("没有这种导出", code="export_kind_not_found")
    if not console.has(*kind.roles):
        raise Forbidden("您没有权限导出此列表")
    if len(query) > MAX_EXPORT_QUERY:
        raise BadRequest("筛选条件过长", code="invalid_query")
    next(iter(kind.rows()), None)  # the list's own checks refuse a bad filter now, not later
    active = db.session.scalars(
        select(ConsoleExport.id).where(
            ConsoleExport.user_id == console.user.id,
            ConsoleExport.status.in_(("queued", "running")),
            ConsoleExport.created_at > utcnow() - STALE_AFTER,
        )
    ).all()
    if len(active) >= ACTIVE_PER_USER:
        raise Conflict(f"已有 {len(active)} 个导出任务在进行，请稍后再试", code="exports_busy")
    export = ConsoleExport(
        user_id=console.user.id, community_id=console.community_id, kind=kind.name, query=query
    )
    db.session.add(export)
    db.session.commit()
    _dispatch(export.id)
    return export


def _dispatch(export_id: int) -> None:
    if background_enabled():
        try:
            queue("exports").enqueue(
                export_job, export_id, job_timeout=3600, result_ttl=600, failure_ttl=86400
            )
            return
        except RedisError:
            log.warning("could not queue an export; running it in this process")
    app = current_app._get_current_object()  # Flask's documented way to hand the app to a thread
    threading.Thread(target=_run_in_app, args=(app, export_id), daemon=True).start()


def _run_in_app(app, export_id: int) -> None:
    with app.app_context():
        export_job(export_id)


def export_job(export_id: int) -> dict:
    """The background job (RQ or a thread): run the export, then release the session."""
    try:
        return run_export(export_id)
    finally:
        db.session.remove()


def run_export(export_id: int) -> dict:
    """Write a queued export once (a second run of the same job finds it taken)."""
    taken = db.session.execute(
        update(ConsoleExport)
        .where(ConsoleExport.id == export_id, ConsoleExport.status == "queued")
        .values(status="running", started_at=utcnow())
    ).rowcount
    db.session.commit()
    if not taken:
        return {"export": export_id, "status": "taken"}
    export = db.session.get(ConsoleExport, export_id)
    try:
        count, key = _write(export)
    except Exception as exc:  # noqa: BLE001 - any failure is shown on 导出任务, never a lost job
        db.session.rollback()
        message = exc.message if hasattr(exc, "message") else "导出失败，请重试"
        if isinstance(exc, TooManyRows):
            message = "超过 100 万行，请缩小筛选范围"
        log.warning("console export failed", extra={"export_id": export_id, "error": str(exc)})
        _finish(export_id, status="failed", error=message[:200])
        return {"export": export_id, "status": "failed"}
    _finish(export_id, status="done", row_count=count, storage_key=key)
    return {"export": export_id, "status": "done", "rows": count}


def _write(export: ConsoleExport) -> tuple[int, str]:
    user = db.session.get(User, export.user_id)
    console = console_for(user, export.community_id) if user else None
    kind = KINDS[export.kind]
    if console is None or not console.has(*kind.roles):
        raise Forbidden("您已没有权限导出此列表")
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        # The list's own code parses the stored filter, so a background file holds exactly
        # what the page showed.
        with current_app.test_request_context("/console/exports", query_string=export.query):
            g.console = console
            count = write_xlsx(path, kind.headers, kind.rows(), stream=True)
        key = f"exports/{export.id}-{os.urandom(8).hex()}.xlsx"
        with open(path, "rb") as file:
            current_storage().put(key, file.read(), XLSX)
    finally:
        os.unlink(path)
    return count, key


def _finish(export_id: int, **values) -> None:
    db.session.execute(
        update(ConsoleExport)
        .where(ConsoleExport.id == export_id)
        .values(finished_at=utcnow(), **values)
    )
    db.session.commit()


def list_exports(console, limit: int, cursor: str | None):
    """The user's own exports in this community, newest first."""
    stmt = select(ConsoleExport).where(
        ConsoleExport.user_id == console.user.id,
        ConsoleExport.community_id == console.community_id,
    )
    return paginate_by_id(db.session, stmt, ConsoleExport.id, limit, cursor)


def shown_status(export: ConsoleExport, now: datetime) -> str:
    """What 导出任务 says: a job running past STALE_AFTER died with its worker."""
    started = export.started_at or export.created_at
    if export.status in ("queued", "running") and now - started > STALE_AFTER:
        return "stale"
    return export.status


def open_export(console, export_id: int) -> tuple[object, str]:
    """(stream, filename) of the user's finished export; anyone else's is not found."""
    export = db.session.get(ConsoleExport, export_id)
    if (
        export is None
        or export.user_id != console.user.id
        or export.community_id != console.community_id
    ):
        raise NotFound("导出任务不存在", code="export_not_found")
    if export.status != "done":
        raise Conflict("导出尚未完成", code="export_not_ready")
    stream = current_storage().open(export.storage_key)
    if stream is None:
        raise NotFound("导出文件已过期，请重新导出", code="export_expired")
    return stream, KINDS[export.kind].filename


def purge_old_exports(now: datetime) -> int:
    """Delete exports (rows and files) older than KEEP_DAYS; the number deleted."""
    old = db.session.scalars(
        select(ConsoleExport).where(ConsoleExport.created_at < now - timedelta(days=KEEP_DAYS))
    ).all()
    for export in old:
        if export.storage_key:
            current_storage().delete(export.storage_key)
        db.session.delete(export)
    db.session.commit()
    return len(old)
