"""The set-up workbook (docs/templates/communities.xlsx): its sheets and columns, and reading it.

Reading streams each sheet (openpyxl read-only) and stops at the first row past MAX_ROWS, so
an oversized file is refused without being loaded. Cells are parsed to text or integers
here; what the values mean is checked in server/admin/community_import.py.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from zipfile import BadZipFile

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

MAX_ROWS = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
OPTIONAL = "（选填）"  # the template marks optional columns' titles with it


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    required: bool = True
    max_len: int | None = None  # text columns
    integer: bool = False


@dataclass(frozen=True)
class Refusal:
    """One reason the workbook is refused: where (sheet, row, column) and why, in Chinese."""

    sheet: str | None
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }

    def __str__(self) -> str:
        where = [self.sheet or "文件"]
        if self.row:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"“{self.column}”")
        return f"{' '.join(where)}：{self.message}"


COMMUNITY, GRIDS, CATEGORIES, ITEMS, MERCHANTS, OFFERS = (
    "社区", "网格", "积分类别", "积分项目", "商家", "兑换商品",
)  # fmt: skip
SHEETS: dict[str, tuple[Column, ...]] = {
    COMMUNITY: (
        Column("街道", "street", max_len=64),
        Column("区县", "district", max_len=64),
        Column("社区名称", "name", max_len=64),
        Column("社区编码", "code", max_len=32),
    ),
    GRIDS: (Column("网格编码", "code", max_len=32), Column("网格名称", "name", max_len=64)),
    CATEGORIES: (Column("类别编码", "code", max_len=32), Column("类别名称", "name", max_len=32)),
    ITEMS: (
        Column("项目编码", "code", max_len=32),
        Column("项目名称", "name", max_len=64),
        Column("类别编码", "category", max_len=32),
        Column("分值", "points", integer=True),
        Column("每日上限", "daily_cap", required=False, integer=True),
        Column("每月上限", "monthly_cap", required=False, integer=True),
    ),
    MERCHANTS: (
        Column("商家名称", "name", max_len=64),
        Column("类型", "kind", max_len=8),
        Column("地址", "address", required=False, max_len=128),
    ),
    OFFERS: (
        Column("商家名称", "merchant", max_len=64),
        Column("商品名称", "title", max_len=64),
        Column("说明", "description", required=False, max_len=500),
        Column("所需积分", "points_cost", integer=True),
        Column("库存", "stock", integer=True),
        Column("每人限兑", "limit_per_person", required=False, integer=True),
        Column("限兑周期", "limit_period", required=False, max_len=4),
    ),
}


@dataclass
class Row:
    number: int  # as Excel numbers it: the header is row 1
    values: dict[str, Any]


def _parse(column: Column, raw: Any) -> tuple[Any, str | None]:
    """A cell's value (text or int, None when empty) or the reason it cannot be one."""
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        return None, ("不能为空" if column.required else None)
    if column.integer:
        if isinstance(raw, bool):
            return None, "应为整数"
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, str) and raw.isascii() and raw.isdigit():
            raw = int(raw)
        return (raw, None) if isinstance(raw, int) else (None, "应为整数")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a code typed as a number, e.g. 101
    text = str(raw)
    if "\x00" in text:
        return None, "包含无效字符"
    if column.max_len and len(text) > column.max_len:
        return None, f"最多 {column.max_len} 个字"
    return text, None


def _read_sheet(name: str, sheet, refusals: list[Refusal]) -> list[Row]:
    columns = SHEETS[name]
    lines = sheet.iter_rows(values_only=True)
    header = [
        str(v).strip().removesuffix(OPTIONAL).removesuffix("(选填)").strip() if v else ""
        for v in next(lines, ())
    ]
    while header and header[-1] == "":
        header.pop()
    before = len(refusals)
    for title in {t for t in header if t and header.count(t) > 1}:
        refusals.append(Refusal(name, 1, title, "列名重复"))
    for title in header:
        if title not in {c.title for c in columns}:
            refusals.append(Refusal(name, 1, title or None, f"未知的列“{title}”"))
    for column in columns:
        if column.title not in header:
            refusals.append(Refusal(name, 1, column.title, f"缺少列“{column.title}”"))
    if len(refusals) > before:
        return []
    where = {c.key: header.index(c.title) for c in columns}
    rows = []
    for number, values in enumerate(lines, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if number > MAX_ROWS + 1:
            refusals.append(
                Refusal(name, number, None, f"每个工作表最多 {MAX_ROWS} 行数据，已超出上限")
            )
            break
        parsed = {}
        for column in columns:
            index = where[column.key]
            value, problem = _parse(column, values[index] if index < len(values) else None)
            if problem:
                refusals.append(Refusal(name, number, column.title, problem))
            parsed[column.key] = value
        rows.append(Row(number, parsed))
    return rows


def read_workbook(source: str | Path | IO[bytes]) -> tuple[dict[str, list[Row]], list[Refusal]]:
    """Every sheet's rows, and every reason found so far to refuse the file."""
    if isinstance(source, str | Path) and Path(source).stat().st_size > MAX_FILE_BYTES:
        return {}, [Refusal(None, None, None, f"文件不能超过 {MAX_FILE_BYTES // 1024 // 1024} MB")]
    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError, ValueError):
        return {}, [Refusal(None, None, None, "文件不是有效的 xlsx 表格，请使用项目提供的模板")]
    refusals: list[Refusal] = []
    sheets: dict[str, list[Row]] = {}
    try:
        for name in SHEETS:
            if name not in book.sheetnames:
                refusals.append(Refusal(name, None, None, f"缺少工作表“{name}”"))
                continue
            sheets[name] = _read_sheet(name, book[name], refusals)
    except Exception:  # noqa: BLE001 - a damaged sheet's XML can fail in many ways; all mean this
        return {}, [Refusal(None, None, None, "表格内容已损坏，无法读取")]
    finally:
        book.close()
    return sheets, refusals
