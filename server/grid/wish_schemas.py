import marshmallow as ma

from server.grid.wish_models import (
    AUDIENCES,
    CLAIMER_KINDS,
    MAX_BENEFICIARY,
    MAX_DETAILS,
    MAX_NOTE,
    MAX_PLACE,
    MAX_SHORT,
    MAX_TITLE,
    WISH_STATUSES,
)
from server.grid.wish_queries import SCOPES
from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, Date, IdField, StrictSchema, text

MAX_PHOTOS = 9
MAX_WISH_POINTS = 100


def _photo_ids(**kwargs):
    return ma.fields.List(IdField(), validate=ma.validate.Length(max=MAX_PHOTOS), **kwargs)


# --- requests -------------------------------------------------------------------------------


class WishCreateSchema(StrictSchema):
    title = text(MAX_TITLE, required=True, metadata={"description": "心愿内容"})
    details = text(MAX_DETAILS, min_len=0, load_default="", metadata={"description": "详细说明"})
    needed_by = Date(
        required=True, metadata={"description": "期望完成日期（北京时间，今天起 180 天内）"}
    )
    place = text(MAX_PLACE, min_len=0, load_default="", metadata={"description": "地点"})
    beneficiary = text(
        MAX_BENEFICIARY, min_len=0, load_default="", metadata={"description": "为谁许愿"}
    )
    photo_ids = _photo_ids(load_default=list)


class WishApproveSchema(StrictSchema):
    audience = ma.fields.String(
        load_default="community",
        validate=ma.validate.OneOf(AUDIENCES),
        metadata={"description": "community：发布到全社区；grid：发布到一个网格"},
    )
    grid_id = IdField(
        load_default=None, allow_none=True, metadata={"description": "默认为居民所在网格"}
    )
    points = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_WISH_POINTS),
        metadata={"description": "完成后给认领方的积分（默认 10）"},
    )


class WishRejectSchema(StrictSchema):
    reason = text(MAX_SHORT, required=True, metadata={"description": "驳回原因"})


class WishClaimSchema(StrictSchema):
    organisation_id = IdField(
        load_default=None, allow_none=True, metadata={"description": "以驻区单位的名义认领"}
    )
    merchant_id = IdField(
        load_default=None, allow_none=True, metadata={"description": "以信用店铺的名义认领"}
    )


class WishHandBackSchema(StrictSchema):
    reason = text(MAX_SHORT, load_default=None, allow_none=True)


class WishFulfilSchema(StrictSchema):
    note = text(MAX_NOTE, required=True, metadata={"description": "完成情况"})
    photo_ids = ma.fields.List(
        IdField(), required=True, validate=ma.validate.Length(min=1, max=MAX_PHOTOS)
    )


class WishConfirmSchema(StrictSchema):
    thanks = text(MAX_SHORT, load_default=None, allow_none=True, metadata={"description": "感谢语"})


class WishQuerySchema(PageArgsSchema):
    scope = ma.fields.String(
        load_default="board",
        validate=ma.validate.OneOf(SCOPES),
        metadata={
            "description": "board：心愿墙；mine：我发布的；claimed：我认领的；review：审核队列"
        },
    )
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(WISH_STATUSES),
        metadata={"description": "按状态筛选"},
    )


# --- responses ------------------------------------------------------------------------------


class WishPersonSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True, metadata={"description": "他人姓名已脱敏"})


class WishNamedSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class WishPhotoSchema(ma.Schema):
    id = IdField(required=True)
    url = ma.fields.String(required=True)


class WishClaimerSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(CLAIMER_KINDS))
    person = ma.fields.Nested(WishPersonSchema, required=True)
    organisation = ma.fields.Nested(WishNamedSchema, required=True, allow_none=True)
    merchant = ma.fields.Nested(WishNamedSchema, required=True, allow_none=True)
    claimed_at = AwareDateTime(required=True)


class WishFulfilmentSchema(ma.Schema):
    note = ma.fields.String(required=True)
    photos = ma.fields.List(ma.fields.Nested(WishPhotoSchema), required=True)
    fulfilled_at = AwareDateTime(required=True)


class WishSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    title = ma.fields.String(required=True)
    details = ma.fields.String(required=True)
    needed_by = Date(required=True)
    place = ma.fields.String(required=True)
    beneficiary = ma.fields.String(required=True)
    photos = ma.fields.List(ma.fields.Nested(WishPhotoSchema), required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(WISH_STATUSES))
    resident = ma.fields.Nested(WishPersonSchema, required=True)
    audience = ma.fields.String(required=True, allow_none=True)
    audience_grid_id = IdField(required=True, allow_none=True)
    points = ma.fields.Integer(required=True, allow_none=True)
    claimer = ma.fields.Nested(WishClaimerSchema, required=True, allow_none=True)
    fulfilment = ma.fields.Nested(
        WishFulfilmentSchema,
        required=True,
        allow_none=True,
        metadata={"description": "仅发布人、认领方和审核员可见"},
    )
    review_reason = ma.fields.String(required=True, allow_none=True)
    content_verdict = ma.fields.String(required=True, allow_none=True)
    thanks = ma.fields.String(required=True, allow_none=True)
    confirmed_at = AwareDateTime(required=True, allow_none=True)
    ledger_entry_id = IdField(required=True, allow_none=True)
    is_mine = Boolean(required=True)
    claimed_by_me = Boolean(required=True)
    created_at = AwareDateTime(required=True)


WishPageSchema = page_schema(WishSchema, "WishPage")
