"""Setting up a community from nothing: its street, the community and its grids.

Runs in the caller's transaction (the operator's `flask setup` commands and the workbook
import commit once, after everything else they create), audited with the operator as actor.
"""

import re
from dataclasses import dataclass

from sqlalchemy import select

from server.community.models import Community, Grid, Street
from server.db.audit import record_audit
from server.db.session import db
from server.http.errors import Conflict, Unprocessable

CODE_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
NAME_MAX = 64


@dataclass(frozen=True)
class GridSpec:
    code: str
    name: str


@dataclass(frozen=True)
class CommunitySpec:
    street: str
    district: str
    name: str
    code: str
    grids: tuple[GridSpec, ...] = ()


def community_code_taken(code: str) -> bool:
    return db.session.scalar(select(Community.id).where(Community.code == code)) is not None


def street_district_conflict(street: str, district: str) -> str | None:
    """The district an existing street of this name lies in, when it is not `district`."""
    existing = db.session.scalar(select(Street).where(Street.name == street))
    if existing is not None and existing.district != district:
        return existing.district
    return None


def add_community(actor_id: int | None, spec: CommunitySpec) -> Community:
    """Create the community (and its street, unless one of that name exists) with its grids.

    Refuses a community code already in use and a street named the same as one in another
    district; grid codes must be unique within the community.
    """
    if community_code_taken(spec.code):
        raise Conflict(
            f"社区编码“{spec.code}”已存在",
            code="community_code_exists",
            details={"code": spec.code},
        )
    other_district = street_district_conflict(spec.street, spec.district)
    if other_district is not None:
        raise Conflict(
            f"街道“{spec.street}”已登记在“{other_district}”，请核对区县",
            code="street_in_other_district",
            details={"street": spec.street, "district": other_district},
        )
    codes = [grid.code for grid in spec.grids]
    if len(codes) != len(set(codes)):
        raise Unprocessable("网格编码不能重复", code="duplicate_grid_code")
    street = db.session.scalar(select(Street).where(Street.name == spec.street))
    if street is None:
        street = Street(name=spec.street, district=spec.district)
        db.session.add(street)
        db.session.flush()
    community = Community(street_id=street.id, name=spec.name, code=spec.code)
    db.session.add(community)
    db.session.flush()
    db.session.add_all(
        Grid(community_id=community.id, code=grid.code, name=grid.name) for grid in spec.grids
    )
    record_audit(
        actor_id=actor_id,
        action="community.create",
        target_type="community",
        target_id=community.id,
        community_id=community.id,
        after={
            "street": street.name,
            "district": street.district,
            "name": community.name,
            "code": community.code,
            "grids": [{"code": g.code, "name": g.name} for g in spec.grids],
        },
    )
    return community


def create_community(actor_id: int | None, spec: CommunitySpec) -> Community:
    """`flask setup community`: check the fields, create the community and commit."""
    problems = {}
    for field, value, limit in (
        ("street", spec.street, NAME_MAX),
        ("district", spec.district, NAME_MAX),
        ("name", spec.name, NAME_MAX),
    ):
        if not value.strip() or len(value) > limit:
            problems[field] = f"不能为空，最多 {limit} 个字"
    for code in (spec.code, *(grid.code for grid in spec.grids)):
        if not re.match(CODE_PATTERN, code):
            problems[code] = "编码只能包含字母、数字、- 或 _（最多 32 个）"
    for grid in spec.grids:
        if not grid.name.strip() or len(grid.name) > NAME_MAX:
            problems[grid.code] = f"网格名称不能为空，最多 {NAME_MAX} 个字"
    if problems:
        raise Unprocessable("社区信息有误", code="community_invalid", details={"fields": problems})
    community = add_community(actor_id, spec)
    db.session.commit()
    return community
