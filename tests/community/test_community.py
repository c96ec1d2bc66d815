from sqlalchemy import select

from server.community.models import Community, Grid, RoleGrant
from server.db.audit import AuditLog
from server.db.session import db
from server.outbox.models import OutboxEvent
from tests.conftest import error_code
from tests.factories import add_other_community


def community_id(query, code="demo"):
    return query(lambda s: s.scalar(select(Community.id).where(Community.code == code)))


def grid_ids(query, cid):
    return query(lambda s: s.scalars(select(Grid.id).where(Grid.community_id == cid)).all())


def make_other_community(app):
    with app.app_context():
        other, _grid = add_other_community(with_grid=True)
        db.session.commit()
        return other.id


def test_join_community_and_grid(api, seeded, query):
    cid = community_id(query)
    g1, g2, _ = grid_ids(query, cid)
    api.login("newcomer")
    listing = api.get("/api/v1/communities", "newcomer").get_json()
    assert [c["code"] for c in listing["items"]] == ["demo"] and listing["next_cursor"] is None

    resp = api.post(f"/api/v1/communities/{cid}/join", "newcomer", json={"grid_id": g1})
    assert resp.status_code == 200
    assert resp.get_json()["grid"]["id"] == g1
    me = api.get("/api/v1/me", "newcomer").get_json()
    assert me["roles"] == ["resident"] and me["membership"]["community"]["name"] == "幸福社区"

    moved = api.post(f"/api/v1/communities/{cid}/join", "newcomer", json={"grid_id": g2})
    assert moved.get_json()["grid"]["id"] == g2
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert events.count("member.joined") == 1 and "member.grid_changed" in events


def test_join_refuses_other_community_grid_and_second_community(api, seeded, query, app):
    cid = community_id(query)
    other = make_other_community(app)
    other_grid = grid_ids(query, other)[0]
    resp = api.post(f"/api/v1/communities/{cid}/join", "newcomer", json={"grid_id": other_grid})
    assert resp.status_code == 422 and error_code(resp) == "grid_not_in_community"
    assert api.get("/api/v1/me", "newcomer").get_json()["membership"] is None

    assert api.post(f"/api/v1/communities/{cid}/join", "newcomer", json={}).status_code == 200
    resp = api.post(f"/api/v1/communities/{other}/join", "newcomer", json={})
    assert resp.status_code == 409 and error_code(resp) == "already_in_other_community"
    resp = api.post("/api/v1/communities/999999/join", "newcomer", json={})
    assert resp.status_code == 404


def test_seeded_identities_have_their_roles(api, seeded):
    assert set(api.get("/api/v1/me", "admin").get_json()["roles"]) >= {"admin", "resident"}
    assert "reviewer" in api.get("/api/v1/me", "reviewer").get_json()["roles"]
    grid_worker = api.get("/api/v1/me", "grid-1").get_json()
    assert "grid_worker" in grid_worker["roles"]
    assert grid_worker["role_grants"][0]["grid_id"] is not None
    assert "merchant_staff" in api.get("/api/v1/me", "merchant-1").get_json()["roles"]
    party = api.get("/api/v1/me", "resident-2").get_json()["role_grants"]
    assert [(g["role"], g["party_kind"]) for g in party] == [("party_member", "自管")]


def test_patch_me(api, seeded):
    resp = api.patch("/api/v1/me", "resident-1", json={"real_name": " 张三丰 ", "nickname": "三丰"})
    assert resp.status_code == 200
    assert resp.get_json()["real_name"] == "张三丰"
    bad = api.patch("/api/v1/me", "resident-1", json={"real_name": "x" * 33})
    assert bad.status_code == 422
    bad = api.patch("/api/v1/me", "resident-1", json={"phone": "13800000000"})
    assert bad.status_code == 422
    bad = api.patch("/api/v1/me", "resident-1", json={"avatar_url": "javascript:alert(1)"})
    assert bad.status_code == 422
    assert api.get("/api/v1/me", "resident-1").get_json()["real_name"] == "张三丰"


def user_id(api, identity):
    return api.get("/api/v1/me", identity).get_json()["id"]


