"""HTTP for the community's audit log (invariant 7 made visible): who did what, before and
after, when — admins and reviewers of the community, filtered and paginated."""

import marshmallow as ma
from flask_smorest import Blueprint

from server.admin.audit_entries import FIELD_MAX, list_audit_entries
from server.auth.current import current_user
from server.http.pagination import PageArgsSchema, page_schema
from server.http.schemas import BEARER, AwareDateTime, Date, IdField

blp = Blueprint(
    "audit_entries", __name__, url_prefix="/api/v1/admin", description="操作日志（审计记录）"
)


class AuditQuerySchema(PageArgsSchema):
    action = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=FIELD_MAX),
        metadata={"description": "操作名前缀，如 claim. 或 point_item"},
    )
    actor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=FIELD_MAX),
        metadata={"description": "操作人姓名的一部分"},
    )
    target_type = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=FIELD_MAX),
        metadata={"description": "对象类型"},
    )
    date_from = Date(
        load_default=None, data_key="from", metadata={"description": "起始日期（北京时间）"}
    )
    date_to = Date(load_default=None, data_key="to", metadata={"description": "结束日期（含）"})


class AuditEntrySchema(ma.Schema):
    id = IdField(required=True)
    at = AwareDateTime(required=True)
    actor_id = IdField(required=True, allow_none=True, metadata={"description": "空：系统"})
    actor = ma.fields.String(required=True, metadata={"description": "操作人（系统操作为“系统”）"})
    action = ma.fields.String(required=True)
    target_type = ma.fields.String(required=True)
    target_id = ma.fields.String(required=True, allow_none=True)
    before = ma.fields.Dict(required=True, allow_none=True, metadata={"description": "修改前"})
    after = ma.fields.Dict(required=True, allow_none=True, metadata={"description": "修改后"})


AuditEntryPageSchema = page_schema(AuditEntrySchema, "AuditEntryPage")


@blp.route("/communities/<int:community_id>/audit-entries", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, AuditEntryPageSchema)
def list_entries(args, community_id):
    """The community's audit entries, newest first (admins and reviewers)."""
    return list_audit_entries(
        current_user(),
        community_id,
        action=args["action"],
        actor=args["actor"],
        target_type=args["target_type"],
        day_from=args["date_from"],
        day_to=args["date_to"],
        limit=args["limit"],
        cursor=args["cursor"],
    ).as_dict()
