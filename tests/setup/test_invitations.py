"""Invitations: issued by the operator's CLI or an admin, accepted once by whoever logs in."""

import base64
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select, update

from server.auth.models import User
from server.community import invitations
from server.community.models import Community, Grid, Invitation, Membership, RoleGrant
from server.db.audit import AuditLog
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import AppError
from server.outbox.models import OutboxEvent
from tests.conftest import error_code
from tests.factories import add_other_community
from tests.setup.helpers import TEMPLATE, run_cli

CODE_LINE = re.compile(r"code:\s+([0-9A-Z-]{19})")


@pytest.fixture
def community(app, query):
    """The shipped workbook's community (hongqi), imported on an empty database."""
    assert run_cli(app, "import", TEMPLATE).exit_code == 0
    return query(lambda s: s.scalar(select(Community.id).where(Community.code == "hongqi")))


def invite_admin_by_cli(app, tmp_path, *extra) -> str:
    result = run_cli(
        app, "invite-admin", "--community", "hongqi", "--qr-out", tmp_path / "qr.png", *extra
    )
    assert result.exit_code == 0, result.output
    return CODE_LINE.search(result.output).group(1)


def accept(api, identity, code):
    return api.post("/api/v1/invitations/accept", identity, json={"code": code})


def roles_of(api, identity):
    return api.get("/api/v1/me", identity).get_json()["roles"]


def test_cli_prints_a_code_and_saves_the_emulators_mini_program_code(app, community, tmp_path):
    result = run_cli(
        app, "invite-admin", "--community", "hongqi", "--qr-out", tmp_path / "admin.png"
    )
    assert result.exit_code == 0, result.output
    code = CODE_LINE.search(result.output).group(1)
    assert "expires:" in result.output and "Asia/Shanghai" in result.output
    image = Image.open(tmp_path / "admin.png")
    assert image.format == "PNG"
    assert image.text["scene"] == "inv=" + code.replace("-", "")
    assert len(image.text["scene"]) <= 32
    with app.app_context():
        stored = db.session.scalar(select(Invitation))
        assert code.replace("-", "") not in (stored.code_hash, stored.code_hint)
        assert (stored.role, stored.created_by, stored.code_hint) == ("admin", None, code[-4:])


def test_when_wechat_cannot_draw_the_code_the_invitation_still_works(
    app, api, community, tmp_path, emulator
):
    emulator.fault("getwxacodeunlimit", errcode=-1, times=1)
    result = run_cli(app, "invite-admin", "--community", "hongqi", "--qr-out", tmp_path / "q.png")
    assert result.exit_code == 0
    assert "QR code: not drawn (微信服务暂时不可用，请稍后重试)" in result.output
    assert not (tmp_path / "q.png").exists()
    code = CODE_LINE.search(result.output).group(1)
    assert accept(api, "chief", code).status_code == 200


def test_the_first_person_to_accept_becomes_admin_and_the_code_then_refuses(
    app, api, query, community, tmp_path
):
    code = invite_admin_by_cli(app, tmp_path)
    resp = accept(api, "chief", code.lower())  # typed by hand: case and dashes do not matter
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["invitation"]["status"] == "accepted"
    assert body["role_grant"]["role"] == "admin"
    me = api.get("/api/v1/me", "chief").get_json()
    assert me["membership"]["community"]["name"] == "红旗社区"
    assert set(me["roles"]) == {"admin", "resident"}

    again = accept(api, "chief", code)
    assert again.status_code == 409 and error_code(again) == "invitation_used"
    other = accept(api, "someone-else", "inv=" + code.replace("-", ""))
    assert other.status_code == 409 and error_code(other) == "invitation_used"
    assert roles_of(api, "someone-else") == []

    chief = body["invitation"]["accepted_by"]
    audit = query(
        lambda s: s.execute(select(AuditLog.action, AuditLog.actor_id).order_by(AuditLog.id)).all()
    )
    audit = [tuple(a) for a in audit if a[0].startswith(("invitation", "role"))]
    assert audit == [
        ("invitation.create", None),
        ("role.grant", None),
        ("invitation.accept", chief),
    ]
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert [e for e in events if e.startswith(("member", "role"))] == [
        "member.joined",
        "role.granted",
    ]


