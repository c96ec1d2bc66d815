"""Chinese validation messages for marshmallow and webargs, so every field error can be shown
to residents as it is.

Imported first by the app package: field instances copy these messages when they are created.
Every default message of every marshmallow field and validator is replaced, not only those our
schemas use today, so a new field cannot bring an English message back
(tests/http/test_messages.py walks them all).
"""

import marshmallow as ma
from marshmallow import fields, validate
from webargs import core
from webargs import fields as webargs_fields

_AWARENESS = "时间须带时区偏移，例如 2026-06-01T09:00:00+08:00"
_FORMAT = "无法格式化该值"

FIELD_MESSAGES: dict[type, dict[str, str]] = {
    fields.Field: {
        "required": "此项为必填",
        "null": "此项不能为空",
        "validator_failed": "内容无效",
    },
    fields.Nested: {"type": "应为对象"},
    fields.List: {"invalid": "应为列表"},
    fields.Tuple: {"invalid": "应为固定长度的列表"},
    fields.String: {"invalid": "应为文本", "invalid_utf8": "文本编码无效"},
    fields.UUID: {"invalid_uuid": "应为 UUID"},
    fields.Number: {"invalid": "应为数字", "too_large": "数值过大"},
    fields.Integer: {"invalid": "应为整数"},
    fields.Float: {"special": "数值无效（不能为 NaN 或无穷大）"},
    fields.Decimal: {"special": "数值无效（不能为 NaN 或无穷大）"},
    fields.Boolean: {"invalid": "应为 true 或 false"},
    fields.DateTime: {
        "invalid": "时间格式无效，应为 ISO 8601，例如 2026-06-01T09:00:00+08:00",
        "invalid_awareness": _AWARENESS,
        "format": _FORMAT,
    },
    fields.NaiveDateTime: {"invalid_awareness": "时间不能带时区偏移"},
    fields.AwareDateTime: {"invalid_awareness": _AWARENESS},
    fields.Time: {
        "invalid": "时刻格式无效，应为 HH:MM:SS",
        "invalid_awareness": "时刻格式无效",
        "format": _FORMAT,
    },
    fields.Date: {
        "invalid": "日期格式无效，应为 YYYY-MM-DD",
        "invalid_awareness": "日期格式无效，应为 YYYY-MM-DD",
        "format": _FORMAT,
    },
    fields.TimeDelta: {"invalid": "时长无效", "format": _FORMAT},
    fields.Mapping: {"invalid": "应为对象"},
    fields.Url: {"invalid": "网址无效"},
    fields.Email: {"invalid": "邮箱地址无效"},
    fields.IP: {"invalid_ip": "IP 地址无效"},
    fields.IPv4: {"invalid_ip": "IPv4 地址无效"},
    fields.IPv6: {"invalid_ip": "IPv6 地址无效"},
    fields.IPInterface: {"invalid_ip_interface": "IP 网段无效"},
    fields.IPv4Interface: {"invalid_ip_interface": "IPv4 网段无效"},
    fields.IPv6Interface: {"invalid_ip_interface": "IPv6 网段无效"},
    fields.Enum: {"unknown": "应为以下之一：{choices}"},
    webargs_fields.DelimitedList: {"invalid": "应为以逗号分隔的列表"},
    webargs_fields.DelimitedTuple: {"invalid": "应为以逗号分隔的固定长度列表"},
}

for _cls, _messages in FIELD_MESSAGES.items():
    # A dict of the class's own: updating an inherited one would change its parent's too.
    _cls.default_error_messages = {**_cls.__dict__.get("default_error_messages", {}), **_messages}

ma.Schema._default_error_messages = {
    **ma.Schema._default_error_messages,
    "type": "请求内容格式无效",
    "unknown": "不支持的字段",
}
core.Parser.DEFAULT_VALIDATION_MESSAGE = "内容无效"

validate.Length.message_min = "长度不能少于 {min}"
validate.Length.message_max = "长度不能超过 {max}"
validate.Length.message_all = "长度应在 {min} 到 {max} 之间"
validate.Length.message_equal = "长度应为 {equal}"
# Range formats these twice (first with the operator words), hence the doubled braces.
validate.Range.message_min = "应{min_op} {{min}}"
validate.Range.message_max = "应{max_op} {{max}}"
validate.Range.message_all = "应{min_op} {{min}} 且{max_op} {{max}}"
validate.Range.message_gte = "大于或等于"
validate.Range.message_gt = "大于"
validate.Range.message_lte = "小于或等于"
validate.Range.message_lt = "小于"
validate.OneOf.default_message = "应为以下之一：{choices}"
validate.NoneOf.default_message = "不能为该值"
validate.ContainsOnly.default_message = "只能从以下选择：{choices}"
validate.ContainsNoneOf.default_message = "不能包含：{values}"
validate.Equal.default_message = "应等于 {other}"
validate.Regexp.default_message = "格式不正确"
validate.Predicate.default_message = "内容无效"
validate.URL.default_message = "网址无效"
validate.Email.default_message = "邮箱地址无效"
