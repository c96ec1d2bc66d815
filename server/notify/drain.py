"""The in-process drain, for the embedded default without Redis: when a transaction that
wrote an event someone hears of commits, a thread of this process pumps (plans and sends);
it also wakes every NOTIFY_DRAIN_INTERVAL seconds for retries that came due, and runs the
scheduled jobs once a minute. One thread a process, started by the first request (after
gunicorn forks). With Redis the same work goes to RQ workers instead (rq_jobs.py). The state
of record stays in the database, so a process that dies loses nothing.
"""

import logging
import threading
import time

from flask import Flask, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.db.session import db
from server.notify.pump import WAKES, pump
from server.notify.schedule import run_due
from server.outbox.emit import EMITTED

log = logging.getLogger(__name__)
_EXTENSION = "notify_drainer"
TICK_SECONDS = 60


class Drainer:
    def __init__(self, app: Flask, interval: float):
        self.app, self.interval = app, interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._ticked = 0.0

    def ensure_started(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="notify-drain", daemon=True)
                self._thread.start()

    def wake(self) -> None:
        self.ensure_started()
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self.app.app_context():
                try:
                    if time.monotonic() - self._ticked >= TICK_SECONDS:
                        self._ticked = time.monotonic()
                        run_due()
                    pump()
                except Exception:  # noqa: BLE001 - logged; the next wake tries again
                    log.exception("notify drain failed")
                finally:
                    db.session.remove()


def init_drain(app: Flask) -> None:
    """Drain in-process when configured (NOTIFY_IN_PROCESS; by default without Redis)."""
    if not app.config.get("NOTIFY_IN_PROCESS"):
        return
    drainer = app.extensions[_EXTENSION] = Drainer(app, app.config["NOTIFY_DRAIN_INTERVAL"])
    # Started by the first request, so scheduled jobs run even when nothing is emitted.
    app.before_request(drainer.ensure_started)


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    emitted = session.info.pop(EMITTED, None)
    # Requests only: a CLI run (seed-demo, notify drain) must not leave a thread behind, and
    # jobs pump what they emit themselves.
    if emitted and emitted & WAKES and has_request_context():
        drainer = current_app.extensions.get(_EXTENSION)
        if drainer is not None:
            drainer.wake()
        elif current_app.config.get("NOTIFY_RQ"):
            from server.notify.rq_jobs import request_pump

            request_pump()


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(EMITTED, None)
