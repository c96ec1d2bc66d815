"""What a group is told about an event: the robot message for each routed event type."""

from datetime import datetime

from server.notify import robot
from server.outbox.models import OutboxEvent
from server.platform.localtime import SHANGHAI


def _when(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(SHANGHAI)
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def _task_published(payload: dict) -> dict:
    return robot.markdown(
        "**新的志愿服务任务**\n"
        f"> {payload['title']}\n"
        f"> 时间：{_when(payload['starts_at'])}\n"
        "请打开「红色积分」小程序报名。"
    )


# Event types posted to the groups (the community's, and the grid's when the payload names one).
ROUTED = {"task.published": _task_published}


def message_for(event: OutboxEvent) -> dict:
    return ROUTED[event.event_type](event.payload)
