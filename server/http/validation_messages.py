"""Chinese validation messages for marshmallow, so field errors can be shown to residents.

Imported first by the app package: field instances copy these messages when they are created.
"""

import marshmallow as ma
from marshmallow import validate

ma.fields.Field.default_error_messages.update(
    {"required": "此项为必填", "null": "此项不能为空", "validator_failed": "内容无效"}
)
ma.fields.String.default_error_messages.update(
    {"invalid": "应为文本", "invalid_utf8": "文本编码无效"}
)
ma.fields.Integer.default_error_messages.update({"invalid": "应为整数"})
ma.fields.Number.default_error_messages.update({"invalid": "应为数字", "too_large": "数值过大"})
ma.fields.Float.default_error_messages.update({"special": "数值无效"})
ma.fields.Boolean.default_error_messages.update({"invalid": "应为 true 或 false"})
ma.fields.URL.default_error_messages.update({"invalid": "网址无效"})
ma.fields.Email.default_error_messages.update({"invalid": "邮箱地址无效"})
ma.fields.Date.default_error_messages.update({"invalid": "日期格式无效，应为 YYYY-MM-DD"})
ma.fields.DateTime.default_error_messages.update({"invalid": "时间格式无效"})
ma.fields.List.default_error_messages.update({"invalid": "应为列表"})
ma.fields.Nested.default_error_messages.update({"type": "应为对象"})
ma.fields.Dict.default_error_messages.update({"invalid": "应为对象"})
ma.Schema._default_error_messages = {
    **ma.Schema._default_error_messages,
    "type": "请求内容格式无效",
    "unknown": "不支持的字段",
}
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
