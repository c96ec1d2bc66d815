"""Reading notices (members of the community): the list, one notice with its rows per kind,
and the links between a notice and its corrections."""

from sqlalchemy import select

from server.auth.models import User
from server.community.models import Community
from server.db.session import db
from server.http.pagination import Page, paginate_by_id
from server.notices.access import member_community, visible_notice
from server.notices.models import Notice, NoticeRow
from server.notices.periods import period_label
from server.points.rankings import KINDS, parse_period

KIND_LABELS = {
    "person": "个人",
    "party_member": "党员",
    "grid_worker": "网格员",
    "organisation": "驻区单位",
    "merchant": "信用店铺",
}


def _link(notice: Notice) -> dict:
    return {"id": notice.id, "title": notice.title, "published_at": notice.published_at}


def corrections_of(notice_id: int) -> list[Notice]:
    # Bounded: a period has at most corrections.MAX_CORRECTIONS corrections.
    return list(
        db.session.scalars(
            select(Notice).where(Notice.correction_of == notice_id).order_by(Notice.id)
        )
    )


def summary_view(notice: Notice, corrected_ids: set[int] = frozenset()) -> dict:
    return {
        "id": notice.id,
        "title": notice.title,
        "period": notice.period,
        "period_type": notice.period_type,
        "period_label": period_label(parse_period(notice.period)),
        "published_at": notice.published_at,
        "correction_of": notice.correction_of,
        "corrected": notice.id in corrected_ids,
    }


def list_notices(actor: User, period_type: str | None, limit: int, cursor: str | None) -> Page:
    """The community's notices, newest first; `period_type` keeps months, quarters or years."""
    community_id = member_community(actor)
    stmt = select(Notice).where(Notice.community_id == community_id)
    if period_type:
        stmt = stmt.where(Notice.period_type == period_type)
    page = paginate_by_id(db.session, stmt, Notice.id, limit, cursor)
    ids = [n.id for n in page.items]
    corrected = set(
        db.session.scalars(select(Notice.correction_of).where(Notice.correction_of.in_(ids)))
    )
    page.items = [summary_view(n, corrected) for n in page.items]
    return page


def rows_by_kind(notice_id: int, depth: int) -> dict[str, list[NoticeRow]]:
    rows = db.session.scalars(
        select(NoticeRow)
        .where(NoticeRow.notice_id == notice_id, NoticeRow.position <= depth)
        .order_by(NoticeRow.kind, NoticeRow.position)
    )
    out: dict[str, list[NoticeRow]] = {kind: [] for kind in KINDS}
    for row in rows:
        out.setdefault(row.kind, []).append(row)
    return out


def stars_of(notice: Notice) -> list[dict]:
    """A yearly notice's 积分之星: the first of each kind (all of them when tied)."""
    if notice.period_type != "year":
        return []
    firsts = db.session.scalars(
        select(NoticeRow)
        .where(NoticeRow.notice_id == notice.id, NoticeRow.rank == 1)
        .order_by(NoticeRow.position)
    ).all()
    return [
        {"kind": kind, "kind_label": KIND_LABELS[kind], "name": r.name, "points": r.points}
        for kind in KINDS
        for r in firsts
        if r.kind == kind
    ]


def community_name(community_id: int) -> str:
    return db.session.scalar(select(Community.name).where(Community.id == community_id))


def detail_view(notice: Notice, depth: int) -> dict:
    rows = rows_by_kind(notice.id, depth)
    corrected = db.session.get(Notice, notice.correction_of) if notice.correction_of else None
    corrections = corrections_of(notice.id)
    return {
        **summary_view(notice, {notice.id} if corrections else set()),
        "community_name": community_name(notice.community_id),
        "correction_reason": notice.correction_reason,
        "corrects": _link(corrected) if corrected else None,
        "corrections": [_link(c) for c in corrections],
        "kinds": [
            {
                "kind": kind,
                "kind_label": KIND_LABELS[kind],
                "rows": [{"rank": r.rank, "name": r.name, "points": r.points} for r in rows[kind]],
            }
            for kind in KINDS
        ],
        "stars": stars_of(notice),
    }


def notice_detail(actor: User, notice_id: int, depth: int = 10) -> dict:
    """One notice of the caller's community: up to `depth` rows of each kind."""
    return detail_view(visible_notice(actor, notice_id), depth)
