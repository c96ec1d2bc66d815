"""Verification and preview in autocommit on PostgreSQL (server/rewards/verify.py).

A request's verify is the scan (which carries the caller's active flag) and one statement that
is its own transaction; a preview, and a refusal the scan decides, is the scan alone. What
psycopg sends is read from libpq's trace of every connection the app checks out, so a BEGIN,
COMMIT or ROLLBACK round trip cannot hide from the count; the SQL itself is named by a
before_cursor_execute listener. The HTTP tests run on both databases (SQLite takes the
transactional path); the wire is checked on PostgreSQL.
"""

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from redis import Redis
from sqlalchemy import event, func, select, update

from server.auth.models import User
from server.db.audit import AuditLog
from server.db.session import db
from server.db.types import utcnow
from server.notify.models import OutboxEvent
from server.platform import profile_versions, redis_after_commit
from server.points.ledger_models import Account, Hold, LedgerEntry
from server.profile import cache as profile_cache
from server.rewards import codes
from server.rewards import verify as verify_service
from server.rewards.models import Offer, Redemption
from tests.conftest import error_code
from tests.test_rewards_support import (
    add_staff,
    balance,
    give_points,
    ledger_consistent,
    make_offer,
    redemption,
    user_id,
)

R = "/api/v1/redemptions"
VERIFY = "/api/v1/merchant/verify"
PREVIEW = f"{VERIFY}/preview"
_CONTROL = {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@dataclass
class Wire:
    postgres: bool
    sql: list[tuple[str, bool]] = field(default_factory=list)  # (first word, autocommit?)
    sent: list[tuple[str, str]] = field(default_factory=list)  # (message, its text) to the server
    ready: list[str] = field(default_factory=list)  # the server's transaction status: I, T or E

    def executed(self) -> int:
        """Statements the server was asked to run (simple Query or extended-protocol Execute)."""
        return sum(kind in ("Query", "Execute") for kind, _ in self.sent)

    def control(self) -> list[str]:
        """Transaction control sent as a statement: BEGIN, COMMIT, ROLLBACK and the like."""
        return [
            text
            for kind, text in self.sent
            if kind == "Query" and text.strip().strip('"').split()[0].upper() in _CONTROL
        ]

    def autocommit(self, *statements: str) -> None:
        """Exactly these statements, on autocommit connections, and nothing else on the wire."""
        assert self.control() == [], self.sent
        assert set(self.ready) == {"I"}, self.ready  # never inside a transaction block
        assert self.executed() == len(statements), self.sent
        assert self.sql == [(word, True) for word in statements], self.sql


def _read_trace(text: str, wire: Wire) -> None:
    # REGRESS_MODE, no timestamps: "F<TAB>length<TAB>Message<TAB>arguments" per message (SQL
    # text may continue on lines of its own, which start with neither F nor B and a tab).
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] not in ("F", "B"):
            continue
        kind, args = parts[2], parts[3] if len(parts) > 3 else ""
        if parts[0] == "F":
            wire.sent.append((kind, args))
        elif kind == "ReadyForQuery":
            wire.ready.append(args.strip())


@contextmanager
def _wire(app):
    """Record what the app sends the database inside the block (see the module doc)."""
    with app.app_context():
        engine = db.engine
    wire = Wire(postgres=engine.dialect.name == "postgresql")

    def statement(conn, cursor, sql, params, context, executemany):
        dbapi = conn.connection.dbapi_connection
        wire.sql.append((sql.split()[0].upper(), bool(getattr(dbapi, "autocommit", False))))

    def checkout(dbapi, record, proxy):
        from psycopg import pq

        trace = tempfile.TemporaryFile("w+")
        # libpq writes through a stream of its own on a duplicate (psycopg never closes it).
        dbapi.pgconn.trace(os.dup(trace.fileno()))
        dbapi.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        record.info["wire_trace"] = trace

    def checkin(dbapi, record):
        trace = record.info.pop("wire_trace", None)
        if trace is None:
            return
        if dbapi is not None:
            dbapi.pgconn.untrace()  # flushes the stream
        trace.seek(0)
        _read_trace(trace.read(), wire)
        trace.close()

    listeners = [(engine, "before_cursor_execute", statement)]
    if wire.postgres:
        listeners += [(engine, "checkout", checkout), (engine, "checkin", checkin)]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    try:
        yield wire
    finally:
        for target, name, fn in listeners:
            event.remove(target, name, fn)


