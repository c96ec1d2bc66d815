"""Who is calling: the bearer token turned into a User, once per request."""

from flask import g, request

from server.auth.models import User
from server.auth.tokens import TokenInvalid, decode_access_token
from server.db.session import db
from server.http.errors import Unauthorized


def current_user_id() -> int:
    """The user id a valid bearer token names (signature and expiry checked, no database)."""
    user_id = g.get("current_user_id")
    if user_id is None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized()
        if len(token) > 2048:
            raise TokenInvalid()
        user_id = g.current_user_id = decode_access_token(token.strip())
    return user_id


def current_user() -> User:
    """The authenticated, active user of this request; raises 401 when there is none."""
    user = g.get("current_user")
    if user is None:
        user = db.session.get(User, current_user_id())
        if user is None or not user.is_active:
            raise TokenInvalid()
        g.current_user = user
    return user
