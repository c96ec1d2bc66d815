"""导出任务: start a background export of a list's filter, watch it and download the file.
Thin: console_exports decides who may export what and who may download."""

from flask import g, redirect, render_template, request, send_file, url_for

from server.admin.console import bp, console_page, page_args
from server.admin.console_exports import (
    KINDS,
    list_exports,
    open_export,
    shown_status,
    start_export,
)
from server.admin.xlsx_files import XLSX
from server.db.types import utcnow

STATUS_LABELS = {
    "queued": "排队中",
    "running": "生成中",
    "done": "已完成",
    "failed": "失败",
    "stale": "已中断，请重新导出",
}


def _exports_context() -> dict:
    limit, cursor = page_args(20)
    page = list_exports(g.console, limit, cursor)
    now = utcnow()
    rows = [{"export": e, "status": shown_status(e, now)} for e in page.items]
    waiting = any(row["status"] in ("queued", "running") for row in rows)
    return {
        "page": page, "rows": rows, "waiting": waiting, "labels": STATUS_LABELS, "kinds": KINDS
    }  # fmt: skip


@bp.get("/exports")
@console_page()
def exports_page():
    return render_template("console/exports/list.html", args=request.args, **_exports_context())


@bp.get("/exports/table")
@console_page()
def exports_table():
    """The table alone, polled by htmx every 2 s while an export is being written."""
    return render_template("console/exports/_table.html", args=request.args, **_exports_context())


@bp.post("/exports/<kind>")
@console_page()
def export_start(kind):
    query = request.query_string.decode("utf-8", "replace")
    start_export(g.console, kind, query)
    return redirect(url_for("console.exports_page"), code=303)


@bp.get("/exports/<int:export_id>/download")
@console_page()
def export_download(export_id):
    stream, filename = open_export(g.console, export_id)
    return send_file(stream, mimetype=XLSX, as_attachment=True, download_name=filename)
