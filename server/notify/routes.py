"""HTTP routes: group channels and deliveries, for community admins (thin)."""

from flask_smorest import Blueprint

from server.auth.current import current_user
from server.http.pagination import PageArgsSchema
from server.http.schemas import BEARER
from server.notify import channels, deliveries
from server.notify.schemas import (
    ChannelCreateSchema,
    ChannelPageSchema,
    ChannelSchema,
    DeliveryPageSchema,
    DeliveryQuerySchema,
    DeliverySchema,
)

blp = Blueprint(
    "notify", __name__, url_prefix="/api/v1/admin", description="群机器人与推送记录（管理员）"
)


@blp.route("/group-channels", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(ChannelCreateSchema)
@blp.response(201, ChannelSchema)
def create_channel(body):
    """Register a WeCom group robot (a test message goes to the group first)."""
    return channels.channel_view(channels.register_channel(current_user(), **body))


@blp.route("/group-channels", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, ChannelPageSchema)
def list_channels(args):
    """The community's group robots; keys shown as their last 4 characters only."""
    return channels.list_channels(current_user(), args["limit"], args["cursor"]).as_dict()


@blp.route("/group-channels/<int:channel_id>/deactivate", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(200, ChannelSchema)
def deactivate_channel(channel_id):
    """Stop posting to a group; its pending deliveries become dead letters."""
    return channels.channel_view(channels.deactivate_channel(current_user(), channel_id))


@blp.route("/deliveries", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(DeliveryQuerySchema, location="query")
@blp.response(200, DeliveryPageSchema)
def list_deliveries(args):
    """The community's deliveries, newest first; `status=dead` lists the dead letters."""
    return deliveries.list_deliveries(
        current_user(), args["status"], args["limit"], args["cursor"]
    ).as_dict()


@blp.route("/deliveries/<int:delivery_id>/retry", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(200, DeliverySchema)
def retry_delivery(delivery_id):
    """Queue a dead letter again (audited)."""
    delivery = deliveries.retry_dead(current_user(), delivery_id)
    return deliveries.one_view(delivery)
