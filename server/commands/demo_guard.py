"""Which databases demo data may go into: a new one, or one that holds only the demo's own data.

The demo recognises its own data by natural keys rather than a marker row: the demo street
and community (code `demo`) and the demo identities, whose openids are derived from the
configured WECHAT_APPID (`stable_id`). Anyone else - a real member who logged in, a street or
community created by an operator - makes the database "not a demo database", and seed-demo
refuses it. What demo identities do inside the demo community stays demo data.
"""

from flask import current_app
from sqlalchemy import func, literal, select

from server.auth.models import User
from server.community.models import Community, Street
from server.db.session import db
from server.wechat.emulator import stable_id

DEMO_STREET_NAME = "幸福街道"
DEMO_COMMUNITY_CODE = "demo"


class NotADemoDatabase(RuntimeError):
    """The database holds data seed-demo did not create; the message is Chinese and English."""


def demo_openids(identities) -> set[str]:
    appid = current_app.config["WECHAT_APPID"]
    return {stable_id(appid, identity, "openid") for identity in identities}


def demo_user(identity: str) -> User | None:
    """The demo's user for `identity` (None before seed-demo made them)."""
    openid = stable_id(current_app.config["WECHAT_APPID"], identity, "openid")
    return db.session.scalar(select(User).where(User.openid == openid))


def database_is_empty() -> bool:
    """True when no application table holds a row (a database `scripts/run` may seed)."""
    for table in db.metadata.sorted_tables:
        if db.session.execute(select(literal(1)).select_from(table).limit(1)).first():
            return False
    return True


def refuse_unless_demo_database(identities) -> None:
    """Raise NotADemoDatabase when the database holds anything the demo did not create."""
    found = []
    others = db.session.scalar(
        select(func.count(User.id)).where(User.openid.not_in(demo_openids(identities)))
    )
    if others:
        found.append((f"{others} 名非演示用户", f"{others} non-demo user(s)"))
    streets = db.session.scalar(
        select(func.count(Street.id)).where(Street.name != DEMO_STREET_NAME)
    )
    if streets:
        found.append((f"{streets} 个非演示街道", f"{streets} other street(s)"))
    communities = db.session.scalar(
        select(func.count(Community.id)).where(Community.code != DEMO_COMMUNITY_CODE)
    )
    if communities:
        found.append((f"{communities} 个非演示社区", f"{communities} other communit(ies)"))
    if found:
        zh = "、".join(z for z, _ in found)
        en = ", ".join(e for _, e in found)
        raise NotADemoDatabase(
            f"数据库中有不是演示数据创建的内容（{zh}），拒绝写入演示数据。\n"
            f"The database holds data seed-demo did not create ({en}); "
            "refusing to add demo data. Use a new database for the demo."
        )
