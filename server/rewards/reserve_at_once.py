"""PostgreSQL: a whole reservation as ONE statement on an autocommit connection.

Reserving is the residents' busiest write. On the transactional path (redemption._reserve) it
takes BEGIN, three statements and COMMIT; here the checks, the per-person limit slot, the held
points and their hold, the stock and the redemption row with its outbox event are one statement,
its own transaction: no BEGIN or COMMIT round trip, no session bookkeeping, and no lock held
across a round trip to Python.

The checks in `ok` must never be laxer than redemption._check_reservable and
_covering_account: whatever passes them is committed before Python sees it. Being stricter
only costs the transactional path, which every refusal takes (a caller that is not a member, an
offer out of stock, an Idempotency-Key seen before, a first reservation without an account) to
answer with the right error or to replay.

The writes keep the lock order of the transactional path (see redemption.py): the redemption
row first, so a double tap with the same Idempotency-Key waits on its unique key before
locking anything shared, then the limit counter, the account, and the shared offer row last.
Each step reads the one before it, so it runs only after that step's row is locked. The ids
of the row and of its hold are drawn first, so the row names its hold without being updated
(PostgreSQL updates a row at most once per statement, and its CTEs cannot see each other's
new rows). Every condition is re-checked on the row as it is when locked (READ COMMITTED
re-evaluation), so a concurrent writer can still make a step come back empty after earlier
steps wrote. Then the final SELECT fails the statement on purpose (a cast of RACE to integer)
and PostgreSQL rolls every step back; `run` answers None and the transactional path decides.
A double tap that committed after this statement's snapshot fails it the same way, on the
unique (user_id, client_key), and is then replayed.
"""

from sqlalchemy import Integer, String, bindparam, column, text
from sqlalchemy.exc import DataError, IntegrityError

from server.db.driver_statements import DriverStatement
from server.db.session import db
from server.db.types import UTCDateTime

RACE = "reserve: a step lost a race"

