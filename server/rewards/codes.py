"""The redemption QR code: a short-lived signed token, refreshed by the client like a payment code.

The token carries only the redemption id and a random nonce (nothing personal; a JWT body is
readable), is signed with a key derived from SECRET_KEY for this purpose alone, and lives about
60 seconds, so a screenshot is useless soon after. Verification never trusts it beyond "this
redemption, recently": the redemption's status is the one-time guard.
"""

import hashlib
import hmac
import io
import secrets
from datetime import datetime, timedelta

import jwt
import segno
from flask import current_app
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError, BadRequest, NotFound
from server.http.rate_limits import hit
from server.rewards import gates
from server.rewards.models import Redemption
from server.rewards.settings import setting

ALGORITHM = "HS256"
AUDIENCE = "redemption"
ISSUER = "redpoints"
MAX_TOKEN_LENGTH = 1024
# The typed code (数字码) for when the counter's camera fails: the redemption id followed by
# CHECK_DIGITS digits of an HMAC over (id, time step); a step is the code's TTL long.
CHECK_DIGITS = 6
MAX_MANUAL_LENGTH = 19 + CHECK_DIGITS


class CodeInvalid(BadRequest):
    code, message = "code_invalid", "二维码无效，请让居民出示兑换码"


class CodeExpired(AppError):
    status, code, message = 410, "code_expired", "二维码已过期，请让居民刷新兑换码后重新扫描"


def _key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"redpoints/redemption-code/v1", hashlib.sha256).digest()


def code_ttl() -> int:
    return int(setting("REDEMPTION_CODE_TTL"))


def _check_digits(redemption_id: int, step: int) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, b"redpoints/redemption-manual-code/v1", hashlib.sha256).digest()
    mac = hmac.new(key, f"{redemption_id}:{step}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(mac[:8], "big") % 10**CHECK_DIGITS).zfill(CHECK_DIGITS)


def manual_code(redemption_id: int, *, now: datetime | None = None) -> str:
    """The digits staff type instead of scanning: the id, then this time step's check digits."""
    step = int((now or utcnow()).timestamp()) // code_ttl()
    return f"{redemption_id}{_check_digits(redemption_id, step)}"


def decode_manual_code(code: str, *, now: datetime | None = None) -> int:
    """The redemption id of a typed code of this time step or the one before, else CodeInvalid.

    A wrong and an old code look alike (nothing tells them apart). Guessing is bounded per
    redemption (REDEMPTION_MANUAL_CODE_RATE_LIMIT, 10 tries an hour by anyone; then the
    resident shows the QR code) as well as by the per-staff limits of preview and verify.
    """
    digits = code.replace(" ", "")
    well_formed = digits.isascii() and digits.isdecimal()
    if not (well_formed and CHECK_DIGITS < len(digits) <= MAX_MANUAL_LENGTH):
        raise CodeInvalid()
    rid, check = int(digits[:-CHECK_DIGITS]), digits[-CHECK_DIGITS:]
    hit("redemption_manual_code", setting("REDEMPTION_MANUAL_CODE_RATE_LIMIT"), str(rid))
    step = int((now or utcnow()).timestamp()) // code_ttl()
    for candidate in (step, step - 1):
        if 1 <= rid < 2**63 and hmac.compare_digest(check, _check_digits(rid, candidate)):
            return rid
    raise CodeInvalid()


def sign_code(redemption_id: int, *, now: datetime | None = None, ttl: int | None = None) -> dict:
    now = now or utcnow()
    ttl = code_ttl() if ttl is None else ttl
    expires_at = now + timedelta(seconds=ttl)
    claims = {
        "aud": AUDIENCE,
        "iss": ISSUER,
        "rid": redemption_id,
        "nonce": secrets.token_urlsafe(16),
        "iat": now,
        "exp": expires_at,
    }
    token = jwt.encode(claims, _key(), algorithm=ALGORITHM)
    # The client refreshes a little before expiry so a code on screen is always scannable.
    return {
        "token": token,
        "manual_code": manual_code(redemption_id, now=now),
        "expires_at": expires_at,
        "ttl_seconds": ttl,
        "refresh_after_seconds": max(1, ttl - 15),
    }


def issue_code(user: User, redemption_id: int, *, now: datetime | None = None) -> dict:
    """A fresh code for the owner's reserved redemption."""
    now = now or utcnow()
    row = db.session.execute(
        select(
            Redemption.user_id, Redemption.status, gates.verifiable(now).label("verifiable")
        ).where(Redemption.id == redemption_id)
    ).first()
    if row is None or row.user_id != user.id:  # anyone else's: as if it did not exist
        raise NotFound("兑换记录不存在", code="redemption_not_found")
    if not row.verifiable:
        raise gates.why_not_verifiable(row, told="resident")
    return {"redemption_id": redemption_id, **sign_code(redemption_id, now=now)}


def decode_code(token: str, *, now: datetime | None = None) -> tuple[int, str]:
    """Return (redemption id, nonce) of a genuine unexpired code, else CodeExpired/CodeInvalid.

    A typed code (digits only) has no nonce: its id comes back with an empty one.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        raise CodeInvalid()
    if token.replace(" ", "").isdecimal():  # non-ASCII digits are refused there
        return decode_manual_code(token, now=now), ""
    try:
        claims = jwt.decode(
            token,
            _key(),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "aud", "iss", "rid", "nonce"]},
            leeway=0,
        )
    except jwt.ExpiredSignatureError:
        raise CodeExpired() from None
    except jwt.PyJWTError:
        raise CodeInvalid() from None
    rid, nonce = claims.get("rid"), claims.get("nonce")
    if not isinstance(rid, int) or isinstance(rid, bool) or rid < 1:
        raise CodeInvalid()
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 64:
        raise CodeInvalid()
    return rid, nonce


def qr_image(token: str, kind: str) -> bytes:
    """The token as a QR image ('png' or 'svg') for screens that cannot draw one."""
    qr = segno.make(token, error="m")
    out = io.BytesIO()
    qr.save(out, kind=kind, scale=6 if kind == "png" else 4, border=2)
    return out.getvalue()
