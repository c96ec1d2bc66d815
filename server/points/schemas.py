import marshmallow as ma

from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, Date, IdField, StrictSchema, text
from server.points.claim_models import CLAIM_STATUSES
from server.points.models import ACCOUNT_KINDS, DIRECTIONS

MAX_PHOTOS = 9
MAX_BATCH = 50


def _cap(**kwargs):
    return ma.fields.Integer(
        allow_none=True, validate=ma.validate.Range(min=1, max=1000), strict=True, **kwargs
    )


def _points():
    return ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=1000)
    )


def _code():
    return ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(
            r"^[A-Za-z0-9_-]{1,32}$", error="编码只能包含字母、数字、下划线和连字符，最多 32 个字符"
        ),
    )


def _account_kinds(**kwargs):
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(ACCOUNT_KINDS)),
        validate=[ma.validate.Length(min=1, max=len(ACCOUNT_KINDS)), _unique],
        metadata={"description": "可获得该积分的账户类型"},
        **kwargs,
    )


def _unique(values):
    if len(set(values)) != len(values):
        raise ma.ValidationError("不能重复")


# --- catalogue ------------------------------------------------------------------------------


class PointCategoryRefSchema(ma.Schema):
    id = IdField(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class PointCategorySchema(PointCategoryRefSchema):
    sort_order = ma.fields.Integer(required=True)


class PointItemVersionSchema(ma.Schema):
    id = IdField(required=True)
    item_id = IdField(required=True)
    points = ma.fields.Integer(required=True)
    effective_from = Date(required=True)
    created_at = AwareDateTime(required=True)


class PointItemSchema(ma.Schema):
    id = IdField(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    category = ma.fields.Nested(PointCategoryRefSchema, required=True)
    direction = ma.fields.String(required=True, validate=ma.validate.OneOf(DIRECTIONS))
    account_kinds = ma.fields.List(ma.fields.String(), required=True)
    daily_cap = ma.fields.Integer(required=True, allow_none=True)
    monthly_cap = ma.fields.Integer(required=True, allow_none=True)
    active = Boolean(required=True)
    points = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "今天生效的分值"}
    )
    version_id = IdField(required=True, allow_none=True)
    effective_from = Date(required=True, allow_none=True)
    next_version = ma.fields.Nested(PointItemVersionSchema, required=True, allow_none=True)


class PointItemQuerySchema(PageArgsSchema):
    category_id = IdField(load_default=None, strict=False, metadata={"description": "只看该分类"})
    include_inactive = Boolean(
        load_default=False,
        metadata={"description": "管理员：包括已停用的项目；true 或 false"},
    )


class PointCategoryCreateSchema(StrictSchema):
    code = _code()
    name = text(32, required=True)
    sort_order = ma.fields.Integer(
        load_default=0, strict=True, validate=ma.validate.Range(min=0, max=10_000)
    )


class PointItemCreateSchema(StrictSchema):
    category_id = IdField(required=True)
    code = _code()
    name = text(64, required=True)
    points = _points()
    direction = ma.fields.String(load_default="earn", validate=ma.validate.OneOf(DIRECTIONS))
    account_kinds = _account_kinds(load_default=lambda: list(ACCOUNT_KINDS))
    daily_cap = _cap(load_default=None)
    monthly_cap = _cap(load_default=None)
    active = Boolean(load_default=True)
    effective_from = Date(load_default=None, metadata={"description": "默认今天"})


class PointItemPatchSchema(StrictSchema):
    name = text(64)
    category_id = IdField()
    account_kinds = _account_kinds()
    daily_cap = _cap()
    monthly_cap = _cap()
    active = Boolean()


class PointItemVersionCreateSchema(StrictSchema):
    points = _points()
    effective_from = Date(required=True, metadata={"description": "今天或以后"})


# --- claims ---------------------------------------------------------------------------------


class PointClaimCreateSchema(StrictSchema):
    item_id = IdField(required=True)
    occurred_on = Date(required=True, metadata={"description": "发生日期（北京时间）"})
    description = text(500, required=True)
    photo_ids = ma.fields.List(
        IdField(), load_default=list, validate=ma.validate.Length(max=MAX_PHOTOS)
    )
    organisation_id = IdField(
        load_default=None, allow_none=True, metadata={"description": "单位工作人员为单位申报"}
    )


class PointClaimResubmitSchema(StrictSchema):
    """A corrected claim: the same fields as a new one; the organisation stays the original's."""

    item_id = IdField(required=True)
    occurred_on = Date(required=True, metadata={"description": "发生日期（北京时间）"})
    description = text(500, required=True)
    photo_ids = ma.fields.List(
        IdField(),
        load_default=list,
        validate=[ma.validate.Length(max=MAX_PHOTOS), _unique],
        metadata={"description": "新上传的图片，或原申报的图片（保留）"},
    )


class PointClaimPersonSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class PointClaimItemSchema(ma.Schema):
    id = IdField(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    category_id = IdField(required=True)
    category_name = ma.fields.String(required=True)


class PointClaimPhotoSchema(ma.Schema):
    id = IdField(required=True)
    url = ma.fields.String(required=True)


class PointClaimSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    claimant = ma.fields.Nested(PointClaimPersonSchema, required=True)
    organisation = ma.fields.Nested(PointClaimPersonSchema, required=True, allow_none=True)
    grid_id = IdField(required=True, allow_none=True)
    item = ma.fields.Nested(PointClaimItemSchema, required=True)
    occurred_on = Date(required=True)
    description = ma.fields.String(required=True)
    photos = ma.fields.List(ma.fields.Nested(PointClaimPhotoSchema), required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(CLAIM_STATUSES))
    content_verdict = ma.fields.String(
        required=True, metadata={"description": "内容安全结果：pass/review/risky/unavailable"}
    )
    points = ma.fields.Integer(required=True, allow_none=True)
    item_version_id = IdField(required=True, allow_none=True)
    decided_by = ma.fields.Nested(PointClaimPersonSchema, required=True, allow_none=True)
    decided_at = AwareDateTime(required=True, allow_none=True)
    decision_reason = ma.fields.String(required=True, allow_none=True)
    ledger_entry_id = IdField(required=True, allow_none=True)
    created_at = AwareDateTime(required=True)
    resubmitted_from = IdField(
        required=True, allow_none=True, metadata={"description": "本申报修改自哪条未通过的申报"}
    )
    resubmitted_as = IdField(
        required=True, allow_none=True, metadata={"description": "修改后重新提交的新申报"}
    )
    resubmittable = Boolean(
        required=True,
        metadata={"description": "未通过且尚未重新提交：申报人可以修改后重新提交一次"},
    )


class PointClaimQuerySchema(PageArgsSchema):
    scope = ma.fields.String(
        load_default="mine",
        validate=ma.validate.OneOf(("mine", "queue")),
        metadata={"description": "mine：我的申报；queue：审核队列（审核员、管理员）"},
    )
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(CLAIM_STATUSES),
        metadata={"description": "只看该状态的申报"},
    )
    date_from = Date(
        load_default=None,
        metadata={"description": "发生日期不早于此日：YYYY-MM-DD", "example": "2026-11-01"},
    )
    date_to = Date(
        load_default=None,
        metadata={"description": "发生日期不晚于此日：YYYY-MM-DD", "example": "2026-11-30"},
    )
    grid_id = IdField(load_default=None, strict=False, metadata={"description": "只看该网格"})
    category_id = IdField(load_default=None, strict=False, metadata={"description": "只看该分类"})
    item_id = IdField(load_default=None, strict=False, metadata={"description": "只看该积分项目"})
    organisation_id = IdField(
        load_default=None, strict=False, metadata={"description": "只看为该单位的申报"}
    )


class PointClaimApproveSchema(StrictSchema):
    reason = text(200, load_default=None, allow_none=True, metadata={"description": "审核意见"})


class PointClaimRejectSchema(StrictSchema):
    reason = text(200, required=True, metadata={"description": "驳回原因"})


class PointClaimBatchDecideSchema(StrictSchema):
    ids = ma.fields.List(
        IdField(), required=True, validate=ma.validate.Length(min=1, max=MAX_BATCH)
    )
    decision = ma.fields.String(required=True, validate=ma.validate.OneOf(("approve", "reject")))
    reason = text(200, load_default=None, allow_none=True)


class PointClaimBatchErrorSchema(ma.Schema):
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(required=True)


class PointClaimBatchResultSchema(ma.Schema):
    id = IdField(required=True)
    ok = Boolean(required=True)
    status = ma.fields.String(required=True, allow_none=True)
    error = ma.fields.Nested(PointClaimBatchErrorSchema, required=True, allow_none=True)


class PointClaimBatchResultsSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(PointClaimBatchResultSchema), required=True)


PointCategoryPageSchema = page_schema(PointCategorySchema, "PointCategoryPage")
PointItemPageSchema = page_schema(PointItemSchema, "PointItemPage")
PointItemVersionPageSchema = page_schema(PointItemVersionSchema, "PointItemVersionPage")
PointClaimPageSchema = page_schema(PointClaimSchema, "PointClaimPage")