def _reserve(api, app, identity="resident-1", points=30, **offer) -> tuple[int, int, str]:
    offer_id = make_offer(app, title="大米", points_cost=points, stock=5, **offer)
    give_points(app, identity, 100)
    made = api.post(R, identity, json={"offer_id": offer_id})
    assert made.status_code == 201, made.get_json()
    rid = made.get_json()["id"]
    token = api.get(f"{R}/{rid}/code", identity).get_json()["token"]
    return offer_id, rid, token


def _state(query) -> tuple:
    """Everything a verification writes, read fresh."""

    def read(s):
        def count(model, *where):
            return s.scalar(select(func.count(model.id)).where(*where))

        return (
            count(LedgerEntry),
            count(AuditLog),
            count(OutboxEvent),
            count(Hold, Hold.status == "pending"),
            tuple(s.execute(select(func.sum(Account.balance), func.sum(Account.held))).one()),
            s.execute(
                select(
                    Redemption.id,
                    Redemption.status,
                    Redemption.redeemed_at,
                    Redemption.redeemed_by,
                    Redemption.debit_entry_id,
                ).order_by(Redemption.id)
            ).all(),
            s.scalars(select(Offer.stock).order_by(Offer.id)).all(),
        )

    return query(read)


def _set_active(app, uid: int, active: bool) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == uid).values(is_active=active))
        db.session.commit()
        db.session.remove()


def _refused(api, app, query, identity, token, status, code, *, path=VERIFY):
    """The refusal, with nothing written and (PostgreSQL) only the scan's read on the wire."""
    api.headers(identity)  # logged in before recording
    before = _state(query)
    with _wire(app) as wire:
        resp = api.post(path, identity, json={"token": token})
    assert (resp.status_code, error_code(resp)) == (status, code), resp.get_json()
    assert _state(query) == before
    if wire.postgres:
        wire.autocommit("SELECT")
    return resp


# ---------------------------------------------------------------- the one-statement path


@pytest.mark.postgres
def test_an_http_verify_is_the_scan_and_one_autocommit_statement(api, app, seeded, query):
    offer, rid, token = _reserve(api, app)
    api.headers("merchant-1")
    with _wire(app) as wire:
        resp = api.post(VERIFY, "merchant-1", json={"token": token})
    assert resp.status_code == 200, resp.get_json()
    # The scan, then the write (WITH ... its data-modifying CTEs); no BEGIN, no COMMIT.
    wire.autocommit("SELECT", "WITH")
    r = redemption(query, rid)
    assert r.status == "redeemed" and r.redeemed_by == user_id(query, "merchant-1")
    assert resp.get_json()["redeemed_at"] == r.redeemed_at.isoformat()
    assert balance(query, "resident-1") == (70, 0)
    ledger_consistent(query)


@pytest.mark.postgres
def test_an_http_preview_is_one_autocommit_read(api, app, seeded, query):
    offer, rid, token = _reserve(api, app)
    api.headers("merchant-1")
    before = _state(query)
    with _wire(app) as wire:
        resp = api.post(PREVIEW, "merchant-1", json={"token": token})
    assert resp.status_code == 200 and resp.get_json()["status"] == "reserved"
    wire.autocommit("SELECT")
    assert _state(query) == before


@pytest.mark.postgres
def test_verify_outside_a_transaction_leaves_the_session_alone(app, seeded, api, query):
    """The write commits on its own connection; the profile version is bumped at once, and
    nothing is left in the session for a later commit to send."""
    offer, rid, token = _reserve(api, app)
    staff, resident = user_id(query, "merchant-1"), user_id(query, "resident-1")
    with app.app_context():
        stamp = profile_cache.lookup(resident).stamp
        assert not db.session().in_transaction()
        verified = verify_service.verify(staff, token)
        assert verified.status == "redeemed"
        assert not db.session().in_transaction()  # the session never began
        assert profile_versions.PENDING not in db.session.info  # no touch left pending
        if stamp is not None:  # with Redis: the resident's version moved on
            assert profile_cache.lookup(resident).stamp != stamp
        db.session.remove()
    assert redemption(query, rid).status == "redeemed"
    ledger_consistent(query)


# ---------------------------------------------------------------- refusals


