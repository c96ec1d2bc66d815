"""Registering the community's and the grids' WeCom group robots (admins).

A pasted webhook URL is reduced to its key; the key is checked by a real test message before
the channel is kept (a key WeCom refuses is not stored), then shown only as its last four
characters. A channel is deactivated, never deleted: its deliveries keep pointing at it.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.authz import authorize, require_membership
from server.community.models import Community, Grid
from server.db.audit import record_audit
from server.db.session import db, get_by_id
from server.db.types import utcnow
from server.http.errors import Conflict, NotFound, Unprocessable
from server.http.pagination import Page, paginate_by_id
from server.notify import robot, robot_rate
from server.notify.channel_models import AUDIENCES, GroupChannel


class RobotKeyRejected(Unprocessable):
    code, message = (
        "robot_key_rejected",
        "企业微信拒绝了这个群机器人地址，请在群里重新复制 Webhook 地址",
    )


def _admin_community(actor: User) -> int:
    community_id = require_membership(actor).community_id
    authorize(
        actor, community_id=community_id, roles=("admin",), message="只有社区管理员可以管理群机器人"
    )
    return community_id


def channel_view(channel: GroupChannel, grids: dict[int, str] | None = None) -> dict:
    grid_name = None
    if channel.grid_id is not None:
        grid_name = (grids or {}).get(channel.grid_id) or db.session.get(Grid, channel.grid_id).name
    return {
        "id": channel.id,
        "name": channel.name,
        "grid": {"id": channel.grid_id, "name": grid_name} if channel.grid_id else None,
        "audience": channel.audience,
        "key_hint": channel.key_hint,
        "active": channel.active,
        "created_at": channel.created_at,
    }


def register_channel(
    actor: User, *, key: str, name: str, grid_id: int | None = None, audience: str = "residents"
) -> GroupChannel:
    """Add a group robot for the community (or one of its grids), after a test message.
    `audience` says who is in the group: residents (tasks, notices) or staff (the weekly
    review digest, overdue reports)."""
    community_id = _admin_community(actor)
    robot_key = robot.parse_key(key)
    name = name.strip()
    if not name:
        raise Unprocessable("请填写群名称", code="name_required")
    if audience not in AUDIENCES:
        raise Unprocessable("群类型只能是居民群或工作群", code="unknown_audience")
    if grid_id is not None:
        grid = get_by_id(Grid, grid_id)
        if grid is None or grid.community_id != community_id:
            raise Unprocessable("网格不存在", code="unknown_grid", details={"grid_id": grid_id})
    exists = db.session.scalar(
        select(GroupChannel.id).where(
            GroupChannel.community_id == community_id, GroupChannel.robot_key == robot_key
        )
    )
    if exists is not None:
        raise Conflict("这个群机器人已经登记过了", code="channel_exists", details={"id": exists})
    community = db.session.get(Community, community_id)
    db.session.rollback()  # no transaction held across WeCom's answer
    what = "任务和公示" if audience == "residents" else "每周待审核汇总和超时问题提醒"
    hello = robot.text(f"【红色积分】{community.name}「{name}」已接入，{what}将推送到本群。")
    if robot_rate.admit(robot_key):  # the robot's minute is full: no test message now
        result = robot.SendResult("skipped")
    else:
        result = robot.send(robot_key, hello)
    if result.outcome == "permanent":
        raise RobotKeyRejected(details={"errcode": result.errcode})
    channel = GroupChannel(
        community_id=community_id,
        grid_id=grid_id,
        name=name,
        audience=audience,
        robot_key=robot_key,
        key_hint=robot.key_hint(robot_key),
        created_by=actor.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(channel)
    except IntegrityError:
        raise Conflict("这个群机器人已经登记过了", code="channel_exists") from None
    record_audit(
        actor_id=actor.id,
        action="group_channel.create",
        target_type="group_channel",
        target_id=channel.id,
        community_id=community_id,
        after={"name": name, "grid_id": grid_id, "audience": audience, "key_hint": channel.key_hint,
               "test_message": result.outcome},
    )  # fmt: skip
    db.session.commit()
    return channel


def list_channels(actor: User, limit: int, cursor: str | None) -> Page:
    community_id = _admin_community(actor)
    stmt = select(GroupChannel).where(GroupChannel.community_id == community_id)
    page = paginate_by_id(db.session, stmt, GroupChannel.id, limit, cursor)
    grids = dict(
        db.session.execute(
            select(Grid.id, Grid.name).where(Grid.community_id == community_id)
        ).all()
    )
    page.items = [channel_view(c, grids) for c in page.items]
    return page


def deactivate_channel(actor: User, channel_id: int) -> GroupChannel:
    """Stop posting to a group; pending deliveries to it are given up (dead, with a reason)."""
    community_id = _admin_community(actor)
    channel = get_by_id(GroupChannel, channel_id)
    if channel is None or channel.community_id != community_id:
        raise NotFound("群机器人不存在", code="channel_not_found")
    if channel.active:
        from server.notify.deliveries import give_up_channel

        channel.active, channel.deactivated_at = False, utcnow()
        give_up_channel(channel.id, "群机器人已停用")
        record_audit(
            actor_id=actor.id,
            action="group_channel.deactivate",
            target_type="group_channel",
            target_id=channel.id,
            community_id=community_id,
            before={"active": True},
            after={"active": False},
        )
    db.session.commit()
    return channel
