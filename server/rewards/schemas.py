import marshmallow as ma

from server.community.models import MERCHANT_KINDS, MERCHANT_STATUSES
from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, Date, IdField, StrictSchema, text
from server.rewards.models import OFFER_LIMIT_PERIODS, REDEMPTION_STATUSES


def binary_response(content_type: str, description: str) -> dict:
    """The OpenAPI `responses` of a route that answers a file rather than JSON."""
    return {
        "200": {
            "description": description,
            "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


MONTH = ma.validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="月份格式应为 YYYY-MM")
MONTH_DOC = {"description": "月份：YYYY-MM（北京时间），如 2026-11；默认本月", "example": "2026-11"}
MAX_POINTS = 1_000_000


# -- merchants ---------------------------------------------------------------------------------


class MerchantSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(MERCHANT_KINDS)})
    status = ma.fields.String(required=True, metadata={"enum": list(MERCHANT_STATUSES)})
    address = ma.fields.String(required=True)
    created_at = AwareDateTime(required=True)


class MerchantCreateSchema(StrictSchema):
    name = text(64, required=True)
    kind = ma.fields.String(load_default="partner", validate=ma.validate.OneOf(MERCHANT_KINDS))
    address = text(128, min_len=0, load_default="")


class MerchantQuerySchema(PageArgsSchema):
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(MERCHANT_STATUSES),
        metadata={"description": "只看该状态的商家"},
    )


# -- offers ------------------------------------------------------------------------------------


class OfferSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    merchant_id = IdField(required=True)
    merchant_name = ma.fields.String(required=True)
    merchant_kind = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    image_url = ma.fields.String(required=True, allow_none=True)
    points_cost = ma.fields.Integer(required=True)
    stock = ma.fields.Integer(required=True)
    limit_per_person = ma.fields.Integer(required=True, allow_none=True)
    limit_period = ma.fields.String(required=True, metadata={"enum": list(OFFER_LIMIT_PERIODS)})
    valid_from = Date(required=True, allow_none=True)
    valid_until = Date(required=True, allow_none=True)
    active = Boolean(required=True)
    created_at = AwareDateTime(required=True)
    updated_at = AwareDateTime(required=True)


class _OfferFields(StrictSchema):
    description = text(500, min_len=0)
    image_url = ma.fields.URL(
        schemes={"https"}, validate=ma.validate.Length(max=512), allow_none=True
    )
    points_cost = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=MAX_POINTS))
    limit_per_person = ma.fields.Integer(
        strict=True,
        allow_none=True,
        validate=ma.validate.Range(min=1, max=1000),
        metadata={"description": "每人每期限兑次数；null 为不限"},
    )
    limit_period = ma.fields.String(validate=ma.validate.OneOf(OFFER_LIMIT_PERIODS))
    valid_from = Date(allow_none=True)
    valid_until = Date(allow_none=True)
    active = Boolean()


class OfferCreateSchema(_OfferFields):
    merchant_id = IdField(required=True)
    title = text(64, required=True)
    points_cost = ma.fields.Integer(
        strict=True, required=True, validate=ma.validate.Range(min=1, max=MAX_POINTS)
    )
    stock = ma.fields.Integer(
        strict=True, load_default=0, validate=ma.validate.Range(min=0, max=MAX_POINTS)
    )


class OfferPatchSchema(_OfferFields):
    title = text(64)
    add_stock = ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(min=-MAX_POINTS, max=MAX_POINTS),
        metadata={"description": "库存增减量（补货为正，下调为负）；结果不能小于 0"},
    )


class OfferQuerySchema(PageArgsSchema):
    merchant_id = IdField(load_default=None, strict=False, metadata={"description": "只看该商家"})
    include_inactive = Boolean(
        load_default=False,
        metadata={"description": "商家员工、管理员：包括已下架的商品（须指定 merchant_id）"},
    )


# -- windows -----------------------------------------------------------------------------------


class WindowSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    note = ma.fields.String(required=True)


class WindowCreateSchema(StrictSchema):
    starts_on = Date(required=True)
    ends_on = Date(required=True)
    note = text(64, min_len=0, load_default="")


class QuarterlyWindowsSchema(StrictSchema):
    year = ma.fields.Integer(strict=True, required=True, validate=ma.validate.Range(2000, 2100))
    days = ma.fields.Integer(strict=True, load_default=7, validate=ma.validate.Range(1, 31))
    note = text(64, min_len=0, load_default="")


class WindowListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(WindowSchema), required=True)


class WindowStateSchema(ma.Schema):
    always_open = Boolean(required=True)
    open = Boolean(required=True)
    current = ma.fields.Nested(WindowSchema, required=True, allow_none=True)
    next_opens_on = Date(required=True, allow_none=True)


# -- redemptions -------------------------------------------------------------------------------


