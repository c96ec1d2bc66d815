"""Demo data: a living community for development, the demo and the benchmarks.

Every step looks rows up by their natural keys first, so running it again adds nothing twice.
It goes only into a database that holds nothing but demo data (`demo_guard`), and the point
history is posted once per database, so a later run (a new month) credits nobody again.
"""

from datetime import date

from flask import current_app
from sqlalchemy import select

from server.auth.models import User
from server.commands.demo_guard import (
    DEMO_COMMUNITY_CODE,
    DEMO_STREET_NAME,
    NotADemoDatabase,  # noqa: F401 - raised by seed_demo, caught by the CLI
    refuse_unless_demo_database,
)
from server.community.models import (
    Community,
    Grid,
    Membership,
    Merchant,
    Organisation,
    RoleGrant,
    Street,
    scope_key_for,
)
from server.db.session import db
from server.points.models import PointCategory, PointItem, PointItemVersion
from server.wechat.emulator import stable_id

GRIDS = [("g1", "第一网格（幸福里）"), ("g2", "第二网格（和平苑）"), ("g3", "第三网格（光明小区）")]

STAFF = {
    "admin": ("王建国", "g1"),
    "reviewer": ("李秀英", "g1"),
    "grid-1": ("陈志强", "g1"),
    "merchant-1": ("刘小红", "g2"),
}
RESIDENT_NAMES = [
    "张伟明", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽华", "周杰", "吴敏",
    "徐强", "孙秀兰", "胡建军", "朱婷", "高明", "林晓燕", "何俊", "郭淑珍", "马超", "罗文",
]  # fmt: skip

ORGANISATIONS = [
    ("幸福路小学", "学校"),
    ("区税务局第二分局", "机关"),
    ("康宁社区卫生服务站", "医院"),
]

# 7 categories x 5 items, worth 5, 10 or 20 points, as the schemes publish them.
CATALOGUE = [
    ("theory", "理论宣讲", [
        ("T01", "参加理论宣讲活动", 10, None),
        ("T02", "参加主题党日活动", 10, None),
        ("T03", "担任理论宣讲员授课", 20, 4),
        ("T04", "参加社区专题讲座", 5, None),
        ("T05", "撰写学习心得并分享", 5, 2),
    ]),
    ("safety", "平安创建", [
        ("S01", "参与治安巡逻", 10, None),
        ("S02", "参与矛盾纠纷调解", 20, None),
        ("S03", "开展反诈宣传", 5, None),
        ("S04", "消防安全隐患排查", 10, None),
        ("S05", "提供有效治安线索", 20, 2),
    ]),
    ("civility", "文明实践", [
        ("C01", "垃圾分类志愿督导", 10, None),
        ("C02", "文明交通劝导", 10, None),
        ("C03", "楼道环境整治", 5, None),
        ("C04", "移风易俗宣传", 5, None),
        ("C05", "获评文明家庭", 20, 1),
    ]),
    ("care", "爱心帮扶", [
        ("H01", "探访独居老人", 10, None),
        ("H02", "助残帮扶服务", 10, None),
        ("H03", "爱心捐赠", 20, 2),
        ("H04", "结对帮扶困难家庭", 20, None),
        ("H05", "义剪义诊便民服务", 5, None),
    ]),
    ("environment", "环境美化", [
        ("E01", "参加小区清洁日", 5, None),
        ("E02", "认养小区绿地", 10, 1),
        ("E03", "清理小广告", 5, None),
        ("E04", "河道巡护", 10, None),
        ("E05", "旧物回收再利用", 5, None),
    ]),
    ("neighbour", "邻里互助", [
        ("N01", "为高龄老人代买代办", 5, None),
        ("N02", "邻里纠纷劝和", 10, None),
        ("N03", "爱心接送留守儿童", 10, None),
        ("N04", "共享工具与技能", 5, None),
        ("N05", "参加邻里节活动", 5, None),
    ]),
    ("governance", "社区治理", [
        ("G01", "参加居民议事会", 10, None),
        ("G02", "随手拍上报问题并被采纳", 5, 10),
        ("G03", "参与应急值守", 20, None),
        ("G04", "参与社区民意调查", 5, 1),
        ("G05", "担任楼栋长履职", 20, 1),
    ]),
]  # fmt: skip

# Demo roles: identity -> [(role, scope)]
ROLES = {
    "admin": [("admin", {}), ("party_member", {"party_kind": "在职"})],
    "reviewer": [("reviewer", {}), ("party_member", {"party_kind": "在职"})],
    "grid-1": [("grid_worker", {"grid": "g1"})],
    "merchant-1": [("merchant_staff", {"merchant": "幸福社区积分超市"})],
    "resident-1": [("party_member", {"party_kind": "在职"})],
    "resident-2": [("party_member", {"party_kind": "自管"})],
    "resident-3": [("party_member", {"party_kind": "流动"})],
    "resident-19": [("org_staff", {"organisation": "幸福路小学"})],
}


