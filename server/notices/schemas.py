"""Request and response schemas of notices."""

import marshmallow as ma

from server.http.pagination import PageArgsSchema, QueryArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text
from server.notices.models import MAX_REASON, NOTICE_DEPTH, PERIOD_TYPES

PERIOD_DOC = "统计周期：月 2026-11、季度 2026-Q4 或年 2026（北京时间），须已结束"


class NoticeQuerySchema(PageArgsSchema):
    period_type = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(PERIOD_TYPES),
        metadata={"description": "month 月度 · quarter 季度 · year 年度；不填为全部"},
    )


class NoticeDetailQuerySchema(QueryArgsSchema):
    limit = ma.fields.Integer(
        load_default=10,
        validate=ma.validate.Range(min=1, max=NOTICE_DEPTH),
        metadata={"description": f"每个类别返回的名次数，1 到 {NOTICE_DEPTH}，默认 10"},
    )


class NoticePublishSchema(StrictSchema):
    period = text(8, required=True, metadata={"description": PERIOD_DOC, "example": "2026-11"})


class NoticeCorrectionSchema(StrictSchema):
    reason = text(MAX_REASON, required=True, metadata={"description": "更正原因，会显示在公示上"})


class NoticeSummarySchema(ma.Schema):
    id = IdField(required=True)
    title = ma.fields.String(required=True)
    period = ma.fields.String(required=True)
    period_type = ma.fields.String(required=True, validate=ma.validate.OneOf(PERIOD_TYPES))
    period_label = ma.fields.String(required=True, metadata={"description": "2026年11月"})
    published_at = AwareDateTime(required=True)
    correction_of = IdField(
        required=True, allow_none=True, metadata={"description": "更正的是哪一份公示"}
    )
    corrected = Boolean(required=True, metadata={"description": "这份公示已有更正"})


NoticePageSchema = page_schema(NoticeSummarySchema, "NoticePage")


class NoticeLinkSchema(ma.Schema):
    id = IdField(required=True)
    title = ma.fields.String(required=True)
    published_at = AwareDateTime(required=True)


class NoticeRowSchema(ma.Schema):
    rank = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"description": "脱敏姓名（张*明）"})
    points = ma.fields.Integer(required=True)


class NoticeKindSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    kind_label = ma.fields.String(required=True)
    rows = ma.fields.List(ma.fields.Nested(NoticeRowSchema), required=True)


class NoticeStarSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    kind_label = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)


class NoticeDetailSchema(NoticeSummarySchema):
    community_name = ma.fields.String(required=True)
    correction_reason = ma.fields.String(required=True, allow_none=True)
    corrects = ma.fields.Nested(
        NoticeLinkSchema, required=True, allow_none=True, metadata={"description": "被更正的公示"}
    )
    corrections = ma.fields.List(
        ma.fields.Nested(NoticeLinkSchema), required=True, metadata={"description": "它的更正"}
    )
    kinds = ma.fields.List(ma.fields.Nested(NoticeKindSchema), required=True)
    stars = ma.fields.List(
        ma.fields.Nested(NoticeStarSchema), required=True, metadata={"description": "年度积分之星"}
    )
