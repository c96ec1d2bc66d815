"""Acting for a card holder (全程代办): who may, and the record of what they did.

Office staff (admins and reviewers of the holder's community) and the grid worker of the
holder's grid act for a card holder through the same routes and service functions the
resident would use: the route accepts an `X-Acting-For: <holder's user id>` header
(`acting_allowed`), the request then runs as the holder, and the service records the act
(`record_act`) in the same transaction as its effect, naming the actor. A route that does not
accept the header refuses it, so nobody believes they acted for someone when they did not.
"""

from functools import wraps

from flask import g, request
from sqlalchemy import select

from server.auth.current import current_user
from server.auth.models import User
from server.community.authz import has_role, membership_of
from server.community.card_holder_models import ActOnBehalf, CardHolder
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.http.errors import BadRequest, NotFound

HEADER = "X-Acting-For"
STAFF_ROLES = ("admin", "reviewer")
ACTING_HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "代办：社区工作人员或其网格员代持卡居民操作时填写居民的用户编号",
    "schema": {"type": "string", "maxLength": 12, "pattern": "^[0-9]{1,12}$"},
}
# For `blp.doc(**ACTING_DOC)`: the header joins the route's other parameters (server/http/api.py).
ACTING_DOC = {"x-headers": [ACTING_HEADER_DOC]}


class HolderNotFound(NotFound):
    code, message = "card_holder_not_found", "持卡居民不存在，或不在您负责的范围内"


class ActingNotAllowed(BadRequest):
    code, message = "acting_not_allowed", "此操作不能代办"


def may_act_for(actor: User, holder: CardHolder) -> bool:
    """Admins and reviewers of the holder's community, or the grid worker of their grid."""
    if has_role(actor, holder.community_id, *STAFF_ROLES):
        return True
    membership = membership_of(db.session.get(User, holder.user_id))
    grid_id = membership.grid_id if membership else None
    return grid_id is not None and has_role(
        actor, holder.community_id, "grid_worker", grid_id=grid_id
    )


def holder_for(actor: User, holder_id: int) -> CardHolder:
    """The card holder `actor` may act for; 404 alike for absent and out-of-reach holders."""
    holder = get_by_id(CardHolder, holder_id)
    if holder is None or actor.id == holder.user_id or not may_act_for(actor, holder):
        raise HolderNotFound()
    if not db.session.get(User, holder.user_id).is_active:  # deactivated: nobody acts for them
        raise HolderNotFound()
    return holder


def record_act(actor_id: int, holder_id: int, action: str, target_type: str, target_id) -> None:
    """Write who acted for whom, in the caller's transaction (audit log and the holder's list)."""
    holder = db.session.get(CardHolder, holder_id)
    db.session.add(
        ActOnBehalf(
            community_id=holder.community_id,
            actor_id=actor_id,
            holder_id=holder_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
        )
    )
    record_audit(
        actor_id=actor_id,
        action=f"acting.{action}",
        target_type=target_type,
        target_id=target_id,
        community_id=holder.community_id,
        after={"for_user_id": holder_id},
    )


def acts_for(holder_id: int):
    """The acts done for a holder, newest first (a statement to paginate)."""
    return select(ActOnBehalf).where(ActOnBehalf.holder_id == holder_id)


def _requested_holder_id() -> int:
    raw = request.headers.get(HEADER, "").strip()
    if not raw.isdecimal() or len(raw) > 12:
        raise BadRequest("代办对象编号无效", code="invalid_acting_for")
    return int(raw)


def acting_allowed(view):
    """Route decorator: with `X-Acting-For`, run the view as that card holder (see module)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if HEADER in request.headers:
            actor = current_user()
            holder = holder_for(actor, _requested_holder_id())
            g.current_user = db.session.get(User, holder.user_id)
            g.current_user_id = holder.user_id
            g.acting_actor = actor
        return view(*args, **kwargs)

    wrapper.accepts_acting = True
    return wrapper


def acting_actor() -> User | None:
    """Who is acting for the current user in this request, if anyone."""
    return g.get("acting_actor")


def acting_actor_id() -> int | None:
    actor = g.get("acting_actor")
    return actor.id if actor is not None else None


def refuse_unaccepted_acting() -> None:
    """before_request: a route without `acting_allowed` refuses the header."""
    if HEADER not in request.headers or request.endpoint is None:
        return
    from flask import current_app

    view = current_app.view_functions.get(request.endpoint)
    if not getattr(view, "accepts_acting", False):
        raise ActingNotAllowed()
