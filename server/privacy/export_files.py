"""The data export as an xlsx workbook: a 说明 sheet, then one sheet per section."""

import io
import json

from server.admin.xlsx_files import write_book
from server.auth.models import User
from server.privacy import export

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value):
    """Lists (photo ids) and other structures as text; xlsx cells hold scalars only."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def export_xlsx(user: User) -> tuple[bytes, str]:
    """The caller's export as xlsx bytes and its file name."""
    data = export.collect(user)
    sections = data["sections"]
    about = [
        (s["title"], s["name"], len(s["items"]), "是" if s["capped"] else "否") for s in sections
    ]
    sheets = [
        (
            "说明",
            ["内容", "英文名", "条数", f"是否超过{data['row_cap']}条仅导出最新部分"],
            [("导出时间（UTC）", data["generated_at"].isoformat(), "", ""), *about],
        )
    ]
    for s in sections:
        rows = [[_text(item.get(c)) for c in s["columns"]] for item in s["items"]]
        if s["capped"]:
            rows.append([f"仅导出最新 {data['row_cap']} 条，更早的记录未包含"])
        sheets.append((s["title"], s["columns"], rows))
    out = io.BytesIO()
    write_book(out, sheets)
    return out.getvalue(), f"my-data-{user.id}.xlsx"