def test_expired_revoked_and_unknown_codes_are_refused_and_change_nothing(
    app, api, query, community, tmp_path
):
    code = invite_admin_by_cli(app, tmp_path)
    with app.app_context():
        db.session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    expired = accept(api, "chief", code)
    assert expired.status_code == 410 and error_code(expired) == "invitation_expired"
    assert expired.get_json()["error"]["message"] == "邀请已过期，请联系社区管理员重新邀请"

    for bad in ("ABCD-EFGH-JKMN-PQRS", "not a code", "x" * 40):
        resp = accept(api, "chief", bad)
        assert resp.status_code == 404 and error_code(resp) == "invitation_not_found", bad
    too_long = accept(api, "chief", "x" * 41)
    assert too_long.status_code == 422
    assert query(lambda s: s.scalars(select(Membership)).all()) == []
    assert query(lambda s: s.scalars(select(RoleGrant)).all()) == []


def test_someone_of_another_community_cannot_accept_and_the_code_stays_usable(
    app, api, query, community, tmp_path
):
    with app.app_context():
        other, _ = add_other_community()
        db.session.commit()
        other_id = other.id
    assert api.post(f"/api/v1/communities/{other_id}/join", "moved", json={}).status_code == 200
    code = invite_admin_by_cli(app, tmp_path)
    resp = accept(api, "moved", code)
    assert resp.status_code == 409 and error_code(resp) == "already_in_other_community"
    assert query(lambda s: s.scalar(select(Invitation.accepted_at))) is None
    assert accept(api, "chief", code).status_code == 200


def _make_admin(app, api, tmp_path) -> None:
    assert accept(api, "chief", invite_admin_by_cli(app, tmp_path)).status_code == 200


def test_an_admin_invites_a_grid_worker_lists_and_revokes(app, api, query, community, tmp_path):
    _make_admin(app, api, tmp_path)
    url = f"/api/v1/admin/communities/{community}/invitations"
    grid = query(lambda s: s.scalar(select(Grid.id).where(Grid.code == "g2")))
    resp = api.post(url, "chief", json={"role": "grid_worker", "grid_id": grid, "note": "王网格员"})
    assert resp.status_code == 201, resp.get_json()
    issued = resp.get_json()
    assert issued["scene"] == "inv=" + issued["code"].replace("-", "")
    assert issued["qr_png_base64"] is None and issued["qr_error"] is None
    assert issued["invitation"]["status"] == "pending"
    assert issued["invitation"]["code_hint"] == issued["code"][-4:]
    second = api.post(url, "chief", json={"role": "reviewer", "with_qr": True}).get_json()
    png = base64.b64decode(second["qr_png_base64"])
    assert Image.open(io.BytesIO(png)).text["scene"] == second["scene"]

    listing = api.get(url + "?limit=1", "chief").get_json()
    assert [i["id"] for i in listing["items"]] == [second["invitation"]["id"]]
    rest = api.get(url + f"?limit=5&cursor={listing['next_cursor']}", "chief").get_json()
    assert [i["role"] for i in rest["items"]] == ["grid_worker", "admin"]
    assert "code" not in rest["items"][0]
    pending = api.get(url + "?status=pending", "chief").get_json()["items"]
    assert [i["role"] for i in pending] == ["reviewer", "grid_worker"]

    resp = accept(api, "gridman", issued["code"])
    assert resp.status_code == 200
    assert resp.get_json()["role_grant"]["grid_id"] == grid
    revoke = api.delete(f"{url}/{second['invitation']['id']}", "chief")
    assert revoke.status_code == 204
    assert error_code(api.delete(f"{url}/{second['invitation']['id']}", "chief")) == (
        "invitation_already_revoked"
    )
    used = api.delete(f"{url}/{issued['invitation']['id']}", "chief")
    assert used.status_code == 409 and error_code(used) == "invitation_used"
    gone = accept(api, "late", second["code"])
    assert gone.status_code == 410 and error_code(gone) == "invitation_revoked"
    statuses = api.get(url + "?status=revoked", "chief").get_json()["items"]
    assert [i["role"] for i in statuses] == ["reviewer"]
    actions = query(lambda s: s.scalars(select(AuditLog.action)).all())
    assert actions.count("invitation.create") == 3 and "invitation.revoke" in actions


