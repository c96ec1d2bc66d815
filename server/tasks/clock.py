"""The tasks domain's clock: one seam so tests can move time without sleeping."""

from datetime import datetime

from server.db.types import utcnow
from server.platform.localtime import SHANGHAI


def now() -> datetime:
    """The current UTC time (tests monkeypatch this function)."""
    return utcnow()


def local_date(moment: datetime):
    """The calendar date residents see for `moment` (Asia/Shanghai)."""
    return moment.astimezone(SHANGHAI).date()
