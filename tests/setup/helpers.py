"""Helpers for the set-up tests: the shipped workbook, edited copies of it, table counts."""

import shutil
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import func, select

from server.db.session import db
from server.platform.config import PROJECT_ROOT

TEMPLATE = PROJECT_ROOT / "docs" / "templates" / "communities.xlsx"


def edited_template(tmp_path: Path, edit, name: str = "edited.xlsx") -> Path:
    """A copy of the shipped workbook after `edit(book)`."""
    path = tmp_path / name
    shutil.copy(TEMPLATE, path)
    book = load_workbook(path)
    edit(book)
    book.save(path)
    return path


def with_code(code: str):
    """An edit giving the workbook's community another code (so it can be imported again)."""

    def edit(book):
        book["社区"]["D2"] = code

    return edit


def table_counts(app) -> dict[str, int]:
    """Rows in every table: what a refused import must leave exactly as it was."""
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
        }
        db.session.remove()
    return counts


def run_cli(app, *args):
    return app.test_cli_runner().invoke(args=["setup", *map(str, args)])
