"""HTTP routes of the rewards domain; every rule lives in the service modules."""

import click
from flask import Response
from flask_smorest import Blueprint

from server.auth.current import current_user, current_user_id
from server.http.pagination import PageArgsSchema
from server.http.rate_limits import rate_limited
from server.http.schemas import BEARER
from server.rewards import codes, redemption, service, statements, verify, windows
from server.rewards.periods import current_month
from server.rewards.schemas import (
    CodeSchema,
    IdempotencyHeaderSchema,
    MerchantCreateSchema,
    MerchantHistoryQuerySchema,
    MerchantPageSchema,
    MerchantQuerySchema,
    MerchantRedemptionPageSchema,
    MerchantSchema,
    OfferCreateSchema,
    OfferPageSchema,
    OfferPatchSchema,
    OfferQuerySchema,
    OfferSchema,
    PreviewSchema,
    QuarterlyWindowsSchema,
    RedemptionPageSchema,
    RedemptionQuerySchema,
    RedemptionSchema,
    ReserveSchema,
    StatementExportQuerySchema,
    StatementQuerySchema,
    StatementSchema,
    TokenSchema,
    WindowCreateSchema,
    WindowListSchema,
    WindowPageSchema,
    WindowStateSchema,
)
from server.rewards.settings import setting

