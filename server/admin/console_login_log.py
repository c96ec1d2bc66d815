"""登录日志: the community's console login attempts, for its admins only."""

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from server.admin.console_models import LOG_OUTCOMES, ConsoleLoginLog
from server.auth.models import User
from server.community.authz import authorize
from server.db.session import db
from server.http.errors import BadRequest
from server.http.pagination import Page, paginate_by_id
from server.platform.localtime import SHANGHAI as LOCAL_TZ
from server.platform.masking import mask_name

OUTCOME_LABELS = {
    "ok": "扫码登录成功",
    "link": "链接登录成功",
    "refused_no_role": "无权限被拒绝",
    "expired": "二维码已过期",
    "cancelled": "手机上取消",
}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def list_login_log(
    user: User,
    community_id: int,
    *,
    outcome: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """The community's login log, newest first, filtered by outcome and local dates."""
    authorize(user, community_id=community_id, roles=("admin",), message="仅社区管理员可查看")
    if outcome is not None and outcome not in LOG_OUTCOMES:
        raise BadRequest("登录结果无效", code="invalid_outcome")
    if day_from and day_to and day_from > day_to:
        raise BadRequest("开始日期不能晚于结束日期", code="invalid_date_range")
    stmt = select(ConsoleLoginLog).where(ConsoleLoginLog.community_id == community_id)
    if outcome:
        stmt = stmt.where(ConsoleLoginLog.outcome == outcome)
    if day_from:
        stmt = stmt.where(ConsoleLoginLog.at >= _start_of(day_from))
    if day_to:
        stmt = stmt.where(ConsoleLoginLog.at < _start_of(day_to + timedelta(days=1)))
    page = paginate_by_id(db.session, stmt, ConsoleLoginLog.id, limit, cursor)
    ids = {row.user_id for row in page.items if row.user_id}
    names = {
        u.id: mask_name(u.display_name)
        for u in db.session.scalars(select(User).where(User.id.in_(ids)))
    }
    items = [
        {
            "id": row.id,
            "at": row.at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "user": names.get(row.user_id, "—"),
            "user_id": row.user_id,
            "outcome": row.outcome,
            "outcome_label": OUTCOME_LABELS[row.outcome],
            "ip": row.ip,
            "user_agent": row.user_agent,
        }
        for row in page.items
    ]
    return Page(items, page.next_cursor)
