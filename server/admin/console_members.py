"""成员与角色 in the console (admins): members searched by name, role grants with grant and
revoke, and invitations (the code and QR are shown once, when created). The same community
services as the API's admin routes; they authorise and audit."""

import base64

from flask import g, render_template, request

from server.admin import console_form_input as form
from server.admin.console import bp, console_page, page_args, xlsx_response
from server.admin.console_display import shanghai_time
from server.admin.console_exports import each_item, export_kind, respond
from server.community import invitations, roles
from server.community import service as community
from server.community.invitation_schemas import InvitationCreateSchema
from server.community.invitations import MAX_TTL_HOURS
from server.community.models import GRANTABLE_ROLES, PARTY_KINDS
from server.community.people import display_names
from server.community.schemas import GrantCreateSchema
from server.http.errors import BadRequest
from server.http.pagination import MAX_LIMIT

EXPORT_ROWS = 5000
ROLE_LABELS = {
    "party_member": "党员",
    "grid_worker": "网格员",
    "merchant_staff": "商家店员",
    "org_staff": "单位联络人",
    "reviewer": "审核员",
    "admin": "社区管理员",
}
INVITATION_STATUSES = {
    "pending": "待接受",
    "accepted": "已接受",
    "revoked": "已撤回",
    "expired": "已过期",
}


def _search() -> str | None:
    q = (request.args.get("q") or "").strip() or None
    if q and len(q) > 32:
        raise BadRequest("搜索词最多 32 个字", code="invalid_query")
    return q


def _grids() -> dict[int, str]:
    return {
        grid.id: grid.name
        for grid in community.list_grids(g.console.community_id, MAX_LIMIT, None).items
    }


@bp.get("/members")
@console_page(roles=("admin",))
def members_page():
    limit, cursor = page_args()
    page = community.list_members(
        g.console.user, g.console.community_id, limit, cursor, q=_search()
    )
    return render_template(
        "console/members/members.html", page=page, grids=_grids(), args=request.args
    )


@export_kind("members", "成员", ("用户编号", "姓名", "手机号", "网格", "加入时间"), ("admin",))
def _member_rows():
    q, grids = _search(), _grids()
    fetch = lambda limit, cursor: community.list_members(  # noqa: E731
        g.console.user, g.console.community_id, limit, cursor, q=q
    )
    for m in each_item(fetch):
        yield (m["user_id"], m["name"], m["phone"] or "", grids.get(m["grid_id"], ""),
               m["joined_at"])  # fmt: skip


@bp.get("/members/export")
@console_page(roles=("admin",))
def members_export():
    return respond(_member_rows)


def _role_filter() -> str | None:
    role = request.args.get("role") or None
    if role is not None and role not in GRANTABLE_ROLES:
        raise BadRequest("角色无效", code="invalid_role")
    return role


def _grant_rows(items) -> list[dict]:
    names = display_names(grant.user_id for grant in items)
    return [{**roles.grant_view(grant), "name": names.get(grant.user_id, "—")} for grant in items]


def _roles_page(outcome=None):
    limit, cursor = page_args()
    page = roles.list_grants(
        g.console.user, g.console.community_id, limit, cursor, role=_role_filter()
    )
    body = render_template(
        "console/members/roles.html",
        page=page,
        rows=_grant_rows(page.items),
        grids=_grids(),
        role_labels=ROLE_LABELS,
        party_kinds=PARTY_KINDS,
        args=request.args,
        outcome=outcome,
    )
    return body, outcome.status if outcome else 200


@bp.get("/roles")
@console_page(roles=("admin",))
def roles_page():
    return _roles_page()


@bp.get("/roles/export")
@console_page(roles=("admin",))
def roles_export():
    page = roles.list_grants(
        g.console.user, g.console.community_id, EXPORT_ROWS, None, role=_role_filter()
    )
    grids = _grids()
    rows = [
        (r["user_id"], r["name"], ROLE_LABELS[r["role"]], grids.get(r["grid_id"], ""),
         r["party_kind"] or "", shanghai_time(r["created_at"]))
        for r in _grant_rows(page.items)
    ]  # fmt: skip
    return xlsx_response(
        rows, ["用户编号", "姓名", "角色", "网格", "党员类别", "授权时间"], "角色授权.xlsx"
    )


def _scope() -> dict:
    """The role's scope fields as the API takes them (the service checks they fit the role)."""
    return {
        "grid_id": form.number("grid_id", "网格", required=False),
        "merchant_id": form.number("merchant_id", "商家编号", required=False),
        "organisation_id": form.number("organisation_id", "单位编号", required=False),
        "party_kind": form.choice("party_kind", "党员类别", PARTY_KINDS, required=False),
    }


@bp.post("/roles")
@console_page(roles=("admin",))
def roles_grant():
    def grant():
        data = {
            "user_id": form.number("user_id", "用户编号"),
            "role": form.choice("role", "角色", GRANTABLE_ROLES),
            **_scope(),
        }
        body = form.validated(GrantCreateSchema(), data)
        user_id, role = body.pop("user_id"), body.pop("role")
        return roles.grant_role(g.console.user, g.console.community_id, user_id, role, **body)

    return _roles_page(form.act(grant, "角色已授予"))


@bp.post("/roles/<int:grant_id>/revoke")
@console_page(roles=("admin",))
def roles_revoke(grant_id):
    outcome = form.act(
        lambda: roles.revoke_role(g.console.user, g.console.community_id, grant_id), "角色已撤销"
    )
    return _roles_page(outcome)


def _invitations_page(outcome=None, issued=None):
    status = request.args.get("status") or None
    if status is not None and status not in INVITATION_STATUSES:
        raise BadRequest("邀请状态无效", code="invalid_status")
    limit, cursor = page_args()
    page = invitations.list_invitations(
        g.console.user, g.console.community_id, limit, cursor, status=status
    )
    body = render_template(
        "console/members/invitations.html",
        page=page,
        issued=issued,
        grids=_grids(),
        role_labels=ROLE_LABELS,
        party_kinds=PARTY_KINDS,
        statuses=INVITATION_STATUSES,
        max_hours=MAX_TTL_HOURS,
        args=request.args,
        outcome=outcome,
    )
    return body, outcome.status if outcome else 200


@bp.get("/invitations")
@console_page(roles=("admin",))
def invitations_page():
    return _invitations_page()


@bp.post("/invitations")
@console_page(roles=("admin",))
def invitations_create():
    def create():
        data = {
            "role": form.choice("role", "角色", GRANTABLE_ROLES),
            **_scope(),
            "note": form.text("note", "备注", 64, required=False),
            "expires_in_hours": form.number("expires_in_hours", "有效小时数", hi=MAX_TTL_HOURS),
            "with_qr": True,
        }
        body = form.validated(InvitationCreateSchema(), data)
        role, hours = body.pop("role"), body.pop("expires_in_hours")
        return invitations.create_invitation(
            g.console.user, g.console.community_id, role, ttl_hours=hours, **body
        )

    outcome = form.act(create, "邀请已创建，请把邀请码或小程序码发给对方")
    issued = outcome.value
    shown = None
    if issued is not None:
        qr = base64.b64encode(issued.qr_png).decode() if issued.qr_png else None
        shown = {"code": issued.code, "qr": qr, "qr_error": issued.qr_error}
    return _invitations_page(outcome, shown)