blp = Blueprint("rewards", __name__, url_prefix="/api/v1", description="积分兑换：商家、商品与预约")
merchant_blp = Blueprint(
    "rewards_merchant", __name__, url_prefix="/api/v1/merchant", description="商家核销与结算"
)
admin_blp = Blueprint(
    "rewards_admin", __name__, url_prefix="/api/v1/admin", description="社区管理：商家与兑换时段"
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _binary(content_type: str, description: str) -> dict:
    return {
        "200": {
            "description": description,
            "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


# -- merchants ---------------------------------------------------------------------------------


@blp.route("/merchants", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(MerchantQuerySchema, location="query")
@blp.response(200, MerchantPageSchema)
def list_merchants(args):
    """Merchants of the caller's community (admins also see pending and suspended ones)."""
    page = service.list_merchants(current_user(), args["limit"], args["cursor"], args["status"])
    page.items = [service.merchant_view(m) for m in page.items]
    return page.as_dict()


@blp.route("/merchants", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(MerchantCreateSchema)
@blp.response(201, MerchantSchema)
def create_merchant(body):
    """Apply for a partner shop (pending), or, as an admin, add an approved merchant."""
    return service.merchant_view(service.create_merchant(current_user(), **body))


@blp.route("/merchants/<int:merchant_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, MerchantSchema)
def get_merchant(merchant_id):
    """One merchant."""
    return service.merchant_view(service.read_merchant(current_user(), merchant_id))


@admin_blp.route("/merchants/<int:merchant_id>/approve", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(200, MerchantSchema)
def approve_merchant(merchant_id):
    """Approve a merchant (community admins; audited)."""
    merchant = service.set_merchant_status(current_user(), merchant_id, "approved")
    return service.merchant_view(merchant)


@admin_blp.route("/merchants/<int:merchant_id>/suspend", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(200, MerchantSchema)
def suspend_merchant(merchant_id):
    """Suspend a merchant: its offers leave the catalogue (community admins; audited)."""
    merchant = service.set_merchant_status(current_user(), merchant_id, "suspended")
    return service.merchant_view(merchant)


# -- offers ------------------------------------------------------------------------------------


@blp.route("/offers", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(OfferQuerySchema, location="query")
@blp.response(200, OfferPageSchema)
def list_offers(args):
    """Rewards residents can reserve now; staff may include a merchant's inactive offers."""
    page = service.list_offers(
        current_user(),
        args["limit"],
        args["cursor"],
        merchant_id=args["merchant_id"],
        include_inactive=args["include_inactive"],
    )
    page.items = [service.offer_view(o) for o in page.items]
    return page.as_dict()


@blp.route("/offers", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(OfferCreateSchema)
@blp.response(201, OfferSchema)
def create_offer(body):
    """Add an offer (the merchant's staff or a community admin; audited)."""
    merchant_id = body.pop("merchant_id")
    return service.offer_view(service.create_offer(current_user(), merchant_id, body))


@blp.route("/offers/<int:offer_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, OfferSchema)
def get_offer(offer_id):
    """One offer."""
    return service.offer_view(service.read_offer(current_user(), offer_id))


@blp.route("/offers/<int:offer_id>", methods=["PATCH"])
@blp.doc(security=BEARER)
@blp.arguments(OfferPatchSchema)
@blp.response(200, OfferSchema)
def patch_offer(body, offer_id):
    """Change an offer or restock it with `add_stock` (the merchant's staff or an admin)."""
    return service.offer_view(service.update_offer(current_user(), offer_id, body))


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


@admin_blp.route("/communities/<int:community_id>/redemption-windows", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(WindowCreateSchema)
@admin_blp.response(201, WindowListSchema)
def create_window(body, community_id):
    """Add a redemption window (Asia/Shanghai dates, both inclusive; admins; audited)."""
    created = windows.create_windows(
        current_user(), community_id, [(body["starts_on"], body["ends_on"])], body["note"]
    )
    return {"items": [windows.window_view(w) for w in created]}


@admin_blp.route("/communities/<int:community_id>/redemption-windows/quarterly", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(QuarterlyWindowsSchema)
@admin_blp.response(201, WindowListSchema)
def create_quarterly_windows(body, community_id):
    """一季一兑换: open the first `days` days of each quarter of `year` (admins; audited)."""
    created = windows.create_quarterly_windows(
        current_user(), community_id, body["year"], body["days"], body["note"]
    )
    return {"items": [windows.window_view(w) for w in created]}


@admin_blp.route(
    "/communities/<int:community_id>/redemption-windows/<int:window_id>", methods=["DELETE"]
)
@admin_blp.doc(security=BEARER)
@admin_blp.response(204)
def delete_window(community_id, window_id):
    """Remove a redemption window (admins; audited)."""
    windows.delete_window(current_user(), community_id, window_id)


# -- redemptions (residents) -------------------------------------------------------------------


# The hot views parse with one schema instance each: a class would be instantiated (its fields
# deep-copied) on every request. Loading keeps no state on the instance.
_IDEMPOTENCY_HEADER, _RESERVE, _TOKEN = IdempotencyHeaderSchema(), ReserveSchema(), TokenSchema()


@blp.route("/redemptions", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(_IDEMPOTENCY_HEADER, location="headers")
@blp.arguments(_RESERVE)
@blp.response(201, RedemptionSchema)
@blp.alt_response(200, schema=RedemptionSchema, description="重复请求：返回首次预约的结果")
def reserve(headers, body):
    """Reserve a reward: points held and stock taken until verified, cancelled or expired."""
    # The caller's active flag is read with the offer (one SELECT), not through current_user().
    r, created = redemption.reserve(
        current_user_id(), body["offer_id"], client_key=headers["idempotency_key"]
    )
    return r.view(), 201 if created else 200


@blp.route("/redemptions", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(RedemptionQuerySchema, location="query")
@blp.response(200, RedemptionPageSchema)
def list_redemptions(args):
    """The caller's redemptions, newest first."""
    page = redemption.list_own(current_user(), args["limit"], args["cursor"], args["status"])
    page.items = [redemption.redemption_view(r) for r in page.items]
    return page.as_dict()


@blp.route("/redemptions/<int:redemption_id>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, RedemptionSchema)
def get_redemption(redemption_id):
    """One of the caller's redemptions."""
    return redemption.redemption_view(redemption.get_own(current_user(), redemption_id))


@blp.route("/redemptions/<int:redemption_id>", methods=["DELETE"])
@blp.doc(security=BEARER)
@blp.response(200, RedemptionSchema)
def cancel_redemption(redemption_id):
    """Cancel before verification: points released, stock restored."""
    return redemption.redemption_view(redemption.cancel(current_user(), redemption_id))


@blp.route("/redemptions/<int:redemption_id>/code", methods=["GET"])
@blp.doc(security=BEARER)
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
@blp.doc(security=BEARER, responses=_binary("image/png", "二维码图片（PNG）"))
@blp.response(200)
def get_code_png(redemption_id):
    """The current code as a PNG QR image, for screens that cannot draw one."""
    return _image(redemption_id, "png", "image/png")


@blp.route("/redemptions/<int:redemption_id>/code.svg", methods=["GET"])
@blp.doc(security=BEARER, responses=_binary("image/svg+xml", "二维码图片（SVG）"))
@blp.response(200)
def get_code_svg(redemption_id):
    """The current code as an SVG QR image."""
    return _image(redemption_id, "svg", "image/svg+xml")


# -- merchant side -----------------------------------------------------------------------------


def _verify_limit() -> str:
    return setting("REDEMPTION_VERIFY_RATE_LIMIT")


def _staff_key() -> str:
    """The rate-limit key of verify and preview: the token's user, read without the database.

    That user is not yet known to be active: verify.py refuses a deactivated one (401) from
    the SELECT that reads the scanned redemption, one read less per request. So for a
    deactivated caller the rate limit (429) and body validation (422) come before the 401;
    nothing is written for them either way.
    """
    return str(current_user_id())


@merchant_blp.route("/verify/preview", methods=["POST"])
@rate_limited("verify_preview", _verify_limit, _staff_key)
@merchant_blp.doc(security=BEARER)
@merchant_blp.arguments(TokenSchema)
@merchant_blp.response(200, PreviewSchema)
def preview(body):
    """What the scanned code redeems: offer, points and the resident's masked name."""
    return verify.preview(current_user_id(), body["token"])


@merchant_blp.route("/verify", methods=["POST"])
@rate_limited("verify", _verify_limit, _staff_key)
@merchant_blp.doc(security=BEARER)
@merchant_blp.arguments(_TOKEN)
@merchant_blp.response(200, PreviewSchema)
def verify_code(body):
    """Verify (核销) once: the held points are debited; a repeat gets 409 already_redeemed."""
    return verify.preview_view(verify.verify(current_user_id(), body["token"]))


@merchant_blp.route("/redemptions", methods=["GET"])
@merchant_blp.doc(security=BEARER)
@merchant_blp.arguments(MerchantHistoryQuerySchema, location="query")
@merchant_blp.response(200, MerchantRedemptionPageSchema)
def merchant_history(args):
    """The merchant's redemption history, newest first."""
    return statements.history(
        current_user(),
        args["merchant_id"],
        args["limit"],
        args["cursor"],
        status=args["status"],
        month=args["month"],
    ).as_dict()


@merchant_blp.route("/statement", methods=["GET"])
@merchant_blp.doc(security=BEARER)
@merchant_blp.arguments(StatementQuerySchema, location="query")
@merchant_blp.response(200, StatementSchema)
def merchant_statement(args):
    """Verified redemptions of a month (default: this month), per offer, with totals."""
    return statements.statement(
        current_user(),
        args["merchant_id"],
        args["month"] or current_month(),
        args["limit"],
        args["cursor"],
    )


@merchant_blp.route("/statement.xlsx", methods=["GET"])
@merchant_blp.doc(security=BEARER, responses=_binary(XLSX, "月度结算单（xlsx）"))
@merchant_blp.arguments(StatementExportQuerySchema, location="query")
@merchant_blp.response(200)
def merchant_statement_xlsx(args):
    """The monthly statement as an xlsx file, for settling with the community."""
    data, filename = statements.statement_xlsx(
        current_user(), args["merchant_id"], args["month"] or current_month()
    )
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# -- operator commands: `flask --app server rewards expire-reservations` ---------------------


@blp.cli.command("expire-reservations")
@click.option("--batch", default=500, show_default=True, help="reservations per run")
def expire_reservations_command(batch):
    """Release reservations past their expiry: points back, stock restored."""
    total = 0
    while True:
        done = redemption.expire_due(batch=batch)
        total += done
        if done < batch:
            break
    click.echo(f"expired {total} reservation(s)")
