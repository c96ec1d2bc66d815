"""Commits a request makes under an `Idempotency-Key`, held back until its answer is stored.

Stripe's model: the effect and the stored first answer commit in one transaction, so a worker
killed between the effect and the answer leaves neither, and a retry runs the request afresh;
one killed after that commit leaves both, and a retry replays the answer. While a view runs
under `server/http/idempotency.py`, `commit()` flushes and marks a savepoint instead ("what the
view has committed so far") and `rollback()` returns to that mark; `settle` then keeps what the
view committed, drops what it did not, lets the caller write the answer, and commits for real.
"""

from collections.abc import Callable

from flask_sqlalchemy.session import Session as FlaskSession

_DEFER, _MARK = "defer_commits", "committed_mark"


class AppSession(FlaskSession):
    """The app's session: a plain Flask-SQLAlchemy session unless commits are deferred."""

    def commit(self) -> None:
        if not self.info.get(_DEFER):
            super().commit()
            return
        self.flush()
        mark = self.info.pop(_MARK, None)
        if mark is not None and mark.is_active:
            mark.commit()  # RELEASE: this is now part of what the view committed
        self.expire_all()  # as a real commit would: later reads see the rows as written
        self.info[_MARK] = self.begin_nested()

    def rollback(self) -> None:
        mark = self.info.get(_MARK) if self.info.get(_DEFER) else None
        if mark is None or not mark.is_active:
            self.info.pop(_MARK, None)
            super().rollback()
            return
        mark.rollback()  # back to what the view last committed
        self.info[_MARK] = self.begin_nested()


def defer_commits(session) -> None:
    session.info[_DEFER] = True


def settle(session, write: Callable[[], None]) -> None:
    """End the deferral: keep what the view committed, drop the rest, `write()`, commit."""
    session.info.pop(_DEFER, None)
    mark = session.info.pop(_MARK, None)
    if mark is not None and mark.is_active:
        mark.rollback()
    else:
        session.rollback()  # the view committed nothing
    write()
    session.commit()
