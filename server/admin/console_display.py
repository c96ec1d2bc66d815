"""How the set-up, robot, log and job pages show values: times in Shanghai local time."""

from datetime import datetime

from server.admin.console import bp
from server.platform.localtime import SHANGHAI


@bp.app_template_filter("shanghai_time")
def shanghai_time(value: datetime | None) -> str:
    """A stored (UTC, aware) time as local `YYYY-MM-DD HH:MM:SS`; — for none."""
    if value is None:
        return "—"
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
