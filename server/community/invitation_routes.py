"""Invitations over HTTP: admins invite to a role; the invited person accepts with the code."""

import base64

from flask_smorest import Blueprint

from server.auth.current import current_user
from server.community import invitations
from server.community.invitation_schemas import (
    AcceptedInvitationSchema,
    InvitationAcceptSchema,
    InvitationCreateSchema,
    InvitationPageSchema,
    InvitationQuerySchema,
    IssuedInvitationSchema,
)
from server.community.roles import grant_view
from server.http.schemas import BEARER

blp = Blueprint("invitations", __name__, url_prefix="/api/v1", description="邀请：接受邀请")
admin_blp = Blueprint(
    "invitations_admin", __name__, url_prefix="/api/v1/admin", description="社区管理：邀请"
)


@admin_blp.route("/communities/<int:community_id>/invitations", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(InvitationCreateSchema)
@admin_blp.response(201, IssuedInvitationSchema)
def create_invitation(body, community_id):
    """Invite someone to a role of the community (admins only; audited). The code is shown
    only in this answer."""
    role = body.pop("role")
    issued = invitations.create_invitation(
        current_user(), community_id, role, ttl_hours=body.pop("expires_in_hours"), **body
    )
    return {
        "invitation": invitations.invitation_view(issued.invitation),
        "code": issued.code,
        "scene": issued.scene,
        "qr_png_base64": base64.b64encode(issued.qr_png).decode() if issued.qr_png else None,
        "qr_error": issued.qr_error,
    }


@admin_blp.route("/communities/<int:community_id>/invitations", methods=["GET"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(InvitationQuerySchema, location="query")
@admin_blp.response(200, InvitationPageSchema)
def list_invitations(args, community_id):
    """The community's invitations, newest first (admins only)."""
    page = invitations.list_invitations(
        current_user(), community_id, args["limit"], args["cursor"], status=args.get("status")
    )
    return page.as_dict()


@admin_blp.route(
    "/communities/<int:community_id>/invitations/<int:invitation_id>", methods=["DELETE"]
)
@admin_blp.doc(security=BEARER)
@admin_blp.response(204)
def revoke_invitation(community_id, invitation_id):
    """Withdraw an invitation nobody has accepted (admins only; audited)."""
    invitations.revoke_invitation(current_user(), community_id, invitation_id)


@blp.route("/invitations/accept", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(InvitationAcceptSchema)
@blp.response(200, AcceptedInvitationSchema)
def accept_invitation(body):
    """Accept an invitation: join its community and receive its role (once per code)."""
    invitation, grant = invitations.accept_invitation(current_user(), body["code"])
    return {
        "invitation": invitations.invitation_view(invitation),
        "role_grant": grant_view(grant),
    }
