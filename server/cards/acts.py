"""What was done for a card holder, as the holder (or family, once bound) and staff read it."""

from server.auth.models import User
from server.community.acting import acts_for, holder_for
from server.community.card_holder_models import ActOnBehalf, CardHolder
from server.db.session import db
from server.http.errors import NotFound
from server.http.pagination import Page, paginate_by_id
from server.platform.masking import mask_name

ACTION_LABELS = {
    "claim.file": "代为申报积分",
    "task.signup": "代为报名活动",
    "task.cancel": "代为取消报名",
    "task.checkin": "代为签到",
    "task.checkout": "代为签退",
    "redemption.reserve": "代为预约兑换",
    "redemption.cancel": "代为取消兑换",
    "redemption.card_verify": "刷卡核销",
    "service_log.credit": "网格员代记服务",
}


def act_view(act: ActOnBehalf, names: dict[int, str]) -> dict:
    return {
        "id": act.id,
        "action": act.action,
        "action_label": ACTION_LABELS.get(act.action, act.action),
        "actor_name": names.get(act.actor_id, mask_name(None)),
        "target_type": act.target_type,
        "target_id": act.target_id,
        "created_at": act.created_at,
    }


def list_acts(user: User, holder_id: int | None, limit: int, cursor: str | None) -> Page:
    """The caller's own list (a bound holder), or a holder's for staff who may act for them."""
    if holder_id is None or holder_id == user.id:
        if db.session.get(CardHolder, user.id) is None:
            raise NotFound("您不是持卡居民，没有代办记录", code="card_holder_not_found")
        holder_id = user.id
    else:
        holder_for(user, holder_id)
    page = paginate_by_id(db.session, acts_for(holder_id), ActOnBehalf.id, limit, cursor)
    actor_ids = {a.actor_id for a in page.items}
    names = {
        u.id: mask_name(u.display_name)
        for u in db.session.query(User).filter(User.id.in_(actor_ids or [0]))
    }
    page.items = [act_view(a, names) for a in page.items]
    return page
