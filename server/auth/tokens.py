"""Short-lived signed access tokens; silent re-login from the mini-program is the refresh path."""

import time
from datetime import timedelta
from functools import lru_cache

import jwt
from flask import current_app

from server.db.types import utcnow
from server.http.errors import Unauthorized

ALGORITHM = "HS256"
AUDIENCE = "redpoints-api"
ISSUER = "redpoints"


class TokenExpired(Unauthorized):
    code, message = "token_expired", "登录已过期，请重新登录"


class TokenInvalid(Unauthorized):
    code, message = "token_invalid", "登录状态无效，请重新登录"


def issue_access_token(user_id: int) -> tuple[str, int]:
    """Sign a token for `user_id`; return it with its lifetime in seconds."""
    ttl = int(current_app.config["ACCESS_TOKEN_TTL"])
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, current_app.config["SECRET_KEY"], algorithm=ALGORITHM), ttl


def decode_access_token(token: str) -> int:
    """Return the user id of a valid token, or raise TokenExpired / TokenInvalid."""
    user_id, expires_at = _verified(token, current_app.config["SECRET_KEY"])
    if time.time() >= expires_at:  # a cached token expires like a fresh one
        raise TokenExpired()
    return user_id


# A client sends the same token with every request for its whole life, and checking one costs
# more CPU than most of the requests it guards. Only tokens whose signature and claims passed
# are remembered (a raised error is never cached), keyed by the exact token and secret; the
# expiry is re-checked on every use above. 4096 entries are about 1.5 MB per worker.
@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[int, int]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenExpired() from None
    except jwt.PyJWTError:
        raise TokenInvalid() from None
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.isdigit():
        raise TokenInvalid()
    return int(sub), claims["exp"]
