"""Names of a community's people for staff lists (grants, audit entries): as the API shows
them to admins, never with phone numbers."""

from sqlalchemy import select

from server.auth.models import User
from server.db.session import db


def display_names(user_ids) -> dict[int, str]:
    """{user id: display name} for the given ids (unknown ids are left out)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    rows = db.session.scalars(select(User).where(User.id.in_(ids)))
    return {user.id: user.display_name for user in rows}
