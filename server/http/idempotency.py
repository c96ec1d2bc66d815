"""`Idempotency-Key` headers for POSTs with money-like effects (Stripe's model).

Usage, between the route and the argument parsing so a replay skips the view entirely:

    @blp.route("/points/adjustments", methods=["POST"])
    @blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
    @idempotent("points.adjustments", caller=current_user)
    @blp.arguments(AdjustmentCreateSchema)
    @blp.response(201, AdjustmentResultSchema)
    def create(body): ...

Same user + scope + key and the same request -> the stored response is replayed (with an
`Idempotent-Replayed: true` header); the same key with a different request -> 422
`idempotency_key_reused`; while the first request is still running -> 409
`idempotency_in_flight`. Only 2xx responses are stored: a refused request may be retried
with the same key.

The in-flight marker is committed before the view runs (that is what lets a concurrent
duplicate see it). The view's own commits are then deferred (server/db/deferred_commits.py) and
commit in one transaction with the stored answer: a worker killed before that commit leaves no
effect and a marker, one killed after it leaves the effect and its answer. A stale marker is
taken over after IDEMPOTENCY_IN_FLIGHT_SECONDS (the 409 before that says when, in Retry-After)
and the request runs afresh. Taking over one that is in fact still running is safe: both then
meet the business keys (the ledger's, a redemption's), which are the real one-time guard.
"""

import hashlib
import json
import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, current_app, make_response, request
from sqlalchemy import Integer, String, Text, UniqueConstraint, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from server.db.deferred_commits import defer_commits, settle
from server.db.session import db
from server.db.types import UTCDateTime, utcnow
from server.http.errors import Conflict, Unprocessable

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 64  # fits a UUID and the business keys it is stored in (redemptions.client_key)
KEY_PATTERN = r"^[\x21-\x7e]{1,64}$"  # visible ASCII: no spaces, no control characters
IDEMPOTENCY_HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "客户端生成的唯一请求编号（1 到 64 个可见 ASCII 字符）。相同编号的重复请求返回第一次的"
        "状态码和内容；处理中时为 409 idempotency_in_flight；内容不同时为 422 "
        "idempotency_key_reused。见 docs/idempotency.md"
    ),
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": KEY_PATTERN,
    },
}


class IdempotencyRecord(db.Model):
    """One `Idempotency-Key` of one user for one endpoint, with the first response."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_flight")
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKeyReused(Unprocessable):
    code, message = "idempotency_key_reused", "该请求编号已用于内容不同的请求"


class IdempotencyInFlight(Conflict):
    code, message = "idempotency_in_flight", "相同的请求正在处理中，请稍后查看结果"


def request_key() -> str | None:
    """The validated `Idempotency-Key` of the current request, if it sent one."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not re.fullmatch(KEY_PATTERN, key):
        raise Unprocessable(
            f"Idempotency-Key 应为 1 到 {MAX_KEY_LENGTH} 个可见 ASCII 字符",
            code="invalid_idempotency_key",
        )
    return key


def _request_hash() -> str:
    body = request.get_json(silent=True)
    payload = (
        json.dumps(body, sort_keys=True, ensure_ascii=False)
        if body is not None
        else request.get_data(as_text=True)
    )
    raw = f"{request.method} {request.path}\n{payload}".encode()
    return hashlib.sha256(raw).hexdigest()


def _insert(model):
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model)


def _where(user_id: int, scope: str, key: str):
    r = IdempotencyRecord
    return (r.user_id == user_id, r.scope == scope, r.key == key)


def _begin(user_id: int, scope: str, key: str, digest: str) -> Response | None:
    """Claim the key (and commit the claim); or return the replay; or refuse."""
    now = utcnow()
    claimed = db.session.execute(
        _insert(IdempotencyRecord)
        .values(
            user_id=user_id,
            scope=scope,
            key=key,
            request_hash=digest,
            status="in_flight",
            created_at=now,
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.id)
    ).scalar_one_or_none()
    if claimed is not None:
        db.session.commit()
        return None
    record = db.session.scalar(
        select(IdempotencyRecord)
        .where(*_where(user_id, scope, key))
        .execution_options(populate_existing=True)
    )
    if record.request_hash != digest:
        raise IdempotencyKeyReused(details={"key": key})
    if record.status == "done":
        db.session.rollback()
        replay = Response(
            record.response_body, status=record.response_status, mimetype="application/json"
        )
        replay.headers["Idempotent-Replayed"] = "true"
        return replay
    window = timedelta(seconds=current_app.config["IDEMPOTENCY_IN_FLIGHT_SECONDS"])
    if record.created_at < now - window:
        took_over = db.session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == record.id,
                IdempotencyRecord.status == "in_flight",
                IdempotencyRecord.created_at == record.created_at,
            )
            .values(created_at=now)
            .returning(IdempotencyRecord.id)
        ).scalar_one_or_none()
        if took_over is not None:
            db.session.commit()
            return None
    wait = (record.created_at + window - now).total_seconds()
    raise IdempotencyInFlight(
        details={"key": key}, headers={"Retry-After": str(max(1, math.ceil(wait)))}
    )


def _store_answer(user_id: int, scope: str, key: str, response: Response) -> None:
    db.session.execute(
        update(IdempotencyRecord)
        .where(*_where(user_id, scope, key))
        .values(
            status="done",
            response_status=response.status_code,
            response_body=response.get_data(as_text=True),
            completed_at=utcnow(),
        )
    )


def _finish(user_id: int, scope: str, key: str, response: Response | None) -> None:
    """Commit what the view committed with its stored answer (2xx), or free the key (else: a
    refusal may be retried; what the view committed first, a PIN try counted, stays)."""

    def write():
        if response is not None and 200 <= response.status_code < 300:
            _store_answer(user_id, scope, key, response)
        else:
            db.session.execute(delete(IdempotencyRecord).where(*_where(user_id, scope, key)))

    settle(db.session, write)


def idempotent(scope: str, *, caller: Callable[[], object]):
    """Honour `Idempotency-Key` on a view; `caller()` is the logged-in user the keys belong to."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            key = request_key()
            if key is None:
                return view(*args, **kwargs)
            user_id = caller().id
            replay = _begin(user_id, scope, key, _request_hash())
            if replay is not None:
                return replay
            defer_commits(db.session)
            try:
                response = make_response(view(*args, **kwargs))
            except BaseException:
                _finish(user_id, scope, key, None)
                raise
            _finish(user_id, scope, key, response)
            return response

        # Marks the route (functools.wraps carries it outwards) for the test that finds them all.
        wrapper.idempotency_scope = scope
        return wrapper

    return decorator