def test_admin_grants_and_revokes_roles_with_audit(api, seeded, query):
    cid = community_id(query)
    target = user_id(api, "resident-5")
    resp = api.post(
        f"/api/v1/admin/communities/{cid}/roles",
        "admin",
        json={"user_id": target, "role": "reviewer"},
    )
    assert resp.status_code == 201, resp.get_json()
    grant = resp.get_json()
    assert "reviewer" in api.get("/api/v1/me", "resident-5").get_json()["roles"]
    again = api.post(
        f"/api/v1/admin/communities/{cid}/roles",
        "admin",
        json={"user_id": target, "role": "reviewer"},
    )
    assert again.status_code == 409 and error_code(again) == "role_already_granted"

    listing = api.get(f"/api/v1/admin/communities/{cid}/roles?role=reviewer", "admin").get_json()
    assert target in [g["user_id"] for g in listing["items"]]

    resp = api.delete(f"/api/v1/admin/communities/{cid}/roles/{grant['id']}", "admin")
    assert resp.status_code == 204
    assert "reviewer" not in api.get("/api/v1/me", "resident-5").get_json()["roles"]

    audit = query(lambda s: s.scalars(select(AuditLog).order_by(AuditLog.id)).all())
    assert [a.action for a in audit] == ["role.grant", "role.revoke"]
    assert audit[0].after["role"] == "reviewer" and audit[0].before is None
    assert audit[1].before["role"] == "reviewer" and audit[1].after is None
    assert all(a.actor_id == user_id(api, "admin") for a in audit)
    events = query(
        lambda s: s.scalars(select(OutboxEvent.event_type).order_by(OutboxEvent.id)).all()
    )
    assert events == ["role.granted", "role.revoked"]


def test_role_scope_rules(api, seeded, query, app):
    cid = community_id(query)
    target = user_id(api, "resident-6")
    url = f"/api/v1/admin/communities/{cid}/roles"
    cases = [
        ({"role": "grid_worker"}, "scope_required"),
        ({"role": "party_member"}, "scope_required"),
        ({"role": "reviewer", "grid_id": 1}, "scope_not_allowed"),
        ({"role": "merchant_staff", "merchant_id": 999}, "merchant_not_in_community"),
        ({"role": "org_staff", "organisation_id": 999}, "organisation_not_in_community"),
    ]
    for body, code in cases:
        resp = api.post(url, "admin", json={"user_id": target, **body})
        assert resp.status_code == 422 and error_code(resp) == code, (body, resp.get_json())
    resp = api.post(
        url, "admin", json={"user_id": target, "role": "party_member", "party_kind": "退休"}
    )
    assert resp.status_code == 422
    other = make_other_community(app)
    other_grid = grid_ids(query, other)[0]
    resp = api.post(
        url, "admin", json={"user_id": target, "role": "grid_worker", "grid_id": other_grid}
    )
    assert error_code(resp) == "grid_not_in_community"
    outsider = user_id(api, "outsider")
    resp = api.post(url, "admin", json={"user_id": outsider, "role": "reviewer"})
    assert error_code(resp) == "user_not_member"
    assert (
        query(lambda s: s.scalars(select(RoleGrant).where(RoleGrant.user_id == target)).all()) == []
    )
    assert query(lambda s: s.scalars(select(AuditLog)).all()) == []


def test_non_admins_and_other_communities_admins_are_refused(api, seeded, query, app):
    cid = community_id(query)
    target = user_id(api, "resident-7")
    url = f"/api/v1/admin/communities/{cid}/roles"
    for identity in ("resident-1", "reviewer", "grid-1", "merchant-1"):
        resp = api.post(url, identity, json={"user_id": target, "role": "reviewer"})
        assert resp.status_code == 403, identity
        assert api.get(url, identity).status_code == 403
        assert api.get(f"/api/v1/admin/communities/{cid}/members", identity).status_code == 403

    other = make_other_community(app)
    api.post(f"/api/v1/communities/{other}/join", "other-admin", json={})
    with app.app_context():
        from server.community.roles import grant_role

        grant_role(None, other, user_id(api, "other-admin"), "admin")
    assert "admin" in api.get("/api/v1/me", "other-admin").get_json()["roles"]
    resp = api.post(url, "other-admin", json={"user_id": target, "role": "reviewer"})
    assert resp.status_code == 403 and error_code(resp) == "forbidden"
    assert api.get(f"/api/v1/admin/communities/{cid}/members", "other-admin").status_code == 403
    grants = api.get(url, "admin").get_json()["items"]
    resp = api.delete(f"{url}/{grants[0]['id']}", "other-admin")
    assert resp.status_code == 403
    # An admin of B cannot reach A's grants through B's URL either.
    resp = api.delete(f"/api/v1/admin/communities/{other}/roles/{grants[0]['id']}", "other-admin")
    assert resp.status_code == 404
    assert len(api.get(url, "admin").get_json()["items"]) == len(grants)


