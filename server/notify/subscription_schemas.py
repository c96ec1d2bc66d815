"""Request and response schemas of a user's subscribe-message acceptances."""

import marshmallow as ma

from server.http.schemas import StrictSchema
from server.notify.subscriptions import MAX_RESULTS, RESULTS
from server.wechat.subscribe_templates import KINDS

TEMPLATE_ID_MAX = 64


class SubscriptionResultsSchema(StrictSchema):
    results = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(min=1, max=TEMPLATE_ID_MAX)),
        values=ma.fields.String(validate=ma.validate.OneOf(RESULTS)),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_RESULTS),
        metadata={
            "description": "wx.requestSubscribeMessage 的结果：模板 id → accept 同意 · "
            "reject 拒绝 · ban 被封禁 · filter 被过滤；每个 accept 允许发送一条"
        },
    )


class SubscriptionMomentsSchema(ma.Schema):
    """Template ids to ask for at each tap (at most 3 per wx.requestSubscribeMessage)."""

    signup = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "报名"})
    claim = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "申报积分"})
    reserve = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "预约兑换"}
    )
    report = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "随手拍"})
    wish = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "微心愿"})


class SubscriptionKindSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(KINDS))
    title = ma.fields.String(required=True, metadata={"description": "模板标题"})
    template_id = ma.fields.String(required=True)
    remaining = ma.fields.Integer(required=True, metadata={"description": "还可发送的条数"})


class SubscriptionsSchema(ma.Schema):
    moments = ma.fields.Nested(SubscriptionMomentsSchema, required=True)
    kinds = ma.fields.List(ma.fields.Nested(SubscriptionKindSchema), required=True)
