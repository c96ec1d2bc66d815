"""Request and response schemas of the 随手拍 report API."""

import marshmallow as ma

from server.grid.report_models import REPORT_STATUSES
from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema
from server.http.schemas import text as bounded

MAX_PHOTOS = 9


class _JsonBoolean(ma.fields.Boolean):
    """A JSON boolean: 0, 1, "yes" and the like are refused, as the schema says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class _JsonNumber(ma.fields.Float):
    """A JSON number: strings such as "30.5" are refused, as the schema says."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def _days(**kwargs):
    return ma.fields.Integer(
        strict=True,
        validate=ma.validate.Range(min=1, max=30),
        metadata={"description": "工作日"},
        **kwargs,
    )


def _photo_ids():
    return ma.fields.List(IdField(), load_default=list, validate=ma.validate.Length(max=MAX_PHOTOS))


# --- categories and settings ----------------------------------------------------------------


class ReportCategorySchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)
    photo_required = Boolean(required=True)
    accept_within = ma.fields.Integer(required=True, metadata={"description": "受理时限（工作日）"})
    resolve_within = ma.fields.Integer(
        required=True, metadata={"description": "办结时限（工作日）"}
    )
    active = Boolean(required=True)


class ReportCategoryQuerySchema(PageArgsSchema):
    include_inactive = Boolean(
        load_default=False, metadata={"description": "包含已停用的类别（管理员）"}
    )


class ReportCategoryCreateSchema(StrictSchema):
    name = bounded(32, required=True)
    photo_required = _JsonBoolean(load_default=False)
    accept_within = _days(load_default=1)
    resolve_within = _days(load_default=3)
    active = _JsonBoolean(load_default=True)


class ReportCategoryPatchSchema(StrictSchema):
    name = bounded(32)
    photo_required = _JsonBoolean()
    accept_within = _days()
    resolve_within = _days()
    active = _JsonBoolean()


class ReportSettingsSchema(StrictSchema):
    reporter_points = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ma.validate.Range(min=0, max=100),
        metadata={"description": "问题被受理后上报人获得的积分（0 为不奖励）"},
    )


# --- reports --------------------------------------------------------------------------------


class ReportCreateSchema(StrictSchema):
    category_id = IdField(required=True)
    text = bounded(500, required=True, metadata={"description": "问题描述"})
    place = bounded(100, min_len=0, load_default="", metadata={"description": "地点"})
    photo_ids = _photo_ids()
    grid_id = IdField(load_default=None, allow_none=True, metadata={"description": "问题所在网格"})
    latitude = _JsonNumber(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=ma.validate.Range(min=-90, max=90),
    )
    longitude = _JsonNumber(
        load_default=None,
        allow_none=True,
        allow_nan=False,
        validate=ma.validate.Range(min=-180, max=180),
    )


class ReportQuerySchema(PageArgsSchema):
    scope = ma.fields.String(
        load_default="mine",
        validate=ma.validate.OneOf(("mine", "grid", "community")),
        metadata={
            "description": "mine：我的上报；grid：我的网格队列；"
            "community：社区全部（审核员、管理员）"
        },
    )
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(REPORT_STATUSES),
        metadata={"description": "按状态筛选"},
    )
    open_only = Boolean(load_default=False, metadata={"description": "只看未办结"})
    overdue = Boolean(
        load_default=None, allow_none=True, metadata={"description": "按是否超时筛选"}
    )
    grid_id = IdField(load_default=None, strict=False, metadata={"description": "按网格筛选"})
    unassigned = Boolean(load_default=False, metadata={"description": "只看社区队列（未分派网格）"})


class ReasonSchema(StrictSchema):
    reason = bounded(200, required=True)


class ResumeSchema(StrictSchema):
    note = bounded(200, load_default=None, allow_none=True, metadata={"description": "补充说明"})


class ResolveSchema(StrictSchema):
    note = bounded(500, required=True, metadata={"description": "处理情况"})
    photo_ids = _photo_ids()


class TransferSchema(StrictSchema):
    grid_id = IdField(required=True)
    reason = bounded(200, required=True)


class DuplicateSchema(StrictSchema):
    duplicate_of_id = IdField(required=True)


class ConfirmSchema(StrictSchema):
    rating = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=5))
    feedback = bounded(200, load_default=None, allow_none=True)


class _Ref(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class _Photo(ma.Schema):
    id = IdField(required=True)
    url = ma.fields.String(required=True)


class ReportSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    category = ma.fields.Nested(_Ref, required=True)
    grid = ma.fields.Nested(_Ref, required=True, allow_none=True)
    reporter = ma.fields.Nested(
        _Ref, required=True, metadata={"description": "姓名已脱敏（本人除外）"}
    )
    text = ma.fields.String(required=True)
    place = ma.fields.String(required=True)
    latitude = ma.fields.Float(required=True, allow_none=True)
    longitude = ma.fields.Float(required=True, allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(_Photo), required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(REPORT_STATUSES))
    content_verdict = ma.fields.String(required=True)
    accept_due_at = AwareDateTime(required=True, allow_none=True)
    resolve_due_at = AwareDateTime(
        required=True, allow_none=True, metadata={"description": "等待上报人时计时暂停，为空"}
    )
    overdue = Boolean(required=True)
    paused = Boolean(required=True)
    accepted_by = ma.fields.Nested(_Ref, required=True, allow_none=True)
    accepted_at = AwareDateTime(required=True, allow_none=True)
    resolved_by = ma.fields.Nested(_Ref, required=True, allow_none=True)
    resolved_at = AwareDateTime(required=True, allow_none=True)
    resolution_note = ma.fields.String(required=True, allow_none=True)
    resolution_photos = ma.fields.List(ma.fields.Nested(_Photo), required=True)
    reopen_until = AwareDateTime(required=True, allow_none=True)
    rating = ma.fields.Integer(required=True, allow_none=True)
    feedback = ma.fields.String(required=True, allow_none=True)
    confirmed_at = AwareDateTime(required=True, allow_none=True)
    duplicate_of_id = IdField(required=True, allow_none=True)
    last_reason = ma.fields.String(required=True, allow_none=True)
    reopened_count = ma.fields.Integer(required=True)
    points_credited = Boolean(required=True)
    created_at = AwareDateTime(required=True)


class _Counts(ma.Schema):
    open = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)


class GridCountsSchema(_Counts):
    grid = ma.fields.Nested(_Ref, required=True)


class GridStatsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(GridCountsSchema), required=True)
    next_cursor = ma.fields.String(required=True, allow_none=True)
    queue = ma.fields.Nested(
        _Counts, required=True, metadata={"description": "社区队列（未分派网格）"}
    )


ReportCategoryPageSchema = page_schema(ReportCategorySchema, "ReportCategoryPage")
ReportPageSchema = page_schema(ReportSchema, "ReportPage")