_SQL = f"""
WITH ctx AS (
 SELECT u.is_active, m.community_id AS member_community_id, e.id AS earlier_id,
  o.id AS offer_id, o.community_id, o.merchant_id, o.title, o.image_url, o.points_cost,
  o.stock, o.limit_per_person, o.valid_from, o.valid_until, o.active,
  mc.name AS merchant_name, mc.address AS merchant_address, mc.status AS merchant_status,
  a.id AS account_id, a.balance - a.held AS available,
  CASE o.limit_period WHEN 'quarter' THEN :p_quarter_key ELSE :p_month_key END AS period_key
 FROM users u
 LEFT JOIN memberships m ON m.user_id = u.id
 LEFT JOIN redemptions e ON e.user_id = u.id AND e.client_key = :p_client_key
 LEFT JOIN offers o ON o.id = :p_offer_id
 LEFT JOIN merchants mc ON mc.id = o.merchant_id
 LEFT JOIN point_accounts a ON a.community_id = o.community_id
  AND a.holder_type = 'user' AND a.holder_id = u.id
 WHERE u.id = :p_user_id
), ok AS (
 SELECT * FROM ctx
 WHERE is_active AND member_community_id = community_id AND earlier_id IS NULL
  AND merchant_status = 'approved' AND active
  AND (valid_from IS NULL OR valid_from <= :p_today)
  AND (valid_until IS NULL OR valid_until >= :p_today)
  AND (NOT EXISTS (SELECT FROM redemption_windows w WHERE w.community_id = ctx.community_id)
   OR EXISTS (SELECT FROM redemption_windows w WHERE w.community_id = ctx.community_id
    AND w.starts_on <= :p_today AND w.ends_on >= :p_today))
  AND stock > 0 AND available >= points_cost
), made AS (
 INSERT INTO redemptions (id, community_id, user_id, offer_id, merchant_id, points,
  period_key, counted, status, client_key, hold_id, expires_at, created_at)
 SELECT nextval('redemptions_id_seq'), community_id, :p_user_id, offer_id, merchant_id,
  points_cost, period_key, limit_per_person IS NOT NULL, 'reserved', :p_client_key,
  nextval('point_holds_id_seq'), :p_expires_at, :p_now
 FROM ok
 RETURNING id, hold_id
), slot AS (
 INSERT INTO redemption_counters AS c (user_id, offer_id, period_key, used)
 SELECT :p_user_id, offer_id, period_key, 1 FROM ok, made WHERE limit_per_person IS NOT NULL
 ON CONFLICT (user_id, offer_id, period_key) DO UPDATE SET used = c.used + 1
 WHERE c.used < (SELECT limit_per_person FROM ok)
 RETURNING used
), held AS (
 UPDATE point_accounts a SET held = a.held + ok.points_cost, updated_at = :p_now
 FROM ok, made
 WHERE a.id = ok.account_id AND a.balance - a.held >= ok.points_cost
  AND (ok.limit_per_person IS NULL OR EXISTS (SELECT FROM slot))
 RETURNING a.id
), new_hold AS (
 INSERT INTO point_holds (id, account_id, amount, status, reason, cause_type, cause_id,
  idempotency_key, actor_id, expires_at, created_at)
 SELECT made.hold_id, held.id, ok.points_cost, 'pending', '兑换预约：' || ok.title,
  'redemption', CAST(made.id AS text), 'redemption:' || made.id || '\\:hold', :p_user_id,
  NULL, :p_now
 FROM made, held, ok
 RETURNING id
), taken AS (
 UPDATE offers o SET stock = o.stock - 1, updated_at = :p_now
 WHERE o.id = :p_offer_id AND o.stock > 0 AND EXISTS (SELECT FROM new_hold)
 RETURNING o.id
), told AS (
 INSERT INTO outbox_events (event_type, aggregate_type, aggregate_id, community_id, payload,
  created_at)
 SELECT 'redemption.reserved', 'redemption', CAST(made.id AS text), ok.community_id,
  jsonb_build_object('user_id', CAST(:p_user_id AS integer), 'offer_id', ok.offer_id,
   'merchant_id', ok.merchant_id, 'points', ok.points_cost,
   'expires_at', CAST(:p_expires_iso AS text)),
  :p_now
 FROM made, ok
)
SELECT made.id AS new_id, ok.community_id, ok.offer_id, ok.merchant_id, ok.title,
 ok.image_url, ok.points_cost, ok.merchant_name, ok.merchant_address, ok.period_key,
 CAST(CASE WHEN taken.id IS NULL THEN '{RACE}' END AS integer) AS lost_race
FROM ok LEFT JOIN made ON true LEFT JOIN taken ON true
"""

# Run on the DBAPI connection (server/db/driver_statements.py); the typed binds and result
# columns say what to convert on the way in and out.
_STATEMENT = DriverStatement(
    text(_SQL)
    .bindparams(
        bindparam("p_now", type_=UTCDateTime()),
        bindparam("p_expires_at", type_=UTCDateTime()),
    )
    .columns(
        *(column(name, Integer) for name in ("new_id", "community_id", "offer_id", "merchant_id")),
        *(column(name, String) for name in ("title", "image_url")),
        column("points_cost", Integer),
        *(column(name, String) for name in ("merchant_name", "merchant_address", "period_key")),
        column("lost_race", Integer),
    )
)


def run(params: dict):
    """The reservation's row (new_id and what the answer shows), or None: take the other path.

    Binds: p_user_id, p_offer_id, p_client_key, p_month_key, p_quarter_key, p_today, p_now,
    p_expires_at and p_expires_iso (its isoformat, as the event payload carries it).
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        try:
            return _STATEMENT.execute(conn, params).first()
        except (IntegrityError, DataError) as exc:
            if not _lost_race(exc):
                raise
            conn.rollback()
            return None


def _lost_race(exc: Exception) -> bool:
    """The statement's own refusal, or the double tap's unique key (see the module doc)."""
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state == "22P02":  # invalid_text_representation: the cast of RACE
        return RACE in str(orig)
    diag = getattr(orig, "diag", None)
    return state == "23505" and diag is not None and diag.constraint_name == _KEY_CONSTRAINT


_KEY_CONSTRAINT = "uq_redemptions_user_id_client_key"