def test_admin_cannot_revoke_own_admin(api, seeded, query):
    cid = community_id(query)
    me = user_id(api, "admin")
    grants = api.get(f"/api/v1/admin/communities/{cid}/roles?user_id={me}&role=admin", "admin")
    grant_id = grants.get_json()["items"][0]["id"]
    resp = api.delete(f"/api/v1/admin/communities/{cid}/roles/{grant_id}", "admin")
    assert resp.status_code == 409 and error_code(resp) == "cannot_revoke_own_admin"


def test_members_list_is_paginated_and_masked(api, seeded, query):
    cid = community_id(query)
    api.post("/api/v1/auth/phone", "resident-3", json={"code": api.emulator.code("13912345678")})
    seen, cursor = [], None
    while True:
        url = f"/api/v1/admin/communities/{cid}/members?limit=10"
        page = api.get(url + (f"&cursor={cursor}" if cursor else ""), "admin").get_json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len({m["user_id"] for m in seen}) == 24
    phones = [m["phone"] for m in seen if m["phone"]]
    assert phones == ["139****5678"]
    bad = api.get(f"/api/v1/admin/communities/{cid}/members?cursor=!!!", "admin")
    assert bad.status_code == 400 and error_code(bad) == "invalid_cursor"
    assert api.get(f"/api/v1/admin/communities/{cid}/members?limit=101", "admin").status_code == 422


def test_organisations(api, seeded, query):
    cid = community_id(query)
    url = f"/api/v1/admin/communities/{cid}/organisations"
    resp = api.post(url, "admin", json={"name": "幸福物业公司", "kind": "企业"})
    assert resp.status_code == 201
    assert api.post(url, "admin", json={"name": "幸福物业公司", "kind": "企业"}).status_code == 409
    assert api.post(url, "resident-1", json={"name": "我的公司"}).status_code == 403
    names = [
        o["name"]
        for o in api.get(f"/api/v1/communities/{cid}/organisations", "resident-1").get_json()[
            "items"
        ]
    ]
    assert "幸福物业公司" in names
    assert api.get(f"/api/v1/communities/{cid}/organisations", "outsider").status_code == 403


def test_grant_role_cli_bootstraps_admin(app, api, seeded, query):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["grant-role", "--community", "demo", "--role", "admin", "--identity", "new-boss"]
    )
    assert result.exit_code == 0, result.output
    assert "admin" in api.get("/api/v1/me", "new-boss").get_json()["roles"]
    result = runner.invoke(
        args=["grant-role", "--community", "nope", "--role", "admin", "--identity", "x"]
    )
    assert result.exit_code != 0 and "no community" in result.output


def test_seed_demo_is_idempotent(app, seeded, query):
    from server.commands.seed_demo import seed_demo

    with app.app_context():
        assert seed_demo() == {}
    from server.points.models import PointItem

    items = query(lambda s: s.scalars(select(PointItem)).all())
    assert len(items) == 35
    assert len({i.category_id for i in items}) == 7
    values = query(lambda s: sorted({i.versions[0].points for i in s.scalars(select(PointItem))}))
    assert values == [5, 10, 20]


def test_me_shows_balance_and_volunteer_hours(api, seeded, app):
    me = api.get("/api/v1/me", "resident-4").get_json()
    assert me["points"] == {"balance": 0, "held": 0, "available": 0}
    assert me["volunteer_hours"] == {"this_year": 0.0, "lifetime": 0.0}
    with app.app_context():
        from server.points import ledger

        account = ledger.account_for_user(community_id_of(me), me["id"])
        ledger.credit(
            account,
            15,
            reason="测试加分",
            idempotency_key="t:me:1",
            cause_type="adjustment",
            cause_id="t1",
        )
        db.session.commit()
    me = api.get("/api/v1/me", "resident-4").get_json()
    assert me["points"] == {"balance": 15, "held": 0, "available": 15}
    assert api.get("/api/v1/me", "outsider").get_json()["points"] is None


def community_id_of(profile):
    return profile["membership"]["community"]["id"]
