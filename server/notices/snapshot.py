"""Publishing a notice: freeze a period's rankings for a community, once.

A snapshot reads the period totals (server/points/ledger_models.PeriodTotal), never the ledger:
for a month, the top NOTICE_DEPTH of each kind come straight off the index
(community_id, kind, month, points), so the cost does not grow with the ledger or with the
number of accounts. Quarters and years add up three or twelve monthly totals per account that
earned in them. Rows are written with their masked names, so later changes (a reversal, a new
real name) never alter a published notice.
"""

from datetime import UTC, datetime

from sqlalchemy import exists, insert, select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.models import Community
from server.db.audit import record_audit
from server.db.session import db
from server.notices.access import admin_community
from server.notices.models import NOTICE_DEPTH, Notice, NoticeRow
from server.notices.periods import due_periods, period_label, period_type, require_ended
from server.outbox.emit import emit_event
from server.points.ledger_models import PeriodTotal
from server.points.ranking_sources import SqlSource
from server.points.rankings import KINDS, Period, display_names, parse_period


def notice_title(period: Period, correction: bool = False) -> str:
    base = f"{period_label(period)} 红色积分{'评选' if period_type(period) == 'year' else '公示'}"
    return base + ("（更正）" if correction else "")


def frozen_rows(community_id: int, period: Period) -> list[dict]:
    """The top NOTICE_DEPTH of every kind, ranked as the ranking page ranks (ties share)."""
    source = SqlSource()
    ranked = {kind: source.page(community_id, kind, period, 0, NOTICE_DEPTH) for kind in KINDS}
    names = display_names(sorted({a for rows in ranked.values() for a, _ in rows}))
    out = []
    for kind, rows in ranked.items():
        rank, previous = 0, None
        for position, (account_id, points) in enumerate(rows, start=1):
            if points != previous:
                rank, previous = position, points
            out.append(
                {
                    "kind": kind,
                    "position": position,
                    "rank": rank,
                    "account_id": account_id,
                    "name": names[account_id],
                    "points": points,
                }
            )
    return out


def write_notice(notice: Notice) -> bool:
    """Insert the notice row under its UNIQUE (community, period, revision); False if another
    transaction wrote that revision first."""
    try:
        with db.session.begin_nested():
            db.session.add(notice)
    except IntegrityError:
        return False
    return True


def freeze_and_announce(notice: Notice, period: Period) -> None:
    """Write the notice's rows and its `notice.published` event, in the caller's transaction."""
    rows = frozen_rows(notice.community_id, period)
    if rows:
        db.session.execute(insert(NoticeRow), [{"notice_id": notice.id, **r} for r in rows])
    emit_event(
        "notice.published",
        aggregate_type="notice",
        aggregate_id=notice.id,
        community_id=notice.community_id,
        payload={
            "notice_id": notice.id,
            "period": notice.period,
            "title": notice.title,
            "correction_of": notice.correction_of,
        },
    )


def original_notice(community_id: int, period: str) -> Notice | None:
    return db.session.scalar(
        select(Notice).where(
            Notice.community_id == community_id, Notice.period == period, Notice.revision == 0
        )
    )


def snapshot_notice(
    community_id: int,
    period: str,
    *,
    actor_id: int | None = None,
    now: datetime | None = None,
) -> Notice:
    """The (community, period) notice: published now if it is not yet, else the existing one.

    The period must be over. Two racing callers write one notice: the loser's INSERT meets the
    UNIQUE constraint and it returns the winner's.
    """
    return _publish(community_id, require_ended(period, now), actor_id, now)[0]


def publish_notice(actor: User, period: str, *, now: datetime | None = None) -> Notice:
    """An admin publishes a finished period now (or gets the notice already published)."""
    community_id = admin_community(actor)
    return _publish(community_id, require_ended(period, now), actor.id, now)[0]


def _publish(
    community_id: int, per: Period, actor_id: int | None, now: datetime | None
) -> tuple[Notice, bool]:
    existing = original_notice(community_id, per.label)
    if existing is not None:
        return existing, False
    notice = Notice(
        community_id=community_id,
        period=per.label,
        period_type=period_type(per),
        revision=0,
        title=notice_title(per),
        published_by=actor_id,
        published_at=now or datetime.now(UTC),
    )
    if not write_notice(notice):
        db.session.rollback()
        return original_notice(community_id, per.label), False
    freeze_and_announce(notice, per)
    if actor_id is not None:
        record_audit(
            actor_id=actor_id,
            action="notice.publish",
            target_type="notice",
            target_id=notice.id,
            community_id=community_id,
            after={"period": notice.period, "title": notice.title},
        )
    db.session.commit()
    return notice, True


def _has_earnings(community_id: int, period: Period) -> bool:
    return db.session.scalar(
        select(
            exists().where(
                PeriodTotal.community_id == community_id,
                PeriodTotal.month.in_(period.months),
                PeriodTotal.points > 0,
            )
        )
    )


def publish_due_notices(now: datetime | None = None) -> int:
    """Publish every due notice of every active community; the number published.

    Due: each month, quarter and year that ended within the catch-up window and has no notice
    yet, so a missed run is caught up. A period in which nobody earned a point is skipped.
    """
    now = now or datetime.now(UTC)
    periods = due_periods(now)
    communities = list(db.session.scalars(select(Community.id).where(Community.is_active)))
    published = set(
        db.session.execute(
            select(Notice.community_id, Notice.period).where(
                Notice.revision == 0, Notice.period.in_(periods)
            )
        ).all()
    )
    db.session.rollback()  # hold no transaction (on SQLite, no write lock) between notices
    count = 0
    for community_id in communities:
        for label in periods:
            if (community_id, label) in published:
                continue
            per = parse_period(label)
            if not _has_earnings(community_id, per):
                db.session.rollback()
                continue
            count += _publish(community_id, per, None, now)[1]
    return count
