"""The subscribe-message templates this mini-program picked in WeChat's console, and WeChat's
limits on their values.

A template is chosen from WeChat's public library with its keywords; the keywords fix the
field names (`thing1`, `time2` …) and their types. Production sets each kind's template id in
WECHAT_SUBSCRIBE_TEMPLATES; development and tests use DEV ids, which the emulator knows.
`build_data` is the one place that turns a kind's values into the `data` WeChat takes, cut to
its limits (counted in characters, not bytes) rather than refused.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from server.platform.localtime import SHANGHAI

# WeChat's limits in characters; `phrase` is at most 5 Chinese characters.
LIMITS = {
    "thing": 20,
    "phrase": 5,
    "name": 10,
    "symbol": 5,
    "number": 32,
    "letter": 32,
    "character_string": 32,
    "phone_number": 17,
    "car_number": 8,
}
TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")
DATE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Template:
    title: str
    dev_id: str
    fields: tuple[tuple[str, str], ...]  # (field name, label); the type is the name's letters

    def types(self) -> dict[str, str]:
        return {name: field_type(name) for name, _label in self.fields}


def field_type(name: str) -> str:
    """`thing1` → `thing`, `character_string3` → `character_string`."""
    return name.rstrip("0123456789")


TEMPLATES: dict[str, Template] = {
    "task_reminder": Template(
        "活动开始提醒",
        "RP-dev-task-reminder",
        (
            ("thing1", "活动名称"),
            ("time2", "开始时间"),
            ("thing3", "活动地点"),
            ("thing4", "温馨提示"),
        ),
    ),
    "task_changed": Template(
        "活动变更通知",
        "RP-dev-task-changed",
        (
            ("thing1", "活动名称"),
            ("phrase2", "变更类型"),
            ("time3", "活动时间"),
            ("thing4", "变更说明"),
        ),
    ),
    "claim_result": Template(
        "积分审核结果通知",
        "RP-dev-claim-result",
        (("thing1", "申请事项"), ("phrase2", "审核结果"), ("number3", "积分"), ("thing4", "备注")),
    ),
    "redemption": Template(
        "兑换状态提醒",
        "RP-dev-redemption",
        (("thing1", "兑换商品"), ("phrase2", "兑换状态"), ("number3", "积分"), ("time4", "时间")),
    ),
    "report_progress": Template(
        "问题处理进度通知",
        "RP-dev-report-progress",
        (
            ("character_string1", "问题编号"),
            ("thing2", "问题类型"),
            ("phrase3", "处理状态"),
            ("time4", "更新时间"),
            ("thing5", "备注"),
        ),
    ),
    "wish_progress": Template(
        "心愿进度通知",
        "RP-dev-wish-progress",
        (("thing1", "心愿名称"), ("phrase2", "心愿状态"), ("thing3", "温馨提示")),
    ),
}
KINDS = tuple(TEMPLATES)
DEV_TEMPLATE_IDS = {kind: t.dev_id for kind, t in TEMPLATES.items()}


def _cut(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis


def fit(kind_of_field: str, value) -> str:
    """One value as WeChat takes it for a field of this type, cut to fit."""
    if kind_of_field == "time":
        at = datetime.fromisoformat(value) if isinstance(value, str) else value
        return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if kind_of_field == "date":
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return f"{day.year}年{day.month}月{day.day}日"
    text = " ".join(str(value if value is not None else "").split())  # no line breaks
    if kind_of_field == "number":
        return text if NUMBER.match(text) else "0"
    limit = LIMITS[kind_of_field]
    if kind_of_field in ("character_string", "letter"):
        text = "".join(c for c in text if c.isascii())  # letters, digits and symbols only
        return _cut(text, limit, "") or "-"
    return _cut(text or "无", limit)


def build_data(kind: str, values: dict) -> dict:
    """The `data` of a subscribe message of `kind`: every field of its template, each cut to
    its type's limit; a missing value is a programming error (KeyError)."""
    template = TEMPLATES[kind]
    return {
        name: {"value": fit(field_type(name), values[name])} for name, _label in template.fields
    }
