"""Request and response schemas of group channels and deliveries."""

import marshmallow as ma

from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text
from server.notify.channel_models import AUDIENCES, DELIVERY_STATUSES, MAX_CHANNEL_NAME


class ChannelCreateSchema(StrictSchema):
    key = text(
        300,
        required=True,
        metadata={"description": "群机器人的 Webhook 地址（整段粘贴即可）或其 key"},
    )
    name = text(MAX_CHANNEL_NAME, required=True, metadata={"description": "群名称"})
    grid_id = IdField(
        load_default=None, allow_none=True, metadata={"description": "网格群；不填为社区群"}
    )
    audience = ma.fields.String(
        load_default="residents",
        validate=ma.validate.OneOf(AUDIENCES),
        metadata={
            "description": "residents 居民群（任务、公示）；staff 工作群（审核汇总、超时提醒）"
        },
    )


class ChannelGridSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class ChannelSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)
    grid = ma.fields.Nested(ChannelGridSchema, required=True, allow_none=True)
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(AUDIENCES))
    key_hint = ma.fields.String(required=True, metadata={"description": "key 的后 4 位"})
    active = Boolean(required=True)
    created_at = AwareDateTime(required=True)


ChannelPageSchema = page_schema(ChannelSchema, "GroupChannelPage")


class DeliveryChannelSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)
    key_hint = ma.fields.String(required=True)


class DeliverySchema(ma.Schema):
    id = IdField(required=True)
    channel = ma.fields.Nested(DeliveryChannelSchema, required=True)
    event_type = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(DELIVERY_STATUSES))
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = AwareDateTime(required=True, allow_none=True)
    last_error = ma.fields.String(required=True, allow_none=True)
    sent_at = AwareDateTime(required=True, allow_none=True)
    created_at = AwareDateTime(required=True)


DeliveryPageSchema = page_schema(DeliverySchema, "DeliveryPage")


class DeliveryQuerySchema(PageArgsSchema):
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(DELIVERY_STATUSES),
        metadata={"description": "pending 待发送 · sent 已发送 · dead 失败（死信）"},
    )
