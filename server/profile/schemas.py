"""The profile as `GET /me`, `PATCH /me` and login answer it."""

import marshmallow as ma

from server.community.schemas import MembershipViewSchema, RoleGrantSchema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text
from server.platform.masking import DELETED_PREFIX
from server.tasks.schemas import VolunteerHoursSchema
from server.uploads.avatar import AVATAR_URL, AVATAR_URL_MAX


class PointsSummarySchema(ma.Schema):
    balance = ma.fields.Integer(required=True)
    held = ma.fields.Integer(required=True)
    available = ma.fields.Integer(required=True)


class ProfileSchema(ma.Schema):
    id = IdField(required=True)
    points = ma.fields.Nested(
        PointsSummarySchema, required=True, allow_none=True, metadata={"description": "本社区积分"}
    )
    volunteer_hours = ma.fields.Nested(VolunteerHoursSchema, required=True)
    nickname = ma.fields.String(required=True, allow_none=True)
    real_name = ma.fields.String(required=True, allow_none=True)
    avatar_url = ma.fields.String(required=True, allow_none=True)
    phone = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "脱敏手机号，如 138****5678"}
    )
    phone_bound = Boolean(required=True)
    membership = ma.fields.Nested(MembershipViewSchema, required=True, allow_none=True)
    roles = ma.fields.List(ma.fields.String(), required=True)
    role_grants = ma.fields.List(ma.fields.Nested(RoleGrantSchema), required=True)
    created_at = AwareDateTime(required=True)


class LoginResultSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds"})
    is_new = Boolean(required=True)
    user = ma.fields.Nested(ProfileSchema, required=True)


class ProfilePatchSchema(StrictSchema):
    nickname = text(32, metadata={"description": "昵称，最多 32 个字"})
    real_name = text(32, metadata={"description": "真实姓名，公开时脱敏为 张*明"})
    avatar_url = ma.fields.String(
        allow_none=True,
        validate=[
            ma.validate.Length(max=AVATAR_URL_MAX),
            ma.validate.Regexp(AVATAR_URL, error="头像必须是您上传的图片"),
        ],
        metadata={
            "description": "头像：自己上传的图片，即 POST /uploads 返回的 url"
            "（如 /api/v1/uploads/12）；null 清除头像"
        },
    )

    @ma.validates("nickname", "real_name")
    def _not_a_pseudonym(self, value, **kwargs):
        # Deleted accounts' names are shown unmasked; nobody may pass for one.
        if value.strip().startswith(DELETED_PREFIX):
            raise ma.ValidationError("该名称为系统保留，请换一个")
