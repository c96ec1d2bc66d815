from flask_smorest import Blueprint

from server.auth.current import current_user
from server.community import roles, service
from server.community.schemas import (
    CommunityPageSchema,
    CommunityQuerySchema,
    GrantCreateSchema,
    GrantQuerySchema,
    GridPageSchema,
    JoinSchema,
    MemberPageSchema,
    MemberQuerySchema,
    MembershipViewSchema,
    OrganisationCreateSchema,
    OrganisationPageSchema,
    OrganisationSchema,
    RoleGrantPageSchema,
    RoleGrantSchema,
)
from server.http.pagination import PageArgsSchema
from server.http.schemas import BEARER

blp = Blueprint("community", __name__, url_prefix="/api/v1", description="社区与网格")
admin_blp = Blueprint(
    "community_admin", __name__, url_prefix="/api/v1/admin", description="社区管理：角色与单位"
)


@blp.route("/communities", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(CommunityQuerySchema, location="query")
@blp.response(200, CommunityPageSchema)
def list_communities(args):
    """Communities a resident can join."""
    current_user()
    return service.list_communities(args["limit"], args["cursor"], args.get("q")).as_dict()


@blp.route("/communities/<int:community_id>/grids", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, GridPageSchema)
def list_grids(args, community_id):
    """The grids of a community."""
    current_user()
    return service.list_grids(community_id, args["limit"], args["cursor"]).as_dict()


@blp.route("/communities/<int:community_id>/join", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(JoinSchema)
@blp.response(200, MembershipViewSchema)
def join(body, community_id):
    """Join a community (and a grid of it), or move to another grid of the same community."""
    user = current_user()
    membership = service.join_community(user, community_id, body.get("grid_id"))
    return service.membership_view(membership)


@blp.route("/communities/<int:community_id>/organisations", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, OrganisationPageSchema)
def list_organisations(args, community_id):
    """The organisations (驻区单位) of the caller's community."""
    page = service.list_organisations(current_user(), community_id, args["limit"], args["cursor"])
    return page.as_dict()


@admin_blp.route("/communities/<int:community_id>/roles", methods=["GET"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(GrantQuerySchema, location="query")
@admin_blp.response(200, RoleGrantPageSchema)
def list_roles(args, community_id):
    """Role grants of a community (admins only)."""
    page = roles.list_grants(
        current_user(),
        community_id,
        args["limit"],
        args["cursor"],
        role=args.get("role"),
        user_id=args.get("user_id"),
    )
    page.items = [roles.grant_view(g) for g in page.items]
    return page.as_dict()


@admin_blp.route("/communities/<int:community_id>/roles", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(GrantCreateSchema)
@admin_blp.response(201, RoleGrantSchema)
def grant_role(body, community_id):
    """Grant a role to a member of the community (admins only; audited)."""
    user_id = body.pop("user_id")
    role = body.pop("role")
    grant = roles.grant_role(current_user(), community_id, user_id, role, **body)
    return roles.grant_view(grant)


@admin_blp.route("/communities/<int:community_id>/roles/<int:grant_id>", methods=["DELETE"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(204)
def revoke_role(community_id, grant_id):
    """Revoke a role grant (admins only; audited)."""
    roles.revoke_role(current_user(), community_id, grant_id)


@admin_blp.route("/communities/<int:community_id>/members", methods=["GET"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(MemberQuerySchema, location="query")
@admin_blp.response(200, MemberPageSchema)
def list_members(args, community_id):
    """Members of the community, searchable by name (admins only)."""
    page = service.list_members(
        current_user(), community_id, args["limit"], args["cursor"], q=args.get("q")
    )
    return page.as_dict()


@admin_blp.route("/communities/<int:community_id>/organisations", methods=["POST"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(OrganisationCreateSchema)
@admin_blp.response(201, OrganisationSchema)
def create_organisation(body, community_id):
    """Register an organisation (驻区单位) of the community (admins only; audited)."""
    return service.create_organisation(current_user(), community_id, body["name"], body["kind"])
