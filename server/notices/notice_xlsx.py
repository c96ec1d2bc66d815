"""A notice as an xlsx workbook: one sheet per kind, headed with community, period and any
correction note. Built only from the frozen rows, so it reads the same however late."""

from io import BytesIO

from openpyxl import Workbook

from server.auth.models import User
from server.notices.access import visible_notice
from server.notices.models import NOTICE_DEPTH
from server.notices.periods import period_label
from server.notices.queries import KIND_LABELS, community_name, rows_by_kind
from server.notices.renderings import correction_note
from server.platform.localtime import SHANGHAI
from server.points.rankings import KINDS, parse_period


def notice_xlsx(actor: User, notice_id: int) -> tuple[bytes, str]:
    """The workbook's bytes and a file name (members of the notice's community)."""
    notice = visible_notice(actor, notice_id)
    rows = rows_by_kind(notice.id, NOTICE_DEPTH)
    published = notice.published_at.astimezone(SHANGHAI)
    header = [
        ("社区", community_name(notice.community_id)),
        ("公示", notice.title),
        ("周期", period_label(parse_period(notice.period))),
        ("发布时间", published.strftime("%Y-%m-%d %H:%M")),
    ]
    if note := correction_note(notice):
        header.append(("更正说明", note))
    book = Workbook()
    book.remove(book.active)
    # Fixed document times: the workbook's content depends on the notice only.
    book.properties.created = book.properties.modified = published.replace(tzinfo=None)
    for kind in KINDS:
        sheet = book.create_sheet(KIND_LABELS[kind])
        for line in header:
            sheet.append(line)
        sheet.append(())
        sheet.append(("排名", "名称", "积分"))
        for row in rows[kind]:
            sheet.append((row.rank, row.name, row.points))
        if not rows[kind]:
            sheet.append(("", "本期暂无积分记录", ""))
        sheet.column_dimensions["B"].width = 24
    out = BytesIO()
    book.save(out)
    return out.getvalue(), f"notice-{notice.period}-{notice.id}.xlsx"
