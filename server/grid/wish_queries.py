"""Lists of wishes: the public board, my wishes, the wishes I claimed, the review queue."""

from sqlalchemy import false, or_, select

from server.auth.models import User
from server.community.authz import NotAMember
from server.db.session import db
from server.grid.wish_access import WishViewer, visible_wish, wish_views
from server.grid.wish_models import BOARD_STATUSES, REVIEW_STATUSES, Wish
from server.http.errors import Forbidden, Unprocessable
from server.http.pagination import Page, paginate_by_id

SCOPES = ("board", "mine", "claimed", "review")


def get_wish_view(user: User, wish_id: int) -> dict:
    viewer = WishViewer(user)
    return wish_views([visible_wish(viewer, wish_id)], viewer)[0]


def _board(viewer: WishViewer, status: str | None):
    if viewer.community_id is None:
        raise NotAMember()
    if status is not None and status not in BOARD_STATUSES:
        raise Unprocessable(
            "心愿墙只显示待认领和已认领的心愿",
            code="status_not_on_board",
            details={"allowed": list(BOARD_STATUSES)},
        )
    reach = Wish.audience == "community"
    if viewer.grid_id is not None:
        reach = or_(reach, Wish.audience_grid_id == viewer.grid_id)
    return select(Wish).where(
        Wish.community_id == viewer.community_id,
        Wish.status.in_([status] if status else BOARD_STATUSES),
        reach,
    )


def _claimed(viewer: WishViewer):
    """Wishes the caller claimed as a person, and those of the organisations and shops they
    staff (today), in their community."""
    mine = (Wish.claimer_id == viewer.user.id) & (Wish.claimer_kind == "person")
    orgs = Wish.claimer_organisation_id.in_(viewer.organisation_ids or [0])
    shops = Wish.claimer_merchant_id.in_(viewer.merchant_ids or [0])
    if viewer.community_id is None:
        return select(Wish).where(false())
    return select(Wish).where(Wish.community_id == viewer.community_id, or_(mine, orgs, shops))


def list_wishes(
    user: User, limit: int, cursor: str | None, *, scope: str = "board", status=None
) -> Page:
    """`board`: published and claimed wishes the caller's audience reaches, newest first.
    `mine`: the caller's own wishes in every state. `claimed`: wishes the caller (or their
    organisation or shop) took on. `review`: reviewers' queue, oldest first, open by default."""
    viewer = WishViewer(user)
    desc = True
    if scope == "board":
        stmt = _board(viewer, status)
    elif scope == "mine":
        stmt = select(Wish).where(Wish.resident_id == user.id)
    elif scope == "claimed":
        stmt = _claimed(viewer)
    else:
        if not viewer.is_reviewer:
            raise Forbidden("只有审核员或管理员可以查看审核队列", code="not_a_reviewer")
        stmt = select(Wish).where(
            Wish.community_id == viewer.community_id,
            Wish.status.in_([status] if status else REVIEW_STATUSES),
        )
        desc = False
    if status and scope in ("mine", "claimed"):
        stmt = stmt.where(Wish.status == status)
    page = paginate_by_id(db.session, stmt, Wish.id, limit, cursor, desc=desc)
    page.items = wish_views(page.items, viewer)
    return page
