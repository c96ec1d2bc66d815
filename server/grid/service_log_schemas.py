"""Request and response schemas of the grid-service routes."""

import marshmallow as ma

from server.grid.service_log_models import BENEFICIARIES, SERVICE_LOG_STATUSES, SERVICE_RULES
from server.http.pagination import PageArgsSchema, QueryArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema

MAX_PHOTOS = 9
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


def _no_nul(value: str) -> None:
    # PostgreSQL text cannot hold NUL: refuse it here as a field error, not a 500 later.
    if "\x00" in value:
        raise ma.ValidationError("包含无效字符")


def _text(max_len: int, *, min_len: int = 1, **kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=[ma.validate.Length(min=min_len, max=max_len), _no_nul], **kwargs
    )


class _JsonBoolean(ma.fields.Boolean):
    """A JSON boolean: 0, 1, "yes" and the like are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def _points(**kwargs):
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=1000), **kwargs)


def _rule(**kwargs):
    return ma.fields.String(
        validate=ma.validate.OneOf(SERVICE_RULES),
        metadata={"description": "auto：登记即记分；review：审核通过后记分"},
        **kwargs,
    )


def _beneficiary(**kwargs):
    return ma.fields.String(
        validate=ma.validate.OneOf(BENEFICIARIES),
        metadata={
            "description": "worker：网格员得分；resident：服务对象（居民）得分，如代记居民服务"
        },
        **kwargs,
    )


def _sort_order(**kwargs):
    return ma.fields.Integer(strict=True, validate=ma.validate.Range(min=0, max=10_000), **kwargs)


def _month():
    return ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(MONTH, error="月份格式应为 YYYY-MM"),
        metadata={"description": "月份 YYYY-MM（北京时间），默认本月", "example": "2026-12"},
    )


# --- catalogue ------------------------------------------------------------------------------


class ServiceItemSchema(ma.Schema):
    id = IdField(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    rule = ma.fields.String(required=True, validate=ma.validate.OneOf(SERVICE_RULES))
    beneficiary = ma.fields.String(required=True, validate=ma.validate.OneOf(BENEFICIARIES))
    active = Boolean(required=True)
    sort_order = ma.fields.Integer(required=True)


class ServiceItemQuerySchema(PageArgsSchema):
    include_inactive = Boolean(
        load_default=False, metadata={"description": "管理员：包括已停用的项目"}
    )


class ServiceItemCreateSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9_-]{1,32}$"))
    name = _text(32, required=True)
    description = _text(200, min_len=0, load_default="")
    points = _points(required=True)
    rule = _rule(load_default="review")
    beneficiary = _beneficiary(load_default="worker")
    active = _JsonBoolean(load_default=True)
    sort_order = _sort_order(load_default=0)


class ServiceItemPatchSchema(StrictSchema):
    name = _text(32)
    description = _text(200, min_len=0)
    points = _points()
    rule = _rule()
    beneficiary = _beneficiary()
    active = _JsonBoolean()
    sort_order = _sort_order()


# --- residents ------------------------------------------------------------------------------


class ServiceLogResidentQuerySchema(PageArgsSchema):
    q = _text(32, required=True, metadata={"description": "姓名中的字"})
    grid_id = IdField(load_default=None, strict=False, metadata={"description": "负责多个网格时"})


class ServiceLogPersonSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True, metadata={"description": "脱敏姓名"})


# --- logs -----------------------------------------------------------------------------------


class ServiceLogCreateSchema(StrictSchema):
    item_id = IdField(required=True)
    grid_id = IdField(
        load_default=None, allow_none=True, metadata={"description": "负责多个网格时"}
    )
    resident_id = IdField(
        load_default=None, allow_none=True, metadata={"description": "服务对象（本网格居民）"}
    )
    duration_minutes = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=1440)
    )
    served_at = AwareDateTime(required=True, metadata={"description": "服务时间"})
    place = _text(100, required=True)
    notes = _text(500, min_len=0, load_default="")
    photo_ids = ma.fields.List(
        IdField(), load_default=list, validate=ma.validate.Length(max=MAX_PHOTOS)
    )


class ServiceLogRefSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class ServiceLogItemSchema(ServiceLogRefSchema):
    code = ma.fields.String(required=True)


class ServiceLogPhotoSchema(ma.Schema):
    id = IdField(required=True)
    url = ma.fields.String(required=True)


class ServiceLogSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    grid = ma.fields.Nested(ServiceLogRefSchema, required=True)
    worker = ma.fields.Nested(ServiceLogPersonSchema, required=True)
    item = ma.fields.Nested(ServiceLogItemSchema, required=True)
    resident = ma.fields.Nested(ServiceLogPersonSchema, required=True, allow_none=True)
    duration_minutes = ma.fields.Integer(required=True)
    notes = ma.fields.String(required=True)
    place = ma.fields.String(required=True)
    served_at = AwareDateTime(required=True)
    photos = ma.fields.List(ma.fields.Nested(ServiceLogPhotoSchema), required=True)
    rule = ma.fields.String(required=True, validate=ma.validate.OneOf(SERVICE_RULES))
    points = ma.fields.Integer(required=True)
    beneficiary = ma.fields.String(required=True, validate=ma.validate.OneOf(BENEFICIARIES))
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(SERVICE_LOG_STATUSES))
    decided_by = ma.fields.Nested(ServiceLogPersonSchema, required=True, allow_none=True)
    decided_at = AwareDateTime(required=True, allow_none=True)
    decision_reason = ma.fields.String(required=True, allow_none=True)
    ledger_entry_id = IdField(required=True, allow_none=True)
    created_at = AwareDateTime(required=True)


class ServiceLogQuerySchema(PageArgsSchema):
    scope = ma.fields.String(
        load_default="mine",
        validate=ma.validate.OneOf(("mine", "queue")),
        metadata={"description": "mine：我的服务记录；queue：审核队列（审核员、管理员）"},
    )
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(SERVICE_LOG_STATUSES),
        metadata={"description": "按状态筛选：pending 待审核、approved 已通过、rejected 已驳回"},
    )
    grid_id = IdField(load_default=None, strict=False, metadata={"description": "按网格筛选"})
    worker_id = IdField(load_default=None, strict=False, metadata={"description": "按网格员筛选"})
    item_id = IdField(load_default=None, strict=False, metadata={"description": "按服务项目筛选"})


class ServiceLogApproveSchema(StrictSchema):
    reason = _text(200, load_default=None, allow_none=True, metadata={"description": "审核意见"})


class ServiceLogRejectSchema(StrictSchema):
    reason = _text(200, required=True, metadata={"description": "驳回原因"})


# --- performance ----------------------------------------------------------------------------


class GridWorkerPerformanceMeQuerySchema(QueryArgsSchema):
    month = _month()


class GridWorkerPerformanceQuerySchema(PageArgsSchema):
    month = _month()
    grid_id = IdField(
        load_default=None, strict=False, metadata={"description": "只看该网格的网格员"}
    )
    worker_id = IdField(load_default=None, strict=False, metadata={"description": "只看这位网格员"})


class GridWorkerPerformanceKindSchema(ma.Schema):
    item_id = IdField(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    count = ma.fields.Integer(required=True)


class GridWorkerPerformanceSchema(ma.Schema):
    worker = ma.fields.Nested(ServiceLogPersonSchema, required=True)
    month = ma.fields.String(required=True)
    logs = ma.fields.Integer(required=True, metadata={"description": "已记分的服务次数"})
    pending_logs = ma.fields.Integer(required=True, metadata={"description": "待审核的次数"})
    minutes = ma.fields.Integer(required=True)
    hours = ma.fields.Float(required=True, metadata={"description": "服务时长（小时）"})
    points = ma.fields.Integer(required=True)
    residents_reached = ma.fields.Integer(required=True, metadata={"description": "服务居民数"})
    kinds = ma.fields.List(ma.fields.Nested(GridWorkerPerformanceKindSchema), required=True)
    reports_closed = ma.fields.Integer(
        required=True, metadata={"description": "当月居民确认办结的随手拍数"}
    )
    average_rating = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "这些随手拍的平均评分（1–5）"}
    )


ServiceItemPageSchema = page_schema(ServiceItemSchema, "ServiceItemPage")
ServiceLogPersonPageSchema = page_schema(ServiceLogPersonSchema, "ServiceLogResidentPage")
ServiceLogPageSchema = page_schema(ServiceLogSchema, "ServiceLogPage")
GridWorkerPerformancePageSchema = page_schema(
    GridWorkerPerformanceSchema, "GridWorkerPerformancePage"
)
