"""HTTP routes for wishes (微心愿): thin — parse, call one service function, answer the view."""

from flask_smorest import Blueprint

import server.grid.wish_models  # noqa: F401 - the table, for metadata and Alembic
from server.auth.current import current_user
from server.grid import wish_claims, wishes
from server.grid.wish_access import WishViewer, wish_views
from server.grid.wish_queries import get_wish_view, list_wishes
from server.grid.wish_schemas import (
    WishApproveSchema,
    WishClaimSchema,
    WishConfirmSchema,
    WishCreateSchema,
    WishFulfilSchema,
    WishHandBackSchema,
    WishPageSchema,
    WishQuerySchema,
    WishRejectSchema,
    WishSchema,
)
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent
from server.http.schemas import BEARER

blp = Blueprint(
    "grid_wishes",
    __name__,
    url_prefix="/api/v1/wishes",
    description="微心愿：居民点单、社区派单、党员接单",
)
POST_DOC = {"security": BEARER, "parameters": [IDEMPOTENCY_HEADER_DOC]}


def _view(wish) -> dict:
    user = current_user()
    return wish_views([wish], WishViewer(user))[0]


@blp.route("", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.create", caller=current_user)
@blp.arguments(WishCreateSchema)
@blp.response(201, WishSchema)
def create_wish(body):
    """Post a wish with up to 9 photos; it waits for review (flagged texts for a closer look)."""
    return _view(wishes.post_wish(current_user(), **body))


@blp.route("", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(WishQuerySchema, location="query")
@blp.response(200, WishPageSchema)
def list_(args):
    """The wish board (masked names), my wishes, the wishes I claimed, or the review queue."""
    page = list_wishes(
        current_user(), args["limit"], args["cursor"], scope=args["scope"], status=args["status"]
    )
    return page.as_dict()


@blp.route("/<int:wish_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, WishSchema)
def get_wish(wish_id):
    """One wish, for the resident, its claimer, reviewers, and the audience of the board."""
    return get_wish_view(current_user(), wish_id)


@blp.route("/<int:wish_id>/cancel", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.cancel", caller=current_user)
@blp.response(200, WishSchema)
def cancel_wish(wish_id):
    """The resident withdraws a wish nobody has claimed."""
    return _view(wishes.cancel_wish(current_user(), wish_id))


@blp.route("/<int:wish_id>/approve", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.approve", caller=current_user)
@blp.arguments(WishApproveSchema)
@blp.response(200, WishSchema)
def approve_wish(body, wish_id):
    """Publish a wish to the community or one grid (reviewers and admins; audited)."""
    return _view(wishes.approve_wish(current_user(), wish_id, **body))


@blp.route("/<int:wish_id>/reject", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.reject", caller=current_user)
@blp.arguments(WishRejectSchema)
@blp.response(200, WishSchema)
def reject_wish(body, wish_id):
    """Refuse a wish with a reason (reviewers and admins; audited)."""
    return _view(wishes.reject_wish(current_user(), wish_id, body["reason"]))


@blp.route("/<int:wish_id>/claim", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.claim", caller=current_user)
@blp.arguments(WishClaimSchema)
@blp.response(200, WishSchema)
def claim_wish(body, wish_id):
    """Claim a published wish as a party member, or for one's organisation or shop."""
    return _view(wish_claims.claim_wish(current_user(), wish_id, **body))


@blp.route("/<int:wish_id>/hand-back", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.hand_back", caller=current_user)
@blp.arguments(WishHandBackSchema)
@blp.response(200, WishSchema)
def hand_back(body, wish_id):
    """Give a claimed wish back before its needed_by day ends; it is published again."""
    return _view(wish_claims.hand_back(current_user(), wish_id, body.get("reason")))


@blp.route("/<int:wish_id>/fulfil", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.fulfil", caller=current_user)
@blp.arguments(WishFulfilSchema)
@blp.response(200, WishSchema)
def fulfil(body, wish_id):
    """Report a claimed wish done, with 1-9 photos and a note."""
    return _view(wish_claims.fulfil_wish(current_user(), wish_id, **body))


@blp.route("/<int:wish_id>/confirm", methods=["POST"])
@blp.doc(**POST_DOC)
@idempotent("wishes.confirm", caller=current_user)
@blp.arguments(WishConfirmSchema)
@blp.response(200, WishSchema)
def confirm(body, wish_id):
    """The resident confirms and may thank; the fulfiller is credited once."""
    return _view(wish_claims.confirm_wish(current_user(), wish_id, body.get("thanks")))
