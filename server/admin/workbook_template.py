"""The set-up template shipped as docs/templates/communities.xlsx (`flask setup template`).

Its example rows describe a small but complete community and import as they are, so a
committee can replace them row by row.
"""

from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from server.admin.workbook import (
    CATEGORIES,
    COMMUNITY,
    GRIDS,
    ITEMS,
    MAX_ROWS,
    MERCHANTS,
    OFFERS,
    OPTIONAL,
    SHEETS,
)

EXAMPLE_ROWS: dict[str, list[tuple]] = {
    COMMUNITY: [("红星街道", "示范区", "红旗社区", "hongqi")],
    GRIDS: [("g1", "第一网格（红旗里）"), ("g2", "第二网格（向阳苑）")],
    CATEGORIES: [("theory", "理论宣讲"), ("safety", "平安创建"), ("civility", "文明实践")],
    ITEMS: [
        ("T01", "参加理论宣讲活动", "theory", 10, None, None),
        ("T02", "担任理论宣讲员授课", "theory", 20, 1, 4),
        ("S01", "参与治安巡逻", "safety", 10, 2, None),
        ("S02", "开展反诈宣传", "safety", 5, None, None),
        ("C01", "垃圾分类志愿督导", "civility", 10, 1, None),
        ("C02", "楼道环境整治", "civility", 5, 3, 20),
    ],
    MERCHANTS: [
        ("红旗社区积分超市", "积分超市", "红旗路 1 号社区服务中心"),
        ("向阳理发店", "商居联盟", "向阳路 12 号"),
    ],
    OFFERS: [
        ("红旗社区积分超市", "洗衣液 1 瓶", "2 升装", 50, 100, 2, "月"),
        ("红旗社区积分超市", "大米 5 斤", "", 120, 40, 1, "季度"),
        ("向阳理发店", "理发一次", "工作日可用", 80, 20, 1, "月"),
    ],
}

GUIDE = [
    ("红色积分 · 社区建档模板", ""),
    ("用法", "按各工作表的表头填写，每行一条；示例行可直接修改或删除。"),
    ("导入", "flask --app server setup import 本文件.xlsx（全部通过才写入，任何一处有误都不导入）"),
    ("社区", "只填一行：街道、区县、社区名称、社区编码（字母、数字、- 或 _）。"),
    ("网格", "网格编码在本社区内不能重复。"),
    ("积分类别", "类别编码不能重复。"),
    ("积分项目", "分值只能是 5、10 或 20；每日上限、每月上限可留空（留空：每天限申报一次）。"),
    ("商家", "类型填“积分超市”或“商居联盟”。"),
    ("兑换商品", "商家名称须在“商家”表中；限兑周期填“月”或“季度”（留空为月）。"),
    ("上限", f"每个工作表最多 {MAX_ROWS} 行数据。"),
]


def write_template(path: str | Path) -> Path:
    """Write the template (a guide sheet, then one sheet per part with its example rows)."""
    book = Workbook()
    guide = book.active
    guide.title = "说明"
    for line in GUIDE:
        guide.append(line)
    guide["A1"].font = Font(bold=True, size=14)
    guide.column_dimensions["A"].width = 12
    guide.column_dimensions["B"].width = 90
    for name, columns in SHEETS.items():
        sheet = book.create_sheet(name)
        sheet.append([c.title + ("" if c.required else OPTIONAL) for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for index, column in enumerate(columns):
            width = 12 if column.integer else 24
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        for row in EXAMPLE_ROWS[name]:
            sheet.append(list(row))
    # Fixed document times, so regenerating it changes nothing a reader can see.
    book.properties.created = book.properties.modified = datetime(2026, 12, 7)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