class RedemptionSchema(ma.Schema):
    id = IdField(required=True)
    offer_id = IdField(required=True)
    offer_title = ma.fields.String(required=True)
    offer_image_url = ma.fields.String(required=True, allow_none=True)
    merchant_id = IdField(required=True)
    merchant_name = ma.fields.String(required=True)
    merchant_address = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(REDEMPTION_STATUSES)})
    created_at = AwareDateTime(required=True)
    expires_at = AwareDateTime(required=True)
    redeemed_at = AwareDateTime(required=True, allow_none=True)
    closed_at = AwareDateTime(required=True, allow_none=True)


class ReserveSchema(StrictSchema):
    offer_id = IdField(required=True)


class RedemptionQuerySchema(PageArgsSchema):
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(REDEMPTION_STATUSES),
        metadata={"description": "只看该状态的兑换"},
    )


class CodeSchema(ma.Schema):
    redemption_id = IdField(required=True)
    token = ma.fields.String(required=True, metadata={"description": "二维码内容（签名令牌）"})
    manual_code = ma.fields.String(
        required=True,
        metadata={"description": "数字码：扫码失败时商家手工输入，与二维码同时刷新"},
    )
    expires_at = AwareDateTime(required=True)
    ttl_seconds = ma.fields.Integer(required=True)
    refresh_after_seconds = ma.fields.Integer(required=True)


# -- merchant side -----------------------------------------------------------------------------


class TokenSchema(StrictSchema):
    token = text(
        1024, required=True, metadata={"description": "扫到的二维码内容，或居民兑换码页上的数字码"}
    )


class PreviewSchema(ma.Schema):
    redemption_id = IdField(required=True)
    offer_id = IdField(required=True)
    offer_title = ma.fields.String(required=True)
    offer_image_url = ma.fields.String(required=True, allow_none=True)
    merchant_id = IdField(required=True)
    merchant_name = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    resident_name = ma.fields.String(required=True, metadata={"description": "脱敏姓名"})
    status = ma.fields.String(required=True)
    created_at = AwareDateTime(required=True)
    expires_at = AwareDateTime(required=True)
    redeemed_at = AwareDateTime(required=True, allow_none=True)


class MerchantRedemptionSchema(ma.Schema):
    id = IdField(required=True)
    offer_id = IdField(required=True)
    offer_title = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    resident_name = ma.fields.String(required=True)
    created_at = AwareDateTime(required=True)
    redeemed_at = AwareDateTime(required=True, allow_none=True)
    redeemed_by = ma.fields.String(required=True, allow_none=True)


class MerchantScopeSchema(ma.Schema):
    merchant_id = IdField(
        load_default=None,
        strict=False,
        metadata={"description": "商家编号；只在一个商家任职时可省略"},
    )


class MerchantHistoryQuerySchema(PageArgsSchema, MerchantScopeSchema):
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(REDEMPTION_STATUSES),
        metadata={"description": "只看该状态的兑换"},
    )
    month = ma.fields.String(load_default=None, validate=MONTH, metadata=MONTH_DOC)


class StatementQuerySchema(PageArgsSchema, MerchantScopeSchema):
    month = ma.fields.String(load_default=None, validate=MONTH, metadata=MONTH_DOC)


class StatementExportQuerySchema(MerchantScopeSchema):
    month = ma.fields.String(load_default=None, validate=MONTH, metadata=MONTH_DOC)


class StatementLineSchema(ma.Schema):
    offer_id = IdField(required=True)
    offer_title = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)
    points = ma.fields.Integer(required=True)


class DayTotalsSchema(ma.Schema):
    date = Date(required=True, metadata={"description": "北京时间的日期"})
    count = ma.fields.Integer(required=True)
    points = ma.fields.Integer(required=True)


class StatementSchema(ma.Schema):
    merchant_id = IdField(required=True)
    merchant_name = ma.fields.String(required=True)
    month = ma.fields.String(required=True)
    today = ma.fields.Nested(
        DayTotalsSchema,
        required=True,
        metadata={"description": "今日（北京时间）已核销的笔数与积分，与所查月份无关"},
    )
    offers = ma.fields.Integer(required=True)
    total_count = ma.fields.Integer(required=True)
    total_points = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(StatementLineSchema), required=True)
    next_cursor = ma.fields.String(required=True, allow_none=True)


MerchantPageSchema = page_schema(MerchantSchema, "MerchantPage")
OfferPageSchema = page_schema(OfferSchema, "OfferPage")
WindowPageSchema = page_schema(WindowSchema, "RedemptionWindowPage")
RedemptionPageSchema = page_schema(RedemptionSchema, "RedemptionPage")
MerchantRedemptionPageSchema = page_schema(MerchantRedemptionSchema, "MerchantRedemptionPage")
