"""What a group is told about an event: which groups hear of each routed event type, and the
robot messages it is posted as."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from server.notify import robot
from server.outbox.models import OutboxEvent
from server.platform.localtime import SHANGHAI


@dataclass(frozen=True)
class Route:
    audience: str  # residents' groups or staff groups (GroupChannel.audience)
    # "named": the community's groups and the grid's named in the payload (grid_id);
    # "all": the community's groups and every grid's.
    grids: str
    build: Callable[[dict, int], dict]  # (payload, part) -> the robot message
    parts: int = 1  # messages an event is posted as, each its own delivery


def _when(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(SHANGHAI)
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def _task_published(payload: dict, _part: int) -> dict:
    return robot.markdown(
        "**新的志愿服务任务**\n"
        f"> {payload['title']}\n"
        f"> 时间：{_when(payload['starts_at'])}\n"
        "请打开「红色积分」小程序报名。"
    )


def _weekly_digest(payload: dict, _part: int) -> dict:
    year, week = payload["week"].split("-W")
    oldest = payload.get("oldest_submitted_at")
    return robot.markdown(
        f"**一周一审核｜{year}年第{int(week)}周**\n"
        f'> 待审核的积分申请：<font color="warning">{payload["pending"]}</font> 条\n'
        + (f"> 最早一条提交于：{_when(oldest)}\n" if oldest else "")
        + "请考评监督小组在「红色积分」小程序或办公台审核。"
    )


def _report_overdue(payload: dict, _part: int) -> dict:
    waiting = "受理" if payload["status"] == "submitted" else "办结"
    return robot.markdown(
        "**随手拍超时提醒**\n"
        f"> 问题 #{payload['report_id']} 已超过{waiting}时限（{_when(payload['due_at'])}）\n"
        "请网格员尽快处理，社区跟进督办。"
    )


@lru_cache(maxsize=16)
def _notice_messages(notice_id: int, _published_at: datetime) -> tuple[dict, dict]:
    """A notice's two messages, built once per process: a notice never changes (a correction
    is a new one), and drawing the poster costs far more than sending it to one more group.
    Keyed with its publication time too, so a reused id (another database) is never mixed up."""
    from server.notices.poster import render_poster
    from server.notices.renderings import group_markdown, notice_by_id, sheet_for

    notice = notice_by_id(notice_id)
    return robot.markdown(group_markdown(notice)), robot.image(render_poster(sheet_for(notice)))


def _notice_published(payload: dict, part: int) -> dict:
    """一月一公示 in the groups: the markdown text, then the poster image."""
    from server.notices.renderings import notice_by_id

    notice = notice_by_id(payload["notice_id"])
    return _notice_messages(notice.id, notice.published_at)[part]


# Event types posted to groups. Personal notices (subscribe messages) are routed elsewhere.
ROUTED: dict[str, Route] = {
    "task.published": Route("residents", "named", _task_published),
    "claims.weekly_digest": Route("staff", "named", _weekly_digest),
    "report.overdue": Route("staff", "named", _report_overdue),
    "notice.published": Route("residents", "all", _notice_published, parts=2),
}


def message_for(event: OutboxEvent, part: int = 0) -> dict:
    return ROUTED[event.event_type].build(event.payload, part)
