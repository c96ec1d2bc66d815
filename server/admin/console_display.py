"""How console pages show values: times in Shanghai local time (one filter, two formats) and
audit snapshots as `field: value` lines."""

from datetime import datetime

from server.admin.audit_entries import readable
from server.admin.console import bp
from server.platform.localtime import SHANGHAI


@bp.app_template_filter("local_minute")
def local_minute(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as Shanghai wall time for a page ("—" when there is none)."""
    return moment.astimezone(SHANGHAI).strftime(fmt) if moment else "—"


@bp.app_template_filter("shanghai_time")
def shanghai_time(moment: datetime | None) -> str:
    """The same to the second, for logs and job runs."""
    return local_minute(moment, "%Y-%m-%d %H:%M:%S")


@bp.app_template_filter("change_lines")
def change_lines(change: dict | None) -> str:
    return readable(change)
