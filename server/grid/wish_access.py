"""Who sees a wish, and how it is shown: the resident, its claimer, reviewers, the board.

The board (published and claimed wishes of the viewer's community, and of the viewer's grid
when a wish is published to one grid) is a public view: every name on it is masked and no
phone number is ever part of a wish. Fulfilment notes, photos and thanks are shown only to
the parties: the resident, whoever acts for the claimer, and the community's reviewers.
"""

from sqlalchemy import select

from server.auth.models import User
from server.community.authz import grants_of, membership_of
from server.community.models import Merchant, Organisation
from server.db.session import db, get_by_id
from server.grid.wish_models import BOARD_STATUSES, Wish
from server.http.errors import NotFound
from server.platform.masking import mask_name
from server.uploads import service as uploads

REVIEWER_ROLES = ("reviewer", "admin")


class WishNotFound(NotFound):
    code, message = "wish_not_found", "心愿不存在或无权查看"


class WishViewer:
    """What decides visibility for one caller, loaded once per request."""

    def __init__(self, user: User):
        self.user = user
        self.membership = membership_of(user)
        self.community_id = self.membership.community_id if self.membership else None
        self.grid_id = self.membership.grid_id if self.membership else None
        grants = grants_of(user, self.community_id) if self.membership else []
        roles = {g.role for g in grants}
        self.is_reviewer = bool(roles & set(REVIEWER_ROLES))
        self.is_party_member = "party_member" in roles
        self.organisation_ids = {g.organisation_id for g in grants if g.role == "org_staff"}
        self.merchant_ids = {g.merchant_id for g in grants if g.role == "merchant_staff"}

    def in_community(self, wish: Wish) -> bool:
        return self.community_id is not None and wish.community_id == self.community_id

    def is_resident(self, wish: Wish) -> bool:
        return wish.resident_id == self.user.id

    def acts_for_claimer(self, wish: Wish) -> bool:
        """The claiming person, or today's staff of the claiming organisation or merchant."""
        if wish.claimer_id is None or not self.in_community(wish):
            return False
        if wish.claimer_kind == "organisation":
            return wish.claimer_organisation_id in self.organisation_ids
        if wish.claimer_kind == "merchant":
            return wish.claimer_merchant_id in self.merchant_ids
        return wish.claimer_id == self.user.id

    def reviews(self, wish: Wish) -> bool:
        return self.is_reviewer and self.in_community(wish)

    def reaches(self, wish: Wish) -> bool:
        """The wish's audience includes the viewer: its community, and its grid if targeted."""
        if not self.in_community(wish):
            return False
        return wish.audience != "grid" or wish.audience_grid_id == self.grid_id

    def on_board(self, wish: Wish) -> bool:
        return wish.status in BOARD_STATUSES and self.reaches(wish)

    def is_party(self, wish: Wish) -> bool:
        return self.is_resident(wish) or self.acts_for_claimer(wish) or self.reviews(wish)

    def can_see(self, wish: Wish) -> bool:
        return self.is_party(wish) or self.on_board(wish)


def visible_wish(viewer: WishViewer, wish_id: int) -> Wish:
    """The wish, for a viewer allowed to see it; 404 for anyone else (ids cannot be probed)."""
    wish = get_by_id(Wish, wish_id)
    if wish is None or not viewer.can_see(wish):
        raise WishNotFound()
    return wish


def _wish_photo_visible(user: User, upload) -> bool:
    wish = _attached_wish(upload)
    return wish is not None and WishViewer(user).can_see(wish)


def _fulfilment_photo_visible(user: User, upload) -> bool:
    wish = _attached_wish(upload)
    return wish is not None and WishViewer(user).is_party(wish)


def _attached_wish(upload) -> Wish | None:
    try:
        return get_by_id(Wish, int(upload.attached_id))
    except (TypeError, ValueError):
        return None


uploads.register_access_check("wish", _wish_photo_visible)
uploads.register_access_check("wish_fulfilment", _fulfilment_photo_visible)


def _photos(ids) -> list[dict]:
    return [{"id": pid, "url": f"/api/v1/uploads/{pid}"} for pid in ids or []]


def _by_id(model, ids: set) -> dict:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def wish_views(wishes: list[Wish], viewer: WishViewer) -> list[dict]:
    """Wishes as the API shows them to this viewer, loading names in a few queries."""
    users = _by_id(User, {w.resident_id for w in wishes} | {w.claimer_id for w in wishes})
    orgs = _by_id(Organisation, {w.claimer_organisation_id for w in wishes})
    merchants = _by_id(Merchant, {w.claimer_merchant_id for w in wishes})

    def person(user_id):
        name = users[user_id].display_name
        return {"id": user_id, "name": name if user_id == viewer.user.id else mask_name(name)}

    out = []
    for w in wishes:
        party = viewer.is_party(w)
        claimer = None
        if w.claimer_id is not None:
            org, shop = orgs.get(w.claimer_organisation_id), merchants.get(w.claimer_merchant_id)
            claimer = {
                "kind": w.claimer_kind,
                "person": person(w.claimer_id),
                # Organisations and shops are public names (they are ranked by name too).
                "organisation": {"id": org.id, "name": org.name} if org else None,
                "merchant": {"id": shop.id, "name": shop.name} if shop else None,
                "claimed_at": w.claimed_at,
            }
        fulfilment = None
        if party and w.fulfilled_at is not None:
            fulfilment = {
                "note": w.fulfil_note,
                "photos": _photos(w.fulfil_photo_ids),
                "fulfilled_at": w.fulfilled_at,
            }
        out.append(
            {
                "id": w.id,
                "community_id": w.community_id,
                "title": w.title,
                "details": w.details,
                "needed_by": w.needed_by,
                "place": w.place,
                "beneficiary": w.beneficiary,
                "photos": _photos(w.photo_ids),
                "status": w.status,
                "resident": person(w.resident_id),
                "audience": w.audience,
                "audience_grid_id": w.audience_grid_id,
                "points": w.points,
                "claimer": claimer,
                "fulfilment": fulfilment,
                "review_reason": w.review_reason if party else None,
                "content_verdict": w.content_verdict if party else None,
                "thanks": w.thanks if party else None,
                "confirmed_at": w.confirmed_at,
                "ledger_entry_id": w.ledger_entry_id if party else None,
                "is_mine": viewer.is_resident(w),
                "claimed_by_me": viewer.acts_for_claimer(w),
                "created_at": w.created_at,
            }
        )
    return out
