"""Request and response schemas of card holders, cards, PINs, binding and card redemption."""

import marshmallow as ma

from server.cards.cards import MAX_REASON, REPLACE_REASONS
from server.cards.numbers import MAX_QR_LENGTH
from server.community.card_holder_models import MAX_BUILDING, MAX_UNIT
from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text

MAX_PRINT = 60


def _pin(**kwargs):
    return ma.fields.String(
        validate=ma.validate.Regexp(r"^[0-9]{4,6}$", error="密码应为 4 到 6 位数字"),
        metadata={"description": "4 到 6 位数字密码"},
        **kwargs,
    )


def _card_qr(**kwargs):
    return text(MAX_QR_LENGTH, metadata={"description": "扫描积分卡二维码得到的内容"}, **kwargs)


class CardHolderCreateSchema(StrictSchema):
    real_name = text(32, required=True, metadata={"description": "居民姓名"})
    building = text(MAX_BUILDING, required=True, metadata={"description": "楼栋"})
    unit = text(MAX_UNIT, min_len=0, load_default="", metadata={"description": "单元、门牌"})
    phone = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(max=20),
        metadata={"description": "联系电话（可选，不对外显示）"},
    )
    pin = _pin(required=True)
    grid_id = IdField(load_default=None, allow_none=True, metadata={"description": "所在网格"})


class CardHolderQuerySchema(PageArgsSchema):
    q = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=32),
        metadata={"description": "姓名中的字"},
    )
    grid_id = IdField(load_default=None, strict=False, metadata={"description": "只看一个网格"})


class _Grid(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class CardSchema(ma.Schema):
    id = IdField(required=True)
    hint = ma.fields.String(required=True, metadata={"description": "卡号后四位"})
    issued_at = AwareDateTime(required=True)


class CardHolderSchema(ma.Schema):
    id = IdField(
        required=True, metadata={"description": "居民的用户编号（代办时填入 X-Acting-For）"}
    )
    name = ma.fields.String(required=True, metadata={"description": "脱敏姓名"})
    building = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    grid = ma.fields.Nested(_Grid, required=True, allow_none=True)
    card = ma.fields.Nested(CardSchema, required=True, allow_none=True)
    locked = Boolean(required=True)
    bound = Boolean(required=True, metadata={"description": "是否已绑定微信"})
    registered_at = AwareDateTime(required=True)
    phone = ma.fields.String(allow_none=True, metadata={"description": "脱敏手机号（仅工作人员）"})


CardHolderPageSchema = page_schema(CardHolderSchema, "CardHolderPage")


class ReplaceCardSchema(StrictSchema):
    reason = ma.fields.String(
        required=True,
        validate=[ma.validate.OneOf(REPLACE_REASONS), ma.validate.Length(max=MAX_REASON)],
        metadata={"description": "lost 挂失 · damaged 损坏 · other 其他"},
    )


class PinResetSchema(StrictSchema):
    pin = _pin(load_default=None, allow_none=True)


class BindCodeSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "一次性绑定码，只显示一次"})
    expires_at = AwareDateTime(required=True)


class BindSchema(StrictSchema):
    code = text(8, required=True, metadata={"description": "社区打印的 8 位绑定码"})


class BindResultSchema(ma.Schema):
    token = ma.fields.String(required=True, metadata={"description": "绑定后账户的登录凭证"})
    expires_in = ma.fields.Integer(required=True)
    user_id = IdField(required=True)


class PrintSchema(StrictSchema):
    holder_ids = ma.fields.List(
        IdField(), required=True, validate=ma.validate.Length(min=1, max=MAX_PRINT)
    )


class CardScanSchema(StrictSchema):
    card = _card_qr(required=True)
    merchant_id = IdField(load_default=None, allow_none=True)


class _Reservation(ma.Schema):
    id = IdField(required=True)
    offer_title = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    expires_at = AwareDateTime(required=True)


class CardScanResultSchema(ma.Schema):
    holder_name = ma.fields.String(required=True)
    merchant_id = IdField(required=True)
    locked = Boolean(required=True)
    available = ma.fields.Integer(required=True)
    reservations = ma.fields.List(ma.fields.Nested(_Reservation), required=True)


class CardRedeemSchema(StrictSchema):
    card = _card_qr(required=True)
    pin = _pin(required=True)
    offer_id = IdField(load_default=None, allow_none=True)
    redemption_id = IdField(load_default=None, allow_none=True)

    @ma.validates_schema
    def _one(self, data, **_kwargs):
        if (data.get("offer_id") is None) == (data.get("redemption_id") is None):
            raise ma.ValidationError("请指定 offer_id 或 redemption_id 其中之一", "offer_id")


class ActSchema(ma.Schema):
    id = IdField(required=True)
    action = ma.fields.String(required=True)
    action_label = ma.fields.String(required=True)
    actor_name = ma.fields.String(required=True, metadata={"description": "代办人（脱敏）"})
    target_type = ma.fields.String(required=True)
    target_id = ma.fields.Integer(required=True, allow_none=True)
    created_at = AwareDateTime(required=True)


ActPageSchema = page_schema(ActSchema, "ActOnBehalfPage")


class ActQuerySchema(PageArgsSchema):
    holder_id = IdField(
        load_default=None, strict=False, metadata={"description": "工作人员查看某位持卡居民"}
    )
