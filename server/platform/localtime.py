"""The schemes' local time: days, months, quarters and years are counted in Asia/Shanghai."""

from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
