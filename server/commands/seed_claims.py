"""Demo claims: resident-1's 我的申报 in every state a resident meets — one approved, one
rejected with the reviewer's reason (so 修改后重新提交 can be walked), one waiting.

Filed and decided through the points services (submit_claim, decide_claim), so the audit
rows, events and the credit are the real ones. A claim is found by (resident, description)
first: a second run files and decides nothing. Skipped in tests unless SEED_DEMO_GRID is set,
like the rest of the demo's activity.
"""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from server.commands.demo_guard import demo_user
from server.community.models import Community
from server.db.session import db
from server.platform.localtime import local_today
from server.points.claim_models import PointClaim
from server.points.claim_review import decide_claim
from server.points.claims import submit_claim
from server.points.models import PointItem

# resident, item code, days ago, description, decision (None: waiting), reason.
CLAIMS = [
    ("resident-1", "C01", 6, "在幸福里 3 号投放点督导垃圾分类两小时", "approve", None),
    ("resident-1", "H01", 4, "探访 5 栋独居的郭阿姨，帮她整理药品", "reject",
     "照片看不出探访内容，请补充与老人合影或探访记录后重新提交"),
    ("resident-1", "C03", 1, "清理 2 单元楼道堆放的杂物", None, None),
]  # fmt: skip


def seed_claims(community: Community) -> dict[str, int]:
    """File (and decide) the demo claims that do not exist yet; the number filed."""
    if not current_app.config.get("SEED_DEMO_GRID", not current_app.testing):
        return {}
    reviewer, today, filed = demo_user("reviewer"), local_today(), 0
    items = dict(
        db.session.execute(
            select(PointItem.code, PointItem.id).where(PointItem.community_id == community.id)
        ).all()
    )
    for identity, code, days_ago, text, decision, reason in CLAIMS:
        resident = demo_user(identity)
        exists = db.session.scalar(
            select(PointClaim.id).where(
                PointClaim.claimant_id == resident.id, PointClaim.description == text
            )
        )
        if exists:
            continue
        claim = submit_claim(
            resident,
            item_id=items[code],
            occurred_on=today - timedelta(days=days_ago),
            description=text,
        )
        db.session.commit()
        if decision:
            decide_claim(reviewer, claim.id, decision, reason)
        filed += 1
    return {"claims": filed} if filed else {}
