"""HTTP routes: the caller's subscribe-message templates and acceptances (thin)."""

from flask_smorest import Blueprint

from server.auth.current import current_user
from server.http.schemas import BEARER
from server.notify import subscriptions
from server.notify.subscription_schemas import SubscriptionResultsSchema, SubscriptionsSchema

blp = Blueprint(
    "subscriptions", __name__, url_prefix="/api/v1/me", description="订阅消息（个人通知）"
)


@blp.route("/subscriptions", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, SubscriptionsSchema)
def get_subscriptions():
    """Template ids to ask for at each moment, and how many messages each kind may still send."""
    return subscriptions.subscription_overview(current_user())


@blp.route("/subscriptions", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(SubscriptionResultsSchema)
@blp.response(200, SubscriptionsSchema)
def report_subscriptions(body):
    """Report what the user answered in wx.requestSubscribeMessage; each accept adds one."""
    return subscriptions.record_subscription_results(current_user(), body["results"])
