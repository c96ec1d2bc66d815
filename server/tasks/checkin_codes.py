"""Rotating check-in codes: HMAC-signed, about 30 seconds, bound to one task.

The organiser's device shows the code as a QR; every attendee scans the same code. A code
proves presence near the organiser at a moment, not identity: the one-time guard for
attendance is the unique attendance row, written in the same transaction as the check-in.
"""

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import jwt
from flask import current_app

from server.auth.models import User
from server.http.errors import Conflict, Unprocessable
from server.tasks import clock, windows
from server.tasks.organisers import managed_task

ALGORITHM = "HS256"
ISSUER = "redpoints-tasks"
TTL_SECONDS = 30
LEEWAY_SECONDS = 5  # scanning and posting take a moment; clocks of devices drift a little
PURPOSE = b"task-checkin-code"


class CheckinCodeExpired(Unprocessable):
    code, message = "checkin_code_expired", "签到码已过期，请扫描组织者屏幕上的最新二维码"


class CheckinCodeInvalid(Unprocessable):
    code, message = "checkin_code_invalid", "签到码无效"


def _key() -> bytes:
    # A key of its own, derived from SECRET_KEY, so an access token can never pass as a code.
    return hmac.new(current_app.config["SECRET_KEY"].encode(), PURPOSE, hashlib.sha256).digest()


def audience(task_id: int) -> str:
    return f"task:{task_id}"


def issue_code(task_id: int, now: datetime | None = None) -> dict:
    """Sign a fresh code for the task; return the token and when it expires."""
    now = now or clock.now()
    expires = now + timedelta(seconds=TTL_SECONDS)
    claims = {
        "aud": audience(task_id),
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "nonce": secrets.token_urlsafe(12),
    }
    token = jwt.encode(claims, _key(), algorithm=ALGORITHM)
    return {"token": token, "expires_at": expires, "ttl_seconds": TTL_SECONDS}


def verify_code(task_id: int, token: str, now: datetime | None = None) -> dict:
    """Return the claims of a valid code for this task, or raise expired / invalid."""
    now = now or clock.now()
    try:
        claims = jwt.decode(
            token,
            _key(),
            algorithms=[ALGORITHM],
            audience=audience(task_id),
            issuer=ISSUER,
            leeway=LEEWAY_SECONDS,
            options={
                "require": ["exp", "iat", "aud", "iss", "nonce"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError:
        raise CheckinCodeInvalid() from None
    # Expiry is checked against the domain clock (not the wall clock) so tests can move time.
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int) or exp - iat > TTL_SECONDS:
        raise CheckinCodeInvalid()
    stamp = now.timestamp()
    if stamp > exp + LEEWAY_SECONDS:
        raise CheckinCodeExpired()
    if stamp < iat - LEEWAY_SECONDS:
        raise CheckinCodeInvalid()
    return claims


def code_for_organiser(user: User, task_id: int) -> dict:
    """A fresh code for the organiser's screen, only while check-in or check-out is open."""
    task = managed_task(user, task_id)
    if task.status != "published":
        raise Conflict("任务已取消或已结束", code="task_not_open")
    now = clock.now()
    windows.require_code_open(task, now)
    return {"task_id": task.id, **issue_code(task.id, now)}
