"""Rows several domains' tests need, added in the caller's app context."""

from server.community.models import Community, Grid, Street
from server.db.session import db


def add_other_community(*, with_grid: bool = False) -> tuple[Community, Grid | None]:
    """A second community, 和谐社区 in its own street (and its grid g1); flushed, not committed."""
    street = Street(name="和谐街道", district="示范区")
    db.session.add(street)
    db.session.flush()
    other = Community(street_id=street.id, name="和谐社区", code="other")
    db.session.add(other)
    db.session.flush()
    grid = None
    if with_grid:
        grid = Grid(community_id=other.id, name="一网格", code="g1")
        db.session.add(grid)
        db.session.flush()
    return other, grid