def _get_or_create(model, defaults: dict | None = None, **keys):
    row = db.session.scalar(select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
        _counts[model.__tablename__] = _counts.get(model.__tablename__, 0) + 1
    return row


_counts: dict[str, int] = {}


def demo_identities() -> list[str]:
    """Every identity the demo creates, staff first, in creation order."""
    return [*STAFF, *(f"resident-{n}" for n in range(1, len(RESIDENT_NAMES) + 1))]


def seed_demo() -> dict[str, int]:
    """Create the demo street, community, grids, people, roles, merchant and catalogue.

    Raises NotADemoDatabase (and writes nothing) when the database holds anything else.
    """
    _counts.clear()
    refuse_unless_demo_database(demo_identities())
    appid = current_app.config["WECHAT_APPID"]
    street = _get_or_create(Street, {"district": "示范区"}, name=DEMO_STREET_NAME)
    community = _get_or_create(
        Community, {"street_id": street.id, "name": "幸福社区"}, code=DEMO_COMMUNITY_CODE
    )
    grids = {
        code: _get_or_create(Grid, {"name": name}, community_id=community.id, code=code)
        for code, name in GRIDS
    }
    orgs = {
        name: _get_or_create(Organisation, {"kind": kind}, community_id=community.id, name=name)
        for name, kind in ORGANISATIONS
    }
    merchants = {
        "幸福社区积分超市": _get_or_create(
            Merchant,
            {
                "kind": "supermarket",
                "status": "approved",
                "address": "幸福路 88 号社区服务中心一楼",
            },
            community_id=community.id,
            name="幸福社区积分超市",
        )
    }

    people = dict(STAFF)
    grid_codes = [code for code, _ in GRIDS]
    for n, name in enumerate(RESIDENT_NAMES, start=1):
        people[f"resident-{n}"] = (name, grid_codes[(n - 1) % len(grid_codes)])
    users = {}
    for identity, (name, grid_code) in people.items():
        user = _get_or_create(
            User,
            {"nickname": identity, "real_name": name},
            openid=stable_id(appid, identity, "openid"),
        )
        users[identity] = user
        _get_or_create(
            Membership,
            {"community_id": community.id, "grid_id": grids[grid_code].id},
            user_id=user.id,
        )

    for identity, roles in ROLES.items():
        for role, scope in roles:
            grid_id = grids[scope["grid"]].id if "grid" in scope else None
            merchant_id = merchants[scope["merchant"]].id if "merchant" in scope else None
            org_id = orgs[scope["organisation"]].id if "organisation" in scope else None
            _get_or_create(
                RoleGrant,
                {
                    "grid_id": grid_id,
                    "merchant_id": merchant_id,
                    "organisation_id": org_id,
                    "party_kind": scope.get("party_kind"),
                },
                user_id=users[identity].id,
                community_id=community.id,
                role=role,
                scope_key=scope_key_for(grid_id, merchant_id, org_id),
            )

    start = date(2026, 1, 1)
    for sort, (cat_code, cat_name, items) in enumerate(CATALOGUE):
        category = _get_or_create(
            PointCategory,
            {"name": cat_name, "sort_order": sort},
            community_id=community.id,
            code=cat_code,
        )
        for code, name, points, monthly_cap in items:
            item = _get_or_create(
                PointItem,
                {"category_id": category.id, "name": name, "monthly_cap": monthly_cap},
                community_id=community.id,
                code=code,
            )
            _get_or_create(
                PointItemVersion, {"points": points}, item_id=item.id, effective_from=start
            )

    from server.rewards.seed import seed_rewards

    _counts.update(seed_rewards(community))
    from server.points.seed_history import seed_points_history

    holders = [users[identity].id for identity in demo_identities()]
    if new_entries := seed_points_history(community.id, holders, [o.id for o in orgs.values()]):
        _counts["ledger_entries"] = new_entries
    from server.tasks.seed import seed_tasks

    _counts.update(seed_tasks(community))
    from server.commands.seed_grid import seed_grid

    _counts.update(seed_grid(community))  # commits as its services do
    from server.commands.seed_cards import seed_cards

    _counts.update(seed_cards(community))
    from server.commands.seed_claims import seed_claims

    _counts.update(seed_claims(community))
    db.session.commit()
    from server.notices.snapshot import publish_due_notices

    # The history's finished months (and quarters) get their notices, as the scheduler would.
    if published := publish_due_notices():
        _counts["notices"] = published
    return dict(_counts)
