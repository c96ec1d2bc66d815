"""The rewards routes community admins use: approving merchants and redemption windows."""

from flask_smorest import Blueprint

from server.auth.current import current_user
from server.http.schemas import BEARER
from server.rewards import merchants, windows
from server.rewards.schemas import (
    MerchantSchema,
    QuarterlyWindowsSchema,
    WindowCreateSchema,
    WindowListSchema,
)

admin_blp = Blueprint(
    "rewards_admin", __name__, url_prefix="/api/v1/admin", description="社区管理：商家与兑换时段"
)


@admin_blp.route("/merchants/<int:merchant_id>/approve", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(200, MerchantSchema)
def approve_merchant(merchant_id):
    """Approve a merchant (community admins; audited)."""
    merchant = merchants.set_merchant_status(current_user(), merchant_id, "approved")
    return merchants.merchant_view(merchant)


@admin_blp.route("/merchants/<int:merchant_id>/suspend", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(200, MerchantSchema)
def suspend_merchant(merchant_id):
    """Suspend a merchant: its offers leave the catalogue (community admins; audited)."""
    merchant = merchants.set_merchant_status(current_user(), merchant_id, "suspended")
    return merchants.merchant_view(merchant)


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
