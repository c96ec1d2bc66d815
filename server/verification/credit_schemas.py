"""Request and response schemas of credit references (信用证明)."""

import marshmallow as ma

from server.http.pagination import page_schema
from server.http.schemas import AwareDateTime, Date, IdField, StrictSchema
from server.points.ledger_schemas import LedgerQuerySchema
from server.verification.credit_models import HOLDER_TYPES, MAX_DAYS, MIN_DAYS, OUTCOMES

STATUSES = ("active", "expired", "revoked")


class CreditReferenceCreateSchema(StrictSchema):
    valid_days = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=MIN_DAYS, max=MAX_DAYS),
        metadata={"description": f"有效天数，{MIN_DAYS} 到 {MAX_DAYS}"},
    )
    organisation_id = IdField(
        load_default=None, metadata={"description": "单位工作人员为本单位出具"}
    )
    merchant_id = IdField(load_default=None, metadata={"description": "店铺工作人员为本店铺出具"})

    @ma.validates_schema
    def _one_holder(self, data, **_kwargs):
        if data.get("organisation_id") is not None and data.get("merchant_id") is not None:
            raise ma.ValidationError("organisation_id 与 merchant_id 只能指定一个", "merchant_id")


class CreditReferenceQuerySchema(LedgerQuerySchema):
    """Pagination, and which account: one's own, or an organisation's or shop's one staffs."""


class CreditCheckSchema(ma.Schema):
    checked_at = AwareDateTime(required=True)
    outcome = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(OUTCOMES),
        metadata={
            "description": "ok 核验通过；wrong_code 核验码错误；expired 已过期；revoked 已撤销"
        },
    )
    client = ma.fields.String(
        required=True, metadata={"description": "核验来源的粗略网络地址（如 203.0.113.*）"}
    )


class CreditReferenceSchema(ma.Schema):
    id = IdField(required=True)
    serial = ma.fields.String(required=True, metadata={"description": "证明编号（CR 开头）"})
    holder_type = ma.fields.String(required=True, validate=ma.validate.OneOf(HOLDER_TYPES))
    holder_id = IdField(required=True)
    holder_name = ma.fields.String(required=True, metadata={"description": "银行看到的名称"})
    year = ma.fields.Integer(required=True)
    points_year = ma.fields.Integer(required=True, metadata={"description": "当年获得积分"})
    points_total = ma.fields.Integer(required=True, metadata={"description": "累计获得积分"})
    volunteer_hours = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "志愿服务时长（个人）"}
    )
    rank_band = ma.fields.String(
        required=True, metadata={"description": "当年排名区间：前10% / 前30% / 其他"}
    )
    member_since = Date(required=True, allow_none=True)
    issued_at = AwareDateTime(required=True)
    valid_until = AwareDateTime(required=True)
    revoked_at = AwareDateTime(required=True, allow_none=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    check_count = ma.fields.Integer(required=True, metadata={"description": "被核验的总次数"})
    checks = ma.fields.List(
        ma.fields.Nested(CreditCheckSchema),
        required=True,
        metadata={"description": "最近的核验记录（最多 20 条，新的在前）"},
    )


class CreditReferenceIssuedSchema(CreditReferenceSchema):
    check_code = ma.fields.String(
        required=True,
        metadata={"description": "核验码，只在出具时返回这一次（服务器只保存其摘要），请交给银行"},
    )
    check_url = ma.fields.String(required=True, metadata={"description": "银行核验的网页地址"})


CreditReferencePageSchema = page_schema(CreditReferenceSchema, "CreditReferencePage")
