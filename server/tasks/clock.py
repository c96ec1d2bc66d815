"""The tasks domain's clock: one seam so tests can move time without sleeping."""

from datetime import datetime

from server.db.types import utcnow


def now() -> datetime:
    """The current UTC time (tests monkeypatch this function)."""
    return utcnow()
