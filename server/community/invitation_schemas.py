"""Request and response bodies of the invitation routes."""

import marshmallow as ma

from server.community.invitations import DEFAULT_TTL_HOURS, MAX_TTL_HOURS, STATUSES
from server.community.models import GRANTABLE_ROLES, PARTY_KINDS
from server.community.schemas import RoleGrantSchema
from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import AwareDateTime, Boolean, IdField, StrictSchema, text


class InvitationCreateSchema(StrictSchema):
    role = ma.fields.String(required=True, validate=ma.validate.OneOf(GRANTABLE_ROLES))
    grid_id = IdField(load_default=None)
    merchant_id = IdField(load_default=None)
    organisation_id = IdField(load_default=None)
    party_kind = ma.fields.String(load_default=None, validate=ma.validate.OneOf(PARTY_KINDS))
    note = text(64, min_len=0, load_default="", metadata={"description": "备注，如被邀请人姓名"})
    expires_in_hours = ma.fields.Integer(
        load_default=DEFAULT_TTL_HOURS,
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_TTL_HOURS),
    )
    with_qr = Boolean(
        load_default=False, metadata={"description": "同时生成小程序码（PNG，base64）"}
    )


class InvitationSchema(ma.Schema):
    id = IdField(required=True)
    community_id = IdField(required=True)
    role = ma.fields.String(required=True)
    grid_id = IdField(required=True, allow_none=True)
    merchant_id = IdField(required=True, allow_none=True)
    organisation_id = IdField(required=True, allow_none=True)
    party_kind = ma.fields.String(required=True, allow_none=True)
    note = ma.fields.String(required=True)
    code_hint = ma.fields.String(
        required=True, metadata={"description": "邀请码末四位，用于区分邀请"}
    )
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(STATUSES))
    created_by = IdField(required=True, allow_none=True)
    created_at = AwareDateTime(required=True)
    expires_at = AwareDateTime(required=True)
    accepted_by = IdField(required=True, allow_none=True)
    accepted_at = AwareDateTime(required=True, allow_none=True)
    revoked_at = AwareDateTime(required=True, allow_none=True)


class IssuedInvitationSchema(ma.Schema):
    invitation = ma.fields.Nested(InvitationSchema, required=True)
    code = ma.fields.String(
        required=True, metadata={"description": "一次性邀请码，只在创建时返回这一次"}
    )
    scene = ma.fields.String(
        required=True, metadata={"description": "小程序码的 scene（inv=邀请码），启动参数中读取"}
    )
    qr_png_base64 = ma.fields.String(required=True, allow_none=True)
    qr_error = ma.fields.String(required=True, allow_none=True)


class InvitationQuerySchema(PageArgsSchema):
    status = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(STATUSES),
        metadata={"description": "只看该状态的邀请"},
    )


class InvitationAcceptSchema(StrictSchema):
    code = text(40, required=True, metadata={"description": "邀请码（可含短横线）或 scene"})


class AcceptedInvitationSchema(ma.Schema):
    invitation = ma.fields.Nested(InvitationSchema, required=True)
    role_grant = ma.fields.Nested(RoleGrantSchema, required=True)


InvitationPageSchema = page_schema(InvitationSchema, "InvitationPage")
