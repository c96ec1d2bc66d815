"""The in-process drain, for the embedded default without Redis: when a transaction that
wrote an event the groups hear of commits, a thread of this process plans and sends its
deliveries; it also wakes every NOTIFY_DRAIN_INTERVAL seconds for retries that came due. One
thread a process, started on first use (after gunicorn forks). The state of record stays in
the database (deliveries.py), so a process that dies loses nothing: the next drain, here or
from `flask --app server notify drain`, sends what is due.
"""

import logging
import threading

from flask import Flask, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from server.db.session import db
from server.notify.pump import WAKES, pump
from server.outbox.emit import EMITTED

log = logging.getLogger(__name__)
_EXTENSION = "notify_drainer"


class Drainer:
    def __init__(self, app: Flask, interval: float):
        self.app, self.interval = app, interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="notify-drain", daemon=True)
                self._thread.start()
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
                    pump()
                except Exception:  # noqa: BLE001 - logged; the next wake tries again
                    log.exception("notify drain failed")
                finally:
                    db.session.remove()


def init_drain(app: Flask) -> None:
    """Drain in-process when configured (NOTIFY_IN_PROCESS; by default without Redis)."""
    if app.config.get("NOTIFY_IN_PROCESS"):
        app.extensions[_EXTENSION] = Drainer(app, app.config["NOTIFY_DRAIN_INTERVAL"])


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    emitted = session.info.pop(EMITTED, None)
    # Requests only: a CLI run (seed-demo, notify drain) must not leave a thread behind.
    if emitted and emitted & WAKES and has_request_context():
        drainer = current_app.extensions.get(_EXTENSION)
        if drainer is not None:
            drainer.wake()


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(EMITTED, None)
