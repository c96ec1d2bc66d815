"""Demo point history: a few months of credits, service and redemptions, so a new user sees
a living community (balances, histories and rankings that are not empty).

Posted once per community: when any demo history entry exists, nothing is posted, so a run in
a later month credits nobody again. Only the holders the caller names (the demo's own people
and organisations) get history; real members who joined the community never do. Every key is
derived from holder, month and sequence number. Skipped in tests (app.testing) unless
SEED_POINTS_HISTORY is set, so other suites see empty accounts.
"""

import random
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from server.auth.models import User
from server.community.models import RoleGrant
from server.db.session import db
from server.db.types import utcnow
from server.platform.localtime import SHANGHAI
from server.points import ledger, ranking_rebuild
from server.points.models import PointCategory, PointItem, PointItemVersion

MONTHS_BACK = 3
QUIET_IDENTITIES = 3  # the newest residents have no history yet, like real newcomers
KEY_PREFIX = "seed:"
SERVICE_REASONS = ("网格服务：走访独居老人", "网格服务：矛盾纠纷调解", "网格服务：代办社保业务")
REDEMPTIONS = (("兑换：洗衣液一瓶", 30), ("兑换：大米 5kg", 50), ("兑换：理发券", 20))


def _months(now: datetime) -> list[tuple[int, int]]:
    local = now.astimezone(SHANGHAI)
    year, month = local.year, local.month
    out = []
    for _ in range(MONTHS_BACK + 1):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(out))


def _moment(rng: random.Random, year: int, month: int, now: datetime) -> datetime:
    start = datetime(year, month, 1, 1, tzinfo=SHANGHAI).astimezone(UTC)
    at = start + timedelta(days=rng.randint(0, 27), hours=rng.randint(0, 12))
    return min(at, now - timedelta(minutes=rng.randint(5, 600)))


def _catalogue(community_id: int) -> list[tuple[str, int, int]]:
    rows = db.session.execute(
        select(PointCategory.name, PointItem.name, PointItemVersion.id, PointItemVersion.points)
        .join(PointItem, PointItem.category_id == PointCategory.id)
        .join(PointItemVersion, PointItemVersion.item_id == PointItem.id)
        .where(PointItem.community_id == community_id, PointItem.direction == "earn")
        .order_by(PointItem.code)
    ).all()
    return [(f"{cat}：{item}", version_id, points) for cat, item, version_id, points in rows]


def history_posted(community_id: int) -> bool:
    """True when this community already holds demo history (posted by an earlier run)."""
    return (
        db.session.scalar(
            select(ledger.LedgerEntry.id)
            .join(ledger.Account, ledger.Account.id == ledger.LedgerEntry.account_id)
            .where(
                ledger.Account.community_id == community_id,
                ledger.LedgerEntry.idempotency_key.startswith(KEY_PREFIX, autoescape=True),
            )
            .limit(1)
        )
        is not None
    )


def seed_points_history(community_id: int, user_ids: list[int], organisation_ids: list[int]) -> int:
    """Post the demo history of these holders once; return how many entries were new."""
    config = current_app.config
    if not config.get("SEED_POINTS_HISTORY", not current_app.testing):
        return 0
    catalogue = _catalogue(community_id)
    if not catalogue or history_posted(community_id):
        return 0
    now = utcnow()
    before = db.session.scalar(select(db.func.count(ledger.LedgerEntry.id)))
    users = db.session.execute(
        select(User.id, User.nickname).where(User.id.in_(user_ids)).order_by(User.id)
    ).all()
    grid_workers = set(
        db.session.scalars(
            select(RoleGrant.user_id).where(
                RoleGrant.community_id == community_id, RoleGrant.role == "grid_worker"
            )
        )
    )
    for user_id, _nickname in users[: max(0, len(users) - QUIET_IDENTITIES)]:
        account = ledger.account_for_user(community_id, user_id)
        _history(account, f"u{user_id}", catalogue, now, service=user_id in grid_workers)
    for org_id in sorted(organisation_ids):
        account = ledger.account_for_organisation(community_id, org_id)
        _history(account, f"o{org_id}", catalogue, now, service=False)
    db.session.commit()
    ranking_rebuild.rebuild_redis(community_id)
    return db.session.scalar(select(db.func.count(ledger.LedgerEntry.id))) - before


def _history(account, holder: str, catalogue, now: datetime, *, service: bool) -> None:
    """Post one holder's months in time order, so history ids follow the calendar."""
    events = []
    for year, month in _months(now):
        label = f"{year}-{month:02d}"
        rng = random.Random(f"{holder}:{label}")
        for n in range(rng.randint(1, 4)):
            reason, version_id, points = rng.choice(catalogue)
            events.append(
                (
                    _moment(rng, year, month, now),
                    "credit",
                    points,
                    reason,
                    f"{KEY_PREFIX}{holder}:{label}:{n}",
                    "import",
                    version_id,
                    label,
                )
            )
        for n in range(rng.randint(2, 5) if service else 0):
            events.append(
                (
                    _moment(rng, year, month, now),
                    "credit",
                    10,
                    rng.choice(SERVICE_REASONS),
                    f"{KEY_PREFIX}{holder}:{label}:svc{n}",
                    "service_log",
                    None,
                    label,
                )
            )
        if rng.random() < 0.3:
            reason, cost = rng.choice(REDEMPTIONS)
            events.append(
                (
                    _moment(rng, year, month, now),
                    "debit",
                    cost,
                    reason,
                    f"{KEY_PREFIX}{holder}:{label}:redeem",
                    "redemption",
                    None,
                    label,
                )
            )
    # Redemptions are decided on this history's own running total, not the live balance, so
    # a second run makes exactly the same choices (and posts nothing new).
    running = 0
    for at, op, points, reason, key, cause_type, version_id, label in sorted(events):
        common = {
            "reason": reason,
            "idempotency_key": key,
            "cause_type": cause_type,
            "cause_id": f"seed:{label}",
            "at": at,
        }
        if op == "credit":
            ledger.credit(account, points, kind="import", item_version_id=version_id, **common)
            running += points
        elif running >= points:
            try:
                ledger.debit(account, points, **common)
                running -= points
            except ledger.InsufficientPoints:
                continue  # the live account spent its points elsewhere meanwhile
