"""Request and response schemas of balance, history, adjustments and rankings."""

import marshmallow as ma

from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text
from server.points.ledger import MAX_AMOUNT
from server.points.ledger_models import ENTRY_KINDS
from server.points.rankings import KINDS


class HolderQuerySchema(ma.Schema):
    organisation_id = IdField(
        load_default=None,
        strict=False,
        metadata={"description": "单位工作人员查看本单位账户"},
    )
    merchant_id = IdField(
        load_default=None,
        strict=False,
        metadata={"description": "店铺工作人员查看本店铺（信用店铺）账户"},
    )

    @ma.validates_schema
    def _one_holder(self, data, **_kwargs):
        if data.get("organisation_id") is not None and data.get("merchant_id") is not None:
            raise ma.ValidationError("organisation_id 与 merchant_id 只能指定一个", "merchant_id")


class LedgerQuerySchema(PageArgsSchema, HolderQuerySchema):
    pass


class BalanceSchema(ma.Schema):
    account_id = IdField(required=True, allow_none=True)
    community_id = IdField(required=True)
    holder_type = ma.fields.String(required=True)
    holder_id = IdField(required=True)
    balance = ma.fields.Integer(required=True)
    held = ma.fields.Integer(required=True, metadata={"description": "兑换预约冻结中的积分"})
    available = ma.fields.Integer(required=True, metadata={"description": "可用积分"})
    earned = ma.fields.Integer(required=True, metadata={"description": "累计获得积分"})
    year = ma.fields.Integer(required=True)
    year_earned = ma.fields.Integer(required=True, metadata={"description": "本年度获得积分"})


class LedgerEntrySchema(ma.Schema):
    id = IdField(required=True)
    amount = ma.fields.Integer(required=True)
    balance_after = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(ENTRY_KINDS))
    kind_label = ma.fields.String(required=True)
    reason = ma.fields.String(required=True, metadata={"description": "积分变动原因（中文）"})
    cause_type = ma.fields.String(required=True)
    reverses_entry_id = IdField(required=True, allow_none=True)
    created_at = AwareDateTime(required=True)


LedgerPageSchema = page_schema(LedgerEntrySchema, "LedgerEntryPage")


def _non_zero(value: int) -> None:
    if value == 0:
        raise ma.ValidationError("调整积分不能为 0")


class AdjustmentCreateSchema(StrictSchema):
    user_id = IdField(load_default=None)
    organisation_id = IdField(load_default=None)
    merchant_id = IdField(load_default=None)
    amount = ma.fields.Integer(
        required=True,
        strict=True,
        validate=[ma.validate.Range(min=-MAX_AMOUNT, max=MAX_AMOUNT), _non_zero],
        metadata={"description": "正数为奖励加分，负数为扣分"},
    )
    reason = text(200, required=True)

    @ma.validates_schema
    def _one_holder(self, data, **_kwargs):
        holders = ("user_id", "organisation_id", "merchant_id")
        if sum(data.get(name) is not None for name in holders) != 1:
            raise ma.ValidationError(
                "请指定 user_id、organisation_id 或 merchant_id 其中之一", "user_id"
            )


class ReverseSchema(StrictSchema):
    reason = text(200, required=True)


class AccountViewSchema(ma.Schema):
    account_id = IdField(required=True)
    holder_type = ma.fields.String(required=True)
    holder_id = IdField(required=True)
    balance = ma.fields.Integer(required=True)
    held = ma.fields.Integer(required=True)
    available = ma.fields.Integer(required=True)
    earned = ma.fields.Integer(required=True)


class AdjustmentResultSchema(ma.Schema):
    entry = ma.fields.Nested(LedgerEntrySchema, required=True)
    account = ma.fields.Nested(AccountViewSchema, required=True)


class RankingQuerySchema(PageArgsSchema):
    period = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(
            r"^\d{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$",
            error="统计周期格式应为 YYYY-MM（月）、YYYY-Qn（季）或 YYYY（年），"
            "如 2026-11、2026-Q4、2026",
        ),
        metadata={
            "description": "统计周期：YYYY-MM（月，如 2026-11）、"
            "YYYY-Qn（季，n 为 1-4，如 2026-Q4）或 YYYY（年，如 2026），"
            "年份 2000-2100；默认本月（北京时间）",
            "example": "2026-Q4",
        },
    )
    kind = ma.fields.String(
        load_default="person",
        validate=ma.validate.OneOf(KINDS),
        metadata={"description": "排名类别：个人、党员、单位或网格员"},
    )


class RankingItemSchema(ma.Schema):
    rank = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"description": "脱敏姓名，如 张*明"})
    points = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    is_me = Boolean(required=True)


class RankingMeSchema(ma.Schema):
    rank = ma.fields.Integer(required=True)
    points = ma.fields.Integer(required=True)


class RankingPageSchema(ma.Schema):
    period = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    source = ma.fields.String(required=True, metadata={"description": "redis 或 sql"})
    items = ma.fields.List(ma.fields.Nested(RankingItemSchema), required=True)
    me = ma.fields.Nested(RankingMeSchema, required=True, allow_none=True)
    next_cursor = ma.fields.String(required=True, allow_none=True)
