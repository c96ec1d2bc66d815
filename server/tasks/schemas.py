import marshmallow as ma

from server.community.models import PARTY_KINDS
from server.db.types import MAX_ID
from server.http.pagination import PageArgsSchema, QueryArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text
from server.tasks.models import (
    AUDIENCES,
    ORGANISER_ROLE_CHOICES,
    REWARD_KINDS,
    SIGNUP_STATUSES,
    TASK_STATUSES,
)

Int = ma.fields.Integer


def Id(**kw) -> IdField:
    """An id field bounded to the 32-bit id columns."""
    return IdField(validate=ma.validate.Range(min=1, max=MAX_ID), **kw)


When = AwareDateTime


def _int(lo: int, hi: int, **kw) -> ma.fields.Integer:
    return Int(strict=True, validate=ma.validate.Range(min=lo, max=hi), **kw)


class TaskPatchSchema(StrictSchema):
    """Every field optional: only what is given changes (before the task starts)."""

    title = text(64)
    description = text(2000, min_len=0)
    reward_kind = ma.fields.String(
        validate=ma.validate.OneOf(REWARD_KINDS),
        metadata={"description": "item: 按积分项目固定计分；hours: 志愿时间银行按小时计分"},
    )
    point_item_id = Id(allow_none=True)
    points_per_hour = _int(1, 1000, allow_none=True)
    points_cap = _int(1, 10000, allow_none=True, metadata={"description": "每人封顶积分"})
    starts_at = When()
    ends_at = When()
    signup_deadline = When(metadata={"description": "默认为开始时间"})
    cancel_deadline = When(metadata={"description": "默认为报名截止时间"})
    place_name = text(64, allow_none=True)
    latitude = ma.fields.Float(validate=ma.validate.Range(min=-90, max=90), allow_none=True)
    longitude = ma.fields.Float(validate=ma.validate.Range(min=-180, max=180), allow_none=True)
    radius_m = _int(10, 5000, allow_none=True, metadata={"description": "签到范围（米）"})
    capacity = _int(1, 10000)
    audience = ma.fields.String(validate=ma.validate.OneOf(AUDIENCES))
    audience_grid_id = Id(allow_none=True)
    audience_party_kind = ma.fields.String(validate=ma.validate.OneOf(PARTY_KINDS), allow_none=True)
    cover_upload_id = Id(allow_none=True)
    cover_url = ma.fields.URL(
        schemes={"https"}, validate=ma.validate.Length(max=512), allow_none=True
    )


class TaskCreateSchema(TaskPatchSchema):
    title = text(64, required=True)
    reward_kind = ma.fields.String(required=True, validate=ma.validate.OneOf(REWARD_KINDS))
    starts_at = When(required=True)
    ends_at = When(required=True)
    capacity = _int(1, 10000, required=True)
    audience = ma.fields.String(load_default="everyone", validate=ma.validate.OneOf(AUDIENCES))


class TaskCancelSchema(StrictSchema):
    reason = text(200, required=True, metadata={"description": "取消原因，将通知已报名居民"})


class TaskLocationSchema(StrictSchema):
    latitude = ma.fields.Float(required=True, validate=ma.validate.Range(min=-90, max=90))
    longitude = ma.fields.Float(required=True, validate=ma.validate.Range(min=-180, max=180))
    accuracy = ma.fields.Float(validate=ma.validate.Range(min=0, max=100000))


class TaskCheckinSchema(StrictSchema):
    token = text(1024, required=True, metadata={"description": "扫描组织者签到二维码得到的签到码"})
    location = ma.fields.Nested(TaskLocationSchema, load_default=None, allow_none=True)


class TaskAttendanceMarkSchema(StrictSchema):
    user_id = Id(required=True)
    checkin_at = When(load_default=None, allow_none=True)
    checkout_at = When(load_default=None, allow_none=True)


class TaskQuerySchema(PageArgsSchema):
    when = ma.fields.String(
        load_default="upcoming",
        validate=ma.validate.OneOf(("upcoming", "past", "all")),
        metadata={"description": "upcoming：未结束的；past：已结束的；all：全部"},
    )
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(TASK_STATUSES),
        metadata={"description": "只看该状态的任务"},
    )
    audience = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(AUDIENCES),
        metadata={"description": "只看面向该人群的任务"},
    )
    q = text(32, load_default=None, metadata={"description": "按标题搜索，最多 32 个字"})
    organised_by_me = Boolean(
        load_default=False, metadata={"description": "只看我组织的任务；true 或 false"}
    )


class TaskSignupQuerySchema(PageArgsSchema):
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(SIGNUP_STATUSES),
        metadata={"description": "只看该状态的报名"},
    )


class VolunteerRecordQuerySchema(QueryArgsSchema):
    year = Int(
        load_default=None,
        validate=ma.validate.Range(min=2000, max=2100),
        metadata={"description": "年份 YYYY（2000-2100）；默认今年", "example": 2026},
    )


class TaskSettingsSchema(StrictSchema):
    organiser_roles = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(ORGANISER_ROLE_CHOICES)),
        required=True,
        validate=ma.validate.Length(min=1, max=len(ORGANISER_ROLE_CHOICES)),
    )


class TaskSettingsViewSchema(ma.Schema):
    community_id = IdField(required=True)
    organiser_roles = ma.fields.List(ma.fields.String(), required=True)


# ---- responses -------------------------------------------------------------------------


class TaskOrganiserSchema(ma.Schema):
    id = IdField(required=True)
    name = ma.fields.String(required=True)


class TaskRewardSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    point_item_id = IdField(required=True, allow_none=True)
    point_item_name = ma.fields.String(required=True, allow_none=True)
    points = Int(required=True, allow_none=True, metadata={"description": "按项目计分时每人积分"})
    points_per_hour = Int(required=True, allow_none=True)
    points_cap = Int(required=True, allow_none=True)


class TaskPlaceSchema(ma.Schema):
    name = ma.fields.String(required=True, allow_none=True)
    latitude = ma.fields.Float(required=True, allow_none=True)
    longitude = ma.fields.Float(required=True, allow_none=True)
    radius_m = Int(required=True, allow_none=True)


class TaskSignupSchema(ma.Schema):
    id = IdField(required=True)
    task_id = IdField(required=True)
    status = ma.fields.String(required=True, metadata={"description": "confirmed / waitlisted …"})
    waitlist_position = Int(required=True, allow_none=True)
    outcome = ma.fields.String(required=True, allow_none=True)
    signed_up_at = When(required=True)
    promoted_at = When(required=True, allow_none=True)
    cancelled_at = When(required=True, allow_none=True)


class TaskAttendanceSchema(ma.Schema):
    method = ma.fields.String(required=True)
    checkin_at = When(required=True)
    checkout_at = When(required=True, allow_none=True)
    minutes = Int(required=True, allow_none=True)
    points = Int(required=True, allow_none=True)
    credited = Boolean(required=True)


class TaskSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    organiser = ma.fields.Nested(TaskOrganiserSchema, required=True)
    reward = ma.fields.Nested(TaskRewardSchema, required=True)
    starts_at = When(required=True)
    ends_at = When(required=True)
    signup_deadline = When(required=True)
    cancel_deadline = When(required=True)
    checkin_opens_at = When(required=True, metadata={"description": "签到开放（开始前 30 分钟）"})
    checkin_closes_at = When(required=True, metadata={"description": "签到截止（任务结束）"})
    checkout_closes_at = When(required=True, metadata={"description": "签退截止；签到码显示至此"})
    completion_opens_at = When(required=True, metadata={"description": "可完成任务发放积分的时间"})
    edits_close_at = When(
        required=True, metadata={"description": "此后只能修改标题、说明和地点名称（开始时间）"}
    )
    place = ma.fields.Nested(TaskPlaceSchema, required=True, allow_none=True)
    capacity = Int(required=True)
    confirmed_count = Int(required=True)
    waitlisted_count = Int(required=True)
    seats_left = Int(required=True)
    audience = ma.fields.String(required=True)
    audience_grid_id = IdField(required=True, allow_none=True)
    audience_party_kind = ma.fields.String(required=True, allow_none=True)
    cover_upload_id = IdField(required=True, allow_none=True)
    cover_url = ma.fields.String(required=True, allow_none=True)
    status = ma.fields.String(required=True)
    cancel_reason = ma.fields.String(required=True, allow_none=True)
    eligible = Boolean(required=True, metadata={"description": "我是否符合报名对象"})
    can_manage = Boolean(required=True)
    my_signup = ma.fields.Nested(TaskSignupSchema, required=True, allow_none=True)
    my_attendance = ma.fields.Nested(TaskAttendanceSchema, required=True, allow_none=True)


class MyTaskSignupSchema(TaskSignupSchema):
    task = ma.fields.Nested(TaskSchema, required=True)
    attendance = ma.fields.Nested(TaskAttendanceSchema, required=True, allow_none=True)


class TaskAttendeeSchema(TaskSignupSchema):
    user_id = IdField(required=True)
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True, allow_none=True)
    attendance = ma.fields.Nested(TaskAttendanceSchema, required=True, allow_none=True)


class TaskSignupCancelSchema(ma.Schema):
    task_id = IdField(required=True)
    status = ma.fields.String(required=True)
    was = ma.fields.String(required=True)
    promoted_user_ids = ma.fields.List(IdField(), required=True)


class TaskCheckinCodeSchema(ma.Schema):
    task_id = IdField(required=True)
    token = ma.fields.String(required=True, metadata={"description": "显示为二维码，约 30 秒有效"})
    expires_at = When(required=True)
    ttl_seconds = Int(required=True)


class TaskAttendanceResultSchema(TaskAttendanceSchema):
    task_id = IdField(required=True)
    user_id = IdField(required=True)


class TaskCompletionSchema(ma.Schema):
    task_id = IdField(required=True)
    status = ma.fields.String(required=True)
    attendees = Int(required=True)
    credited = Int(required=True)
    no_shows = Int(required=True)
    points_total = Int(required=True)
    newly_credited = Int(required=True, metadata={"description": "本次新计分人数"})
    points_credited = Int(required=True, metadata={"description": "本次新发放积分"})
    awaiting_second_person = Int(
        required=True,
        metadata={"description": "完成者本人被手工登记的出勤：须由其他组织者或管理员完成时计分"},
    )


class TaskRightsSchema(ma.Schema):
    can_publish = Boolean(required=True, metadata={"description": "我能否在本社区发布志愿任务"})


class VolunteerHoursSchema(ma.Schema):
    this_year = ma.fields.Float(required=True, metadata={"description": "本年度志愿时长（小时）"})
    lifetime = ma.fields.Float(required=True, metadata={"description": "累计志愿时长（小时）"})


TaskPageSchema = page_schema(TaskSchema, "TaskPage")
MyTaskSignupPageSchema = page_schema(MyTaskSignupSchema, "MyTaskSignupPage")
TaskAttendeePageSchema = page_schema(TaskAttendeeSchema, "TaskAttendeePage")
