"""Issue 15's first "done when", as docs/setup.md walks through it: from an empty database to
a reviewer approving a resident's claim, with nobody's openid known in advance."""

import re

from sqlalchemy import func, select

from server.community.models import Community
from server.db.session import db
from tests.claims_helpers import today
from tests.setup.helpers import TEMPLATE, run_cli, table_counts


def test_from_an_empty_database_to_an_approved_claim(app, api, query, tmp_path):
    assert {n for n in table_counts(app).values()} <= {0, 1}  # only alembic's own row

    # 1. The operator creates the community from the shipped workbook ...
    result = run_cli(app, "import", TEMPLATE)
    assert result.exit_code == 0, result.output
    # ... and prints the first admin's invitation with its mini-program code.
    result = run_cli(
        app, "invite-admin", "--community", "hongqi", "--qr-out", tmp_path / "admin.png"
    )
    assert result.exit_code == 0, result.output
    admin_code = re.search(r"code:\s+(\S+)", result.output).group(1)
    assert (tmp_path / "admin.png").read_bytes().startswith(b"\x89PNG")

    # 2. The future admin logs in through WeChat (the emulator) and accepts it.
    resp = api.post("/api/v1/invitations/accept", "chief", json={"code": admin_code})
    assert resp.status_code == 200, resp.get_json()
    community_id = resp.get_json()["invitation"]["community_id"]

    # 3. The admin invites a reviewer, who logs in and accepts.
    resp = api.post(
        f"/api/v1/admin/communities/{community_id}/invitations",
        "chief",
        json={"role": "reviewer", "note": "李审核"},
    )
    assert resp.status_code == 201, resp.get_json()
    resp = api.post("/api/v1/invitations/accept", "checker", json={"code": resp.get_json()["code"]})
    assert resp.status_code == 200, resp.get_json()
    assert set(api.get("/api/v1/me", "checker").get_json()["roles"]) == {"reviewer", "resident"}

    # 4. A resident joins a grid and claims an item of the imported catalogue.
    grids = api.get(f"/api/v1/communities/{community_id}/grids", "neighbour").get_json()
    resp = api.post(
        f"/api/v1/communities/{community_id}/join",
        "neighbour",
        json={"grid_id": grids["items"][0]["id"]},
    )
    assert resp.status_code == 200, resp.get_json()
    items = api.get("/api/v1/points/items?limit=100", "neighbour").get_json()["items"]
    c01 = next(i for i in items if i["code"] == "C01")
    assert c01["points"] == 10 and c01["daily_cap"] == 1
    resp = api.post(
        "/api/v1/points/claims",
        "neighbour",
        json={
            "item_id": c01["id"],
            "occurred_on": today().isoformat(),
            "description": "在红旗里垃圾分类点督导两小时",
        },
    )
    assert resp.status_code == 201, resp.get_json()
    claim_id = resp.get_json()["id"]

    # 5. The reviewer approves it; the resident's balance shows the points.
    resp = api.post(f"/api/v1/points/claims/{claim_id}/approve", "checker", json={})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["status"] == "approved"
    assert api.get("/api/v1/me", "neighbour").get_json()["points"]["balance"] == 10
    with app.app_context():
        assert db.session.scalar(select(func.count(Community.id))) == 1