def test_refusals_write_nothing_and_leave_a_good_code_usable(api, app, seeded, query):
    offer, rid, token = _reserve(api, app)
    staff = user_id(query, "merchant-1")
    add_staff(app, "barber", "阳光理发店")
    api.headers("merchant-1")  # logged in while still active

    for path in (VERIFY, PREVIEW):
        # Another merchant's code: 403 and not a word about the redemption.
        resp = _refused(api, app, query, "barber", token, 403, "not_your_merchant", path=path)
        assert resp.get_json()["error"]["details"] == {}
        assert "大米" not in resp.get_data(as_text=True)
        assert "张" not in resp.get_data(as_text=True)

    _set_active(app, staff, False)
    try:
        for path in (VERIFY, PREVIEW):
            _refused(api, app, query, "merchant-1", token, 401, "token_invalid", path=path)
        with app.app_context():
            expired = codes.sign_code(rid, now=utcnow() - timedelta(seconds=61))["token"]
        # A code that does not decode: the active check is the one read.
        _refused(api, app, query, "merchant-1", expired, 401, "token_invalid")
    finally:
        _set_active(app, staff, True)
    for path in (VERIFY, PREVIEW):
        _refused(api, app, query, "merchant-1", expired, 410, "code_expired", path=path)

    # None of that used the code up: it still verifies, once.
    done = api.post(VERIFY, "merchant-1", json={"token": token})
    assert done.status_code == 200, done.get_json()
    r = redemption(query, rid)
    for path in (VERIFY, PREVIEW):  # the same code again: who verified it, and when
        again = _refused(api, app, query, "merchant-1", token, 409, "already_redeemed", path=path)
        if path == VERIFY:
            assert again.get_json()["error"]["details"] == {
                "redemption_id": rid,
                "redeemed_at": r.redeemed_at.isoformat(),
                "redeemed_by": "刘*红",
                "redeemed_by_id": staff,
            }
    assert balance(query, "resident-1") == (70, 0)
    ledger_consistent(query)


def test_cancelled_and_expired_reservations_are_refused_by_the_scan(api, app, seeded, query):
    offer, cancelled, cancelled_token = _reserve(api, app)
    assert api.delete(f"{R}/{cancelled}", "resident-1").status_code == 200
    offer, lapsed, lapsed_token = _reserve(api, app, identity="resident-2")
    with app.app_context():  # past its expiry, before the job released it
        db.session.execute(
            update(Redemption)
            .where(Redemption.id == lapsed)
            .values(expires_at=Redemption.created_at)
        )
        db.session.commit()
        db.session.remove()
    for path in (VERIFY, PREVIEW):
        _refused(
            api, app, query, "merchant-1", cancelled_token, 409, "redemption_cancelled", path=path
        )
        _refused(api, app, query, "merchant-1", lapsed_token, 409, "redemption_expired", path=path)
    assert query(lambda s: s.get(Hold, redemption(query, lapsed).hold_id)).status == "pending"
    assert balance(query, "resident-1") == (100, 0) and balance(query, "resident-2") == (100, 30)
    ledger_consistent(query)


# ---------------------------------------------------------------- without Redis


@pytest.mark.parametrize("redis", ["not_configured", "refusing"])
def test_verify_without_redis_verifies_and_commits(
    api, app, seeded, query, monkeypatch, caplog, redis
):
    offer, rid, token = _reserve(api, app)
    api.headers("merchant-1")
    if redis == "not_configured":
        monkeypatch.setitem(app.config, "REDIS_URL", None)
    else:  # the profile version bump after the write fails: only logged, the write stands
        closed = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        monkeypatch.setattr(redis_after_commit, "get_redis", lambda: closed)
    with caplog.at_level("WARNING", logger=redis_after_commit.__name__):
        resp = api.post(VERIFY, "merchant-1", json={"token": token})
    assert resp.status_code == 200, resp.get_json()
    lost = [r for r in caplog.records if "after commit lost" in r.getMessage()]
    assert len(lost) == (1 if redis == "refusing" else 0)  # the bump was tried, and failed
    again = api.post(VERIFY, "merchant-1", json={"token": token})
    assert again.status_code == 409 and error_code(again) == "already_redeemed"
    assert redemption(query, rid).status == "redeemed"
    assert balance(query, "resident-1") == (70, 0)
    ledger_consistent(query)
