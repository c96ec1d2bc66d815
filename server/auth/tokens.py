"""Short-lived signed access tokens; silent re-login from the mini-program is the refresh path."""

from datetime import timedelta

import jwt
from flask import current_app

from server.db_types import utcnow
from server.errors import Unauthorized

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
    try:
        claims = jwt.decode(
            token,
            current_app.config["SECRET_KEY"],
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
    return int(sub)
