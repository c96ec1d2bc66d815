"""The console's one xlsx writer (xlsxwriter) and its download answer. Cells are written as
values, never formulas or links: a resident's text starting with "=" stays text in Excel."""

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from urllib.parse import quote

import xlsxwriter
from flask import make_response

from server.platform.localtime import SHANGHAI

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 1_000_000  # a sheet holds 1,048,576 rows


# Text stays text: no formulas, links or numbers made of what a resident typed.
VALUES_ONLY = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


class TooManyRows(Exception):
    pass


def cell(value):
    """A value as Excel shows it: times in Shanghai to the minute, days as YYYY-MM-DD."""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value


def write_xlsx(target, headers: Sequence[str], rows: Iterable[Sequence], *, stream: bool) -> int:
    """Write one sheet to `target` (a path or a file object); the number of rows written.
    `stream`: xlsxwriter's constant-memory mode, each row flushed to disk as written."""
    options = dict(VALUES_ONLY)
    options["constant_memory" if stream else "in_memory"] = True
    book = xlsxwriter.Workbook(target, options)
    sheet = book.add_worksheet("导出")
    sheet.write_row(0, 0, list(headers))
    count = 0
    try:
        for row in rows:
            count += 1
            if count > MAX_ROWS:
                raise TooManyRows()
            sheet.write_row(count, 0, [cell(value) for value in row])
    finally:
        book.close()
    return count


def write_book(target, sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence]]]) -> None:
    """Write several small sheets (title, headers, rows) to one workbook, in memory."""
    book = xlsxwriter.Workbook(target, {**VALUES_ONLY, "in_memory": True})
    try:
        for title, headers, rows in sheets:
            sheet = book.add_worksheet(title)
            sheet.write_row(0, 0, list(headers))
            for number, row in enumerate(rows, start=1):
                sheet.write_row(number, 0, [cell(value) for value in row])
    finally:
        book.close()


def attachment(body, filename: str):
    """An xlsx download; `body` is bytes or a readable stream."""
    response = make_response(body)
    response.headers["Content-Type"] = XLSX
    response.headers["Content-Disposition"] = (
        f"attachment; filename=export.xlsx; filename*=UTF-8''{quote(filename, safe='')}"
    )
    return response