def test_only_an_admin_of_the_community_invites_and_only_to_its_own_scopes(
    app, api, query, community, tmp_path
):
    _make_admin(app, api, tmp_path)
    url = f"/api/v1/admin/communities/{community}/invitations"
    reviewer = api.post(url, "chief", json={"role": "reviewer"}).get_json()
    assert accept(api, "checker", reviewer["code"]).status_code == 200
    for identity in ("checker", "stranger"):
        resp = api.post(url, identity, json={"role": "reviewer"})
        assert resp.status_code == 403, identity
        assert api.get(url, identity).status_code == 403

    with app.app_context():
        other, other_grid = add_other_community(with_grid=True)
        db.session.commit()
        other_id, other_grid_id = other.id, other_grid.id
    cases = [
        ({"role": "grid_worker", "grid_id": other_grid_id}, 422, "grid_not_in_community"),
        ({"role": "grid_worker"}, 422, "scope_required"),
        ({"role": "reviewer", "merchant_id": 1}, 422, "scope_not_allowed"),
        ({"role": "merchant_staff", "merchant_id": 999}, 422, "merchant_not_in_community"),
        ({"role": "mayor"}, 422, "validation_error"),
        ({"role": "reviewer", "expires_in_hours": 721}, 422, "validation_error"),
    ]
    before = query(lambda s: len(s.scalars(select(Invitation)).all()))
    for body, status, code in cases:
        resp = api.post(url, "chief", json=body)
        assert (resp.status_code, error_code(resp)) == (status, code), body
    other_url = f"/api/v1/admin/communities/{other_id}/invitations"
    assert api.post(other_url, "chief", json={"role": "reviewer"}).status_code == 403
    assert query(lambda s: len(s.scalars(select(Invitation)).all())) == before
    assert api.post("/api/v1/invitations/accept", json={"code": "x"}).status_code == 401


def test_service_refuses_a_revoke_from_another_community(app, community, tmp_path, api):
    _make_admin(app, api, tmp_path)
    with app.app_context():
        other, _ = add_other_community()
        db.session.commit()
        chief = db.session.scalar(select(User).where(User.id == Membership.user_id))
        issued = invitations.create_invitation(None, other.id, "reviewer")
        with pytest.raises(AppError) as refused:
            invitations.revoke_invitation(chief, other.id, issued.invitation.id)
        assert refused.value.status == 403
        db.session.rollback()


def test_invitations_of_an_admin_who_lost_the_role_no_longer_work(
    app, api, query, community, tmp_path
):
    _make_admin(app, api, tmp_path)
    url = f"/api/v1/admin/communities/{community}/invitations"
    deputy = api.post(url, "chief", json={"role": "admin"}).get_json()
    accepted = accept(api, "deputy", deputy["code"]).get_json()
    pending = api.post(url, "deputy", json={"role": "admin"}).get_json()
    grant_url = f"/api/v1/admin/communities/{community}/roles/{accepted['role_grant']['id']}"
    assert api.delete(grant_url, "chief").status_code == 204

    resp = accept(api, "accomplice", pending["code"])
    assert resp.status_code == 410 and error_code(resp) == "invitation_revoked"
    assert resp.get_json()["error"]["message"] == "邀请人已不再是社区管理员，该邀请已失效"
    assert roles_of(api, "accomplice") == []
    assert (
        query(
            lambda s: s.scalar(
                select(Invitation.accepted_at).where(Invitation.id == pending["invitation"]["id"])
            )
        )
        is None
    )
