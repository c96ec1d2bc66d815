"""Sending what is due, for every kind of outgoing row (group deliveries, personal notices):
read the due ids once, end that read, then let each row's sender claim and send it.

Sends go out from a small pool of threads (NOTIFY_SEND_THREADS): a send is mostly waiting for
WeCom or WeChat across the internet, so one worker keeps several in flight. Each thread has
its own app context and session; each row is still claimed by its own conditional UPDATE."""

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from server.db.session import db
from server.db.types import utcnow


def send_due(
    model,
    send_one: Callable[[int, datetime], str | None],
    now: datetime | None,
    limit: int,
    *also,
) -> dict:
    """Send the `model` rows due at `now` (and meeting `also`), oldest first; a count per
    resulting status (rows another worker won are not counted)."""
    now = now or utcnow()
    due = db.session.scalars(
        select(model.id)
        .where(model.status == "pending", model.next_attempt_at <= now, *also)
        .order_by(model.next_attempt_at, model.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    if not due:
        return {}
    app = current_app._get_current_object()

    def send(row_id: int) -> str | None:
        with app.app_context():
            try:
                return send_one(row_id, now)
            finally:
                db.session.remove()

    threads = min(int(app.config["NOTIFY_SEND_THREADS"]), len(due))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="notify-send") as pool:
        statuses = list(pool.map(send, due))
    return dict(Counter(status for status in statuses if status is not None))
