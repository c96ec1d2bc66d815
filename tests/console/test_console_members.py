"""成员与角色 in the console: admins search members, grant and revoke roles and create
invitations (the code and QR shown once) through the community services; reviewers are
refused; another community's grant is not found and stays."""

from sqlalchemy import select

from server.auth.models import User
from server.community import people
from server.community.invitations import Invitation
from server.community.models import RoleGrant
from tests.claims_helpers import make_other_community
from tests.console.cc_helpers import console_as, post, sheet_rows
from tests.ledger_helpers import user_id_of


def _grants(query, user_id: int) -> list[str]:
    return query(
        lambda s: sorted(s.scalars(select(RoleGrant.role).where(RoleGrant.user_id == user_id)))
    )


def test_display_names_at_the_service(app, seeded, ctx):
    admin_id = user_id_of("admin")
    assert set(people.display_names([admin_id, None, 10**9])) == {admin_id}
    assert people.display_names([]) == {}


def test_member_pages_are_for_admins(app, seeded, api, query):
    admin = console_as(app, api, "admin")
    for path in ("/console/members", "/console/roles", "/console/invitations"):
        assert admin.get(path).status_code == 200
        assert console_as(app, api, "reviewer").get(path).status_code == 403
    name = query(lambda s: s.get(User, user_id_of("resident-1")).display_name)
    found = admin.get("/console/members", query_string={"q": name}).get_data(as_text=True)
    assert name in found
    rows = sheet_rows(admin.get("/console/members/export", query_string={"q": name}))
    assert rows[0][:3] == ["用户编号", "姓名", "手机号"] and [r[1] for r in rows[1:]] == [name]
    assert admin.get("/console/members", query_string={"q": "x" * 33}).status_code == 400
    assert admin.get("/console/roles?role=boss").status_code == 400


def test_granting_and_revoking_a_role(app, seeded, api, query):
    admin = console_as(app, api, "admin")
    user_id = query(lambda s: user_id_of("resident-5"))
    body = {"user_id": user_id, "role": "reviewer"}
    assert post(admin, "/console/roles", body, csrf=False).status_code == 400
    assert _grants(query, user_id) == []
    granted = post(admin, "/console/roles", body)
    assert granted.status_code == 200 and "角色已授予" in granted.get_data(as_text=True)
    assert _grants(query, user_id) == ["reviewer"]
    misfit = post(admin, "/console/roles", {**body, "role": "grid_worker"})
    assert misfit.status_code == 422 and _grants(query, user_id) == ["reviewer"]
    grant_id = query(lambda s: s.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user_id)))
    revoked = post(admin, f"/console/roles/{grant_id}/revoke")
    assert revoked.status_code == 200 and "角色已撤销" in revoked.get_data(as_text=True)
    assert _grants(query, user_id) == []
    admin_grant = query(
        lambda s: s.scalar(
            select(RoleGrant.id).where(
                RoleGrant.user_id == user_id_of("admin"), RoleGrant.role == "admin"
            )
        )
    )
    own = post(admin, f"/console/roles/{admin_grant}/revoke")
    assert own.status_code == 409 and "不能撤销自己的管理员角色" in own.get_data(as_text=True)


def test_another_communitys_grant_is_not_found(app, seeded, api, query):
    make_other_community(app, identities=("outsider",), admin="outsider")
    foreign = query(
        lambda s: s.scalar(select(RoleGrant.id).where(RoleGrant.user_id == user_id_of("outsider")))
    )
    admin = console_as(app, api, "admin")
    assert post(admin, f"/console/roles/{foreign}/revoke").status_code == 404
    assert query(lambda s: s.get(RoleGrant, foreign)) is not None


def test_an_invitation_shows_its_code_once(app, seeded, api, query):
    admin = console_as(app, api, "admin")
    body = {"role": "reviewer", "note": "王老师", "expires_in_hours": "48"}
    assert post(admin, "/console/invitations", body, csrf=False).status_code == 400
    assert query(lambda s: s.scalar(select(Invitation.id))) is None
    created = post(admin, "/console/invitations", body)
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "邀请已创建" in html
    code = html.split('data-code="', 1)[1].split('"', 1)[0]
    assert 'alt="邀请小程序码"' in html
    invitation = query(lambda s: s.scalar(select(Invitation)))
    assert (invitation.role, invitation.note) == ("reviewer", "王老师")
    assert code.replace("-", "").endswith(invitation.code_hint)
    listed = admin.get("/console/invitations?status=pending").get_data(as_text=True)
    assert "王老师" in listed and code not in listed
    too_long = post(admin, "/console/invitations", {**body, "expires_in_hours": "9999"})
    assert too_long.status_code == 422
    assert query(lambda s: len(s.scalars(select(Invitation.id)).all())) == 1
