"""PATCH /me: the profile fields, with an avatar that must be the caller's own upload."""

from server.auth.models import User
from server.community import service as community_service
from server.uploads.avatar import use_as_avatar


def update_me(user: User, changes: dict) -> User:
    """Change the caller's nickname, real name or avatar; committed when this returns."""
    changes = dict(changes)
    if "avatar_url" in changes:
        changes["avatar_url"] = use_as_avatar(user, changes["avatar_url"])
    # update_profile commits the avatar's attachment together with the fields.
    return community_service.update_profile(user, changes)
