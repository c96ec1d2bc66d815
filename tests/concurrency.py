"""Threads released together by one barrier, each in its own app context, session and
transaction: how the tests prove an invariant under real concurrency on PostgreSQL."""

import threading

from server.db.session import db
from server.http.errors import AppError


def run_together(app, fn, args) -> list:
    """fn(arg) for every arg, all at once; each ("ok", result) or ("error", refusal code)."""
    barrier = threading.Barrier(len(args))
    outcomes = [None] * len(args)

    def worker(i, arg):
        with app.app_context():
            try:
                barrier.wait()
                outcomes[i] = ("ok", fn(arg))
            except AppError as exc:
                db.session.rollback()
                outcomes[i] = ("error", exc.code)
            finally:
                db.session.remove()

    _start_and_join([threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(args)])
    return outcomes


def run_n_together(app, n, fn) -> list:
    """fn(i) in n threads at once; each ("ok", result), ("refused", code) or ("crash", repr)."""
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        with app.app_context():
            try:
                barrier.wait()
                results[i] = ("ok", fn(i))
            except AppError as exc:
                db.session.rollback()
                results[i] = ("refused", exc.code)
            except Exception as exc:  # noqa: BLE001 - reported by the callers' assertions
                db.session.rollback()
                results[i] = ("crash", repr(exc))
            finally:
                db.session.remove()

    _start_and_join([threading.Thread(target=worker, args=(i,)) for i in range(n)])
    return results


def _start_and_join(threads) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
