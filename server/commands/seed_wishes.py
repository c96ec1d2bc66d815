"""Demo 微心愿: wishes in every state, walked through the grid's wish services.

A wish is found by (resident, title) before it is posted; only a new one takes its steps
(review, claim by a party member, an organisation or a shop, hand back, fulfil with a photo,
confirm with thanks, withdraw, expire), so the events, audit rows and the fulfiller's credit
are the real ones and a second run adds and credits nothing. Called by seed_grid.
"""

import io
from datetime import timedelta

from PIL import Image
from sqlalchemy import select

from server.commands.demo_guard import demo_user
from server.community.models import Community, Merchant, Organisation
from server.db.session import db
from server.grid.wish_models import Wish
from server.platform.localtime import local_today

# resident, title (unique per resident), details, days until needed_by, beneficiary, steps.
# Steps: approve[:grid], reject, claim:<identity>, claim:org, claim:shop, hand_back, fulfil,
# confirm, cancel, expire. The reviewer reviews; claimers never review what they claim.
WISHES = [
    ("resident-4", "帮独居老人更换厨房水龙头", "水龙头一直滴水，老人自己换不了", 10, "郭阿姨",
     []),
    ("resident-7", "想找一位数学辅导志愿者", "孩子初二，每周六上午辅导一小时", 20, "孙子",
     ["reject"]),
    ("resident-10", "为楼道老人代购一周蔬菜", "老人腿脚不便，每周一次即可", 7, "楼道老人",
     ["approve"]),
    ("resident-13", "给患病邻居借一台轮椅", "邻居术后需要轮椅一个月", 14, "邻居王叔",
     ["approve:grid"]),
    ("resident-16", "周末陪伴自闭症儿童画画", "孩子喜欢画画，需要有耐心的志愿者", 12, "儿子",
     ["approve", "claim:resident-1"]),
    ("resident-5", "为光明小区老人义务理发", "小区有十几位行动不便的老人", 15, "小区老人",
     ["approve", "claim:org"]),
    ("resident-8", "修理家里漏电的插座", "厨房插座一插电就跳闸", 9, "本人",
     ["approve", "claim:resident-2", "fulfil"]),
    ("resident-11", "给孙女买一套课外读物", "孙女三年级，想要科普类图书", 8, "孙女",
     ["approve", "claim:shop", "fulfil", "confirm"]),
    ("resident-14", "帮忙搬运旧家具到回收点", "一个旧衣柜和两把椅子", 6, "本人",
     ["approve", "claim:resident-3", "fulfil", "confirm"]),
    ("resident-17", "为腿脚不便的老人取药", "每月一次到社区卫生服务站取药", 5, "老伴",
     ["approve", "claim:resident-1", "hand_back"]),
    ("resident-20", "想学用智能手机视频通话", "想和外地的女儿视频", 20, "本人", ["cancel"]),
    ("resident-6", "今天下午需要人帮忙接孩子放学", "临时加班，孩子在幸福路小学", 0, "女儿",
     ["approve", "expire"]),
]  # fmt: skip
REJECT_REASON = "该需求属于有偿家教服务，不在微心愿范围内"
HAND_BACK_REASON = "临时出差，无法按时完成，请其他党员认领"
FULFIL_NOTE = "已按约定完成，照片为现场记录"
THANKS = "太感谢了，社区的温暖我们记在心里"
ORGANISATION, SHOP = "幸福路小学", "幸福社区积分超市"
# Who acts for the organisation and the shop (their staff in seed_demo.ROLES).
ORG_STAFF, SHOP_STAFF = "resident-19", "merchant-1"


def _photo(user):
    """A small generated photo of the fulfilment, stored like any upload."""
    from server.uploads.service import save_upload

    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 60, 50)).save(buffer, "PNG")
    buffer.seek(0)
    return save_upload(user, buffer).id


def _claimer(community: Community, spec: str) -> tuple[str, dict]:
    """The identity that claims and the claim's organisation or shop."""
    if spec == "org":
        org_id = db.session.scalar(
            select(Organisation.id).where(
                Organisation.community_id == community.id, Organisation.name == ORGANISATION
            )
        )
        return ORG_STAFF, {"organisation_id": org_id}
    if spec == "shop":
        shop_id = db.session.scalar(
            select(Merchant.id).where(Merchant.community_id == community.id, Merchant.name == SHOP)
        )
        return SHOP_STAFF, {"merchant_id": shop_id}
    return spec, {}


def _walk(community: Community, wish_id: int, resident: str, steps: list[str]) -> None:
    from server.grid import wish_claims as claims
    from server.grid import wishes
    from server.grid.wish_expiry import expire_wishes

    reviewer, claimer = demo_user("reviewer"), None
    for step in steps:
        name, _, arg = step.partition(":")
        if name == "approve":
            audience = arg or "community"
            wishes.approve_wish(reviewer, wish_id, audience=audience)
        elif name == "reject":
            wishes.reject_wish(reviewer, wish_id, REJECT_REASON)
        elif name == "claim":
            identity, on_behalf = _claimer(community, arg)
            claimer = demo_user(identity)
            claims.claim_wish(claimer, wish_id, **on_behalf)
        elif name == "hand_back":
            claims.hand_back(claimer, wish_id, HAND_BACK_REASON)
        elif name == "fulfil":
            claims.fulfil_wish(claimer, wish_id, note=FULFIL_NOTE, photo_ids=[_photo(claimer)])
        elif name == "confirm":
            claims.confirm_wish(demo_user(resident), wish_id, THANKS)
        elif name == "cancel":
            wishes.cancel_wish(demo_user(resident), wish_id)
        elif name == "expire":
            # The periodic job, run as of tomorrow: this wish (due today) is past its day.
            # Only in the run that posts it, so a later run expires nothing early.
            expire_wishes(today=local_today() + timedelta(days=1))


def seed_wishes(community: Community) -> dict[str, int]:
    """Post the demo wishes that do not exist yet and walk each to its state."""
    from server.grid.wishes import post_wish

    added = 0
    for resident, title, details, days, beneficiary, steps in WISHES:
        user = demo_user(resident)
        exists = db.session.scalar(
            select(Wish.id).where(Wish.resident_id == user.id, Wish.title == title)
        )
        if exists is not None:
            continue
        wish = post_wish(
            user,
            title=title,
            details=details,
            needed_by=local_today() + timedelta(days=days),
            place="幸福社区",
            beneficiary=beneficiary,
        )
        _walk(community, wish.id, resident, steps)
        added += 1
    return {"wishes": added}
