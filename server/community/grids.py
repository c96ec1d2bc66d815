"""A community's grids after set-up: admins add one or rename one (audited). Codes are fixed
once given: the set-up workbook and grants refer to grids by code."""

import re

from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.models import Grid
from server.community.service import get_community, require_admin
from server.community.setup import CODE_PATTERN, NAME_MAX
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.http.errors import Conflict, NotFound, Unprocessable


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise Unprocessable(f"网格名称不能为空，最多 {NAME_MAX} 个字", code="grid_name_invalid")
    return name


def add_grid(actor: User, community_id: int, *, code: str, name: str) -> Grid:
    """Add a grid to the community (admins); its code is unique within the community."""
    community = get_community(community_id)
    require_admin(actor, community.id)
    code = (code or "").strip()
    if not re.match(CODE_PATTERN, code):
        raise Unprocessable(
            "网格编码只能包含字母、数字、- 或 _（最多 32 个）", code="grid_code_invalid"
        )
    grid = Grid(community_id=community.id, code=code, name=_clean_name(name))
    try:
        with db.session.begin_nested():
            db.session.add(grid)
    except IntegrityError:
        raise Conflict(
            f"网格编码“{code}”已存在", code="grid_code_exists", details={"code": code}
        ) from None
    record_audit(
        actor_id=actor.id,
        action="grid.create",
        target_type="grid",
        target_id=grid.id,
        community_id=community.id,
        after={"code": grid.code, "name": grid.name},
    )
    db.session.commit()
    return grid


def rename_grid(actor: User, community_id: int, grid_id: int, name: str) -> Grid:
    """Rename one of the community's grids (admins); another community's grid is not found."""
    community = get_community(community_id)
    require_admin(actor, community.id)
    grid = get_by_id(Grid, grid_id)
    if grid is None or grid.community_id != community.id:
        raise NotFound("网格不存在", code="grid_not_found")
    name = _clean_name(name)
    if name != grid.name:
        before = {"name": grid.name}
        grid.name = name
        record_audit(
            actor_id=actor.id,
            action="grid.rename",
            target_type="grid",
            target_id=grid.id,
            community_id=community.id,
            before=before,
            after={"name": name},
        )
    db.session.commit()
    return grid
