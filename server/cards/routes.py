"""HTTP routes: card holders, their cards and PINs, printing, binding, acts and card
redemption at a counter (thin: parse, call, dump)."""

from flask import Response
from flask_smorest import Blueprint

from server.auth.current import current_user
from server.cards import acts, binding, cards, counter, holders, pins, printing
from server.cards.schemas import (
    ActPageSchema,
    ActQuerySchema,
    BindCodeSchema,
    BindResultSchema,
    BindSchema,
    CardHolderCreateSchema,
    CardHolderPageSchema,
    CardHolderQuerySchema,
    CardHolderSchema,
    CardRedeemSchema,
    CardScanResultSchema,
    CardScanSchema,
    CardSchema,
    PinResetSchema,
    PrintSchema,
    ReplaceCardSchema,
)
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent, request_key
from server.http.schemas import BEARER
from server.rewards.schemas import PreviewSchema

blp = Blueprint(
    "cards", __name__, url_prefix="/api/v1", description="积分卡：持卡居民、代办、刷卡兑换与绑定"
)


@blp.route("/card-holders", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("cards.holders", caller=current_user)
@blp.arguments(CardHolderCreateSchema)
@blp.response(201, CardHolderSchema)
def register(body):
    """Register a resident without a smartphone and issue their card (staff, grid workers)."""
    holder = holders.register_card_holder(current_user(), **body)
    return holders.holder_view(holder, with_phone=True)


@blp.route("/card-holders", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(CardHolderQuerySchema, location="query")
@blp.response(200, CardHolderPageSchema)
def search(args):
    """Card holders the caller may act for, by a part of the name (masked names, no phones)."""
    return holders.search_card_holders(
        current_user(), args["q"], args["limit"], args["cursor"], args["grid_id"]
    ).as_dict()


@blp.route("/card-holders/<int:holder_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, CardHolderSchema)
def get_holder(holder_id):
    """One card holder, for the staff and grid worker who may act for them."""
    return holders.get_card_holder(current_user(), holder_id)


@blp.route("/card-holders/<int:holder_id>/replace-card", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(ReplaceCardSchema)
@blp.response(201, CardSchema)
def replace_card(body, holder_id):
    """Report a card lost or damaged: its QR stops working now and a new card is issued."""
    return cards.card_view(cards.replace_card(current_user(), holder_id, body["reason"]))


@blp.route("/card-holders/<int:holder_id>/unlock", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(PinResetSchema)
@blp.response(200, CardHolderSchema)
def unlock(body, holder_id):
    """Unlock a card after wrong PINs, optionally with a new PIN the holder chose."""
    holder = pins.unlock(current_user(), holder_id, body.get("pin"))
    return holders.holder_view(holder, with_phone=True)


@blp.route("/card-holders/<int:holder_id>/bind-code", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(201, BindCodeSchema)
def bind_code(holder_id):
    """A one-time code to print for binding this holder to a WeChat login (72 hours)."""
    return binding.issue_bind_code(current_user(), holder_id)


@blp.route("/cards/print", methods=["POST"])
@blp.doc(
    security=BEARER,
    responses={"200": {"description": "A4 积分卡 PDF", "content": {"application/pdf": {}}}},
)
@blp.arguments(PrintSchema)
def print_cards(body):
    """An A4 sheet of the holders' current cards as a PDF (staff and their grid workers)."""
    pdf = printing.print_cards(current_user(), body["holder_ids"])
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="cards.pdf"'},
    )


@blp.route("/cards/bind", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(BindSchema)
@blp.response(200, BindResultSchema)
def bind(body):
    """Bind the caller's fresh WeChat login to the card holder a printed code names."""
    return binding.bind_card(current_user(), body["code"])


@blp.route("/acts-on-behalf", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(ActQuerySchema, location="query")
@blp.response(200, ActPageSchema)
def list_acts(args):
    """What staff did on a card holder's behalf: the holder's own list, or one for staff."""
    return acts.list_acts(
        current_user(), args["holder_id"], args["limit"], args["cursor"]
    ).as_dict()


@blp.route("/merchant/card-scan", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(CardScanSchema)
@blp.response(200, CardScanResultSchema)
def card_scan(body):
    """Scan a point card at the counter: whose it is (masked) and what waits for them."""
    return counter.scan_card(current_user(), body["card"], body["merchant_id"])


@blp.route("/merchant/card-redemptions", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("cards.redeem", caller=current_user)
@blp.arguments(CardRedeemSchema)
@blp.response(200, PreviewSchema)
def card_redeem(body):
    """Redeem with a card and the holder's PIN: an offer now, or a waiting reservation."""
    return counter.redeem_with_card(
        current_user(),
        body["card"],
        body["pin"],
        offer_id=body["offer_id"],
        redemption_id=body["redemption_id"],
        client_key=request_key(),
    )
