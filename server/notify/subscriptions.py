"""What the mini-program asks residents to subscribe to, and the acceptances they gave.

Each accept in wx.requestSubscribeMessage allows one message of its template, at any time
later; they add up, and WeChat offers no way to read how many are left, so they are counted
here (SubscriptionCount) and spent one per message (personal_send.py).
"""

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from server.auth.models import User
from server.db.session import db
from server.db.types import utcnow
from server.http.errors import Unprocessable
from server.notify.subscribe_models import SubscriptionCount
from server.wechat.subscribe_templates import DEV_TEMPLATE_IDS, TEMPLATES

# The taps that ask, and the kinds each asks for (WeChat takes at most 3 per request).
MOMENTS = {
    "signup": ("task_reminder", "task_changed"),
    "claim": ("claim_result",),
    "reserve": ("redemption",),
    "report": ("report_progress",),
    "wish": ("wish_progress",),
}
RESULTS = ("accept", "reject", "ban", "filter")
MAX_RESULTS = 10


def template_ids() -> dict[str, str]:
    """kind -> template id: WECHAT_SUBSCRIBE_TEMPLATES, else the development ids; a kind the
    setting leaves out is never asked for nor sent."""
    configured = current_app.config.get("WECHAT_SUBSCRIBE_TEMPLATES")
    ids = DEV_TEMPLATE_IDS if configured is None else configured
    return {kind: ids[kind] for kind in TEMPLATES if ids.get(kind)}


def subscription_overview(user: User) -> dict:
    """The template ids to ask for at each moment, and the user's unspent acceptances."""
    ids = template_ids()
    counts = dict(
        db.session.execute(
            select(SubscriptionCount.kind, SubscriptionCount.count).where(
                SubscriptionCount.user_id == user.id
            )
        ).all()
    )
    return {
        "moments": {m: [ids[k] for k in kinds if k in ids] for m, kinds in MOMENTS.items()},
        "kinds": [
            {
                "kind": kind,
                "title": TEMPLATES[kind].title,
                "template_id": template_id,
                "remaining": counts.get(kind, 0),
            }
            for kind, template_id in ids.items()
        ],  # fmt: skip
    }


def record_subscription_results(user: User, results: dict[str, str]) -> dict:
    """Count the acceptances of one wx.requestSubscribeMessage: +1 per accepted template.
    A template id this app does not use is refused whole (422), counting nothing."""
    kinds = {template_id: kind for kind, template_id in template_ids().items()}
    unknown = sorted(t for t in results if t not in kinds)
    if unknown:
        raise Unprocessable(
            "订阅消息模板不存在", code="unknown_template", details={"template_ids": unknown}
        )
    accepted = sorted({kinds[t] for t, result in results.items() if result == "accept"})
    if accepted:
        insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
        now = utcnow()
        stmt = insert(SubscriptionCount).values(
            [{"user_id": user.id, "kind": kind, "count": 1, "updated_at": now} for kind in accepted]
        )
        db.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["user_id", "kind"],
                set_={"count": SubscriptionCount.count + 1, "updated_at": now},
            )
        )
        db.session.commit()
    return subscription_overview(user)
