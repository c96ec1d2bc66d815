"""网格 in the console: admins list, add and rename grids through the community's grid
service (audited); other roles are refused; another community's grid stays untouched."""

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.community import grids
from server.community.models import Community, Grid
from server.db.audit import AuditLog
from server.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from tests.console.cc_helpers import console_as, other_grid_id, post, sheet_rows
from tests.ledger_helpers import user_id_of


def _actor(identity):
    from server.db.session import db

    return db.session.get(User, user_id_of(identity))


def _demo_id(session) -> int:
    return session.scalar(select(Community.id).where(Community.code == "demo"))


def test_add_and_rename_grid_at_the_service(app, seeded, ctx):
    from server.db.session import db

    community_id = _demo_id(db.session)
    grid = grids.add_grid(_actor("admin"), community_id, code="g9", name=" 第九网格 ")
    assert (grid.code, grid.name) == ("g9", "第九网格")
    with pytest.raises(Conflict):
        grids.add_grid(_actor("admin"), community_id, code="g9", name="重复")
    with pytest.raises(Unprocessable):
        grids.add_grid(_actor("admin"), community_id, code="不行", name="x")
    with pytest.raises(Forbidden):
        grids.add_grid(_actor("reviewer"), community_id, code="g8", name="x")
    grids.rename_grid(_actor("admin"), community_id, grid.id, "九网格")
    actions = db.session.scalars(
        select(AuditLog.action).where(AuditLog.target_type == "grid").order_by(AuditLog.id)
    ).all()
    assert actions == ["grid.create", "grid.rename"]
    with pytest.raises(Unprocessable):
        grids.rename_grid(_actor("admin"), community_id, grid.id, "x" * 65)


def test_another_communitys_grid_is_not_found_at_the_service(app, seeded, ctx):
    from server.db.session import db

    foreign = other_grid_id(app)
    with pytest.raises(NotFound):
        grids.rename_grid(_actor("admin"), _demo_id(db.session), foreign, "改掉")


def test_the_grid_page_is_for_admins(app, seeded, api):
    admin = console_as(app, api, "admin")
    page = admin.get("/console/grids")
    assert page.status_code == 200 and "第一网格" in page.get_data(as_text=True)
    assert console_as(app, api, "reviewer").get("/console/grids").status_code == 403
    rows = sheet_rows(admin.get("/console/grids/export"))
    assert rows[0] == ["序号", "网格编码", "网格名称"] and ["g1"] == [r[1] for r in rows[1:2]]


def test_adding_and_renaming_through_the_page(app, seeded, api, query):
    admin = console_as(app, api, "admin")
    assert (
        post(admin, "/console/grids", {"code": "g7", "name": "第七网格"}, csrf=False).status_code
        == 400
    )
    assert query(lambda s: s.scalar(select(Grid).where(Grid.code == "g7"))) is None
    added = post(admin, "/console/grids", {"code": "g7", "name": "第七网格"})
    assert added.status_code == 200 and "网格已添加" in added.get_data(as_text=True)
    again = post(admin, "/console/grids", {"code": "g7", "name": "又一个"})
    assert again.status_code == 409 and "已存在" in again.get_data(as_text=True)
    grid_id = query(lambda s: s.scalar(select(Grid.id).where(Grid.code == "g7")))
    renamed = post(admin, f"/console/grids/{grid_id}/rename", {"name": "七网格"})
    assert renamed.status_code == 200 and "七网格" in renamed.get_data(as_text=True)
    assert query(lambda s: s.get(Grid, grid_id).name) == "七网格"
    empty = post(admin, f"/console/grids/{grid_id}/rename", {"name": " "})
    assert empty.status_code == 422 and query(lambda s: s.get(Grid, grid_id).name) == "七网格"


def test_another_communitys_grid_cannot_be_renamed_from_the_page(app, seeded, api, query):
    foreign = other_grid_id(app)
    admin = console_as(app, api, "admin")
    resp = post(admin, f"/console/grids/{foreign}/rename", {"name": "改掉"})
    assert resp.status_code == 404
    assert query(lambda s: s.get(Grid, foreign).name) == "一网格"
