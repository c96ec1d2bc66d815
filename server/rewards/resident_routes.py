"""The rewards routes residents use: merchants and offers (which staff and admins also manage
here), redemption windows, and their own reservations and codes. Rules live in the services."""

from flask import Response
from flask_smorest import Blueprint

from server.auth.current import current_user, current_user_id
from server.community.acting import ACTING_DOC, acting_actor_id, acting_allowed
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent, request_key
from server.http.pagination import PageArgsSchema
from server.http.schemas import BEARER, response_links
from server.rewards import closing, codes, merchants, offers, redemption, windows
from server.rewards.schemas import (
    CodeSchema,
    MerchantCreateSchema,
    MerchantPageSchema,
    MerchantQuerySchema,
    MerchantSchema,
    OfferCreateSchema,
    OfferPageSchema,
    OfferPatchSchema,
    OfferQuerySchema,
    OfferSchema,
    RedemptionPageSchema,
    RedemptionQuerySchema,
    RedemptionSchema,
    ReserveSchema,
    WindowPageSchema,
    WindowStateSchema,
    binary_response,
)

blp = Blueprint("rewards", __name__, url_prefix="/api/v1", description="积分兑换：商家、商品与预约")


# -- merchants ---------------------------------------------------------------------------------


@blp.route("/merchants", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(MerchantQuerySchema, location="query")
@blp.response(200, MerchantPageSchema)
def list_merchants(args):
    """Merchants of the caller's community (admins also see pending and suspended ones)."""
    page = merchants.list_merchants(current_user(), args["limit"], args["cursor"], args["status"])
    page.items = [merchants.merchant_view(m) for m in page.items]
    return page.as_dict()


@blp.route("/merchants", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(MerchantCreateSchema)
@blp.response(201, MerchantSchema)
def create_merchant(body):
    """Apply for a partner shop (pending), or, as an admin, add an approved merchant."""
    return merchants.merchant_view(merchants.create_merchant(current_user(), **body))


@blp.route("/merchants/<int:merchant_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, MerchantSchema)
def get_merchant(merchant_id):
    """One merchant."""
    return merchants.merchant_view(merchants.read_merchant(current_user(), merchant_id))


# -- offers ------------------------------------------------------------------------------------


@blp.route("/offers", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(OfferQuerySchema, location="query")
@blp.response(200, OfferPageSchema)
def list_offers(args):
    """Rewards residents can reserve now; staff may include a merchant's inactive offers."""
    page = offers.list_offers(
        current_user(),
        args["limit"],
        args["cursor"],
        merchant_id=args["merchant_id"],
        include_inactive=args["include_inactive"],
    )
    page.items = [offers.offer_view(o) for o in page.items]
    return page.as_dict()


@blp.route("/offers", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(OfferCreateSchema)
@blp.response(201, OfferSchema)
def create_offer(body):
    """Add an offer (the merchant's staff or a community admin; audited)."""
    merchant_id = body.pop("merchant_id")
    return offers.offer_view(offers.create_offer(current_user(), merchant_id, body))


@blp.route("/offers/<int:offer_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, OfferSchema)
def get_offer(offer_id):
    """One offer."""
    return offers.offer_view(offers.read_offer(current_user(), offer_id))


@blp.route("/offers/<int:offer_id>", methods=["PATCH"])
@blp.doc(security=BEARER)
@blp.arguments(OfferPatchSchema)
@blp.response(200, OfferSchema)
def patch_offer(body, offer_id):
    """Change an offer or restock it with `add_stock` (the merchant's staff or an admin)."""
    return offers.offer_view(offers.update_offer(current_user(), offer_id, body))


# -- redemption windows ------------------------------------------------------------------------


@blp.route("/redemption-windows/current", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, WindowStateSchema)
def current_window():
    """Whether the caller's community is open for reservations, and when it next opens."""
    state = windows.my_window_state(current_user())
    if state["current"] is not None:
        state["current"] = windows.window_view(state["current"])
    return state


@blp.route("/communities/<int:community_id>/redemption-windows", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, WindowPageSchema)
def list_windows(args, community_id):
    """The community's redemption windows (none: always open)."""
    return windows.list_windows(
        current_user(), community_id, args["limit"], args["cursor"]
    ).as_dict()


# -- redemptions -------------------------------------------------------------------------------


# The hot view parses with one schema instance: a class would be instantiated (its fields
# deep-copied) on every request. Loading keeps no state on the instance.
_RESERVE = ReserveSchema()


@blp.route("/redemptions", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC], **ACTING_DOC)
@acting_allowed
@idempotent("rewards.redemptions", caller=current_user)
@blp.arguments(_RESERVE)
@blp.response(201, RedemptionSchema)
def reserve(body):
    """Reserve a reward: points held and stock taken until verified, cancelled or expired."""
    # Without a key the caller's active flag is read with the offer (one SELECT). The key is
    # also the redemption's own double-tap guard, behind the stored first answer.
    r, _created = redemption.reserve(
        current_user_id(), body["offer_id"], client_key=request_key(), acted_by=acting_actor_id()
    )
    return r.view()


@blp.route("/redemptions", methods=["GET"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.arguments(RedemptionQuerySchema, location="query")
@blp.response(200, RedemptionPageSchema)
def list_redemptions(args):
    """The caller's redemptions, newest first."""
    page = closing.list_own(current_user(), args["limit"], args["cursor"], args["status"])
    page.items = [closing.redemption_view(r) for r in page.items]
    return page.as_dict()


@blp.route("/redemptions/<int:redemption_id>", methods=["GET"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.response(200, RedemptionSchema)
def get_redemption(redemption_id):
    """One of the caller's redemptions."""
    return closing.redemption_view(closing.get_own(current_user(), redemption_id))


@blp.route("/redemptions/<int:redemption_id>", methods=["DELETE"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.response(200, RedemptionSchema)
def cancel_redemption(redemption_id):
    """Cancel before verification: points released, stock restored."""
    cancelled = closing.cancel(current_user(), redemption_id, acted_by=acting_actor_id())
    return closing.redemption_view(cancelled)


@blp.route("/redemptions/<int:redemption_id>/code", methods=["GET"])
@blp.doc(
    security=BEARER,
    **response_links(
        200,
        Verify=("POST /merchant/verify", {"token": "$response.body#/token"}),
        Preview=("POST /merchant/verify/preview", {"token": "$response.body#/token"}),
    ),
)
@blp.response(200, CodeSchema)
def get_code(redemption_id):
    """A short-lived signed token to show as a QR code; refresh it before it expires."""
    return codes.issue_code(current_user(), redemption_id)


def _image(redemption_id: int, kind: str, mimetype: str) -> Response:
    issued = codes.issue_code(current_user(), redemption_id)
    response = Response(codes.qr_image(issued["token"], kind), mimetype=mimetype)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Code-Expires-At"] = issued["expires_at"].isoformat()
    return response


@blp.route("/redemptions/<int:redemption_id>/code.png", methods=["GET"])
@blp.doc(security=BEARER, responses=binary_response("image/png", "二维码图片（PNG）"))
@blp.response(200)
def get_code_png(redemption_id):
    """The current code as a PNG QR image, for screens that cannot draw one."""
    return _image(redemption_id, "png", "image/png")


@blp.route("/redemptions/<int:redemption_id>/code.svg", methods=["GET"])
@blp.doc(security=BEARER, responses=binary_response("image/svg+xml", "二维码图片（SVG）"))
@blp.response(200)
def get_code_svg(redemption_id):
    """The current code as an SVG QR image."""
    return _image(redemption_id, "svg", "image/svg+xml")
