"""The yearly volunteer service record (志愿服务记录), a PDF for an employer or a school."""

import io

import segno
from sqlalchemy import select

from server.auth.models import User
from server.community.authz import membership_of
from server.db.session import db
from server.http.errors import Unprocessable
from server.platform.localtime import SHANGHAI, local_date, local_year
from server.tasks import clock
from server.tasks.hours import year_bounds
from server.tasks.models import Task, TaskAttendance
from server.tasks.record_issues import issue_record

FONT = "STSong-Light"  # reportlab's built-in CJK CID font: no font file needed
FIRST_YEAR = 2000


def yearly_rows(user: User, year: int) -> list[dict]:
    """The caller's confirmed service in one Asia/Shanghai calendar year, oldest first."""
    this_year = local_year(clock.now())
    if not FIRST_YEAR <= year <= this_year:
        raise Unprocessable(
            "年份超出范围", code="invalid_year", details={"min": FIRST_YEAR, "max": this_year}
        )
    start, end = year_bounds(year)
    rows = db.session.execute(
        select(Task, TaskAttendance)
        .join(TaskAttendance, TaskAttendance.task_id == Task.id)
        .where(
            TaskAttendance.user_id == user.id,
            TaskAttendance.credited_at.is_not(None),
            Task.starts_at >= start,
            Task.starts_at < end,
        )
        .order_by(Task.starts_at, Task.id)
    ).all()
    return [
        {
            "date": local_date(task.starts_at).isoformat(),
            "title": task.title,
            "place": task.place_name or "",
            "hours": round((att.minutes or 0) / 60, 2),
            "points": att.points or 0,
        }
        for task, att in rows
    ]


def render_pdf(user: User, year: int, link_for) -> bytes:
    """Render the caller's own record for `year` as an A4 PDF, issuing its serial;
    `link_for(serial)` is the public page the QR code opens."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    rows = yearly_rows(user, year)
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    membership = membership_of(user)
    community = membership.community.name if membership else ""
    title = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=26, alignment=1)
    body = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=18)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12)
    total_hours = round(sum(r["hours"] for r in rows), 2)
    total_points = sum(r["points"] for r in rows)
    record = issue_record(
        user,
        year,
        membership.community if membership else None,
        points=total_points,
        services=len(rows),
    )
    generated = clock.now().astimezone(SHANGHAI).strftime("%Y年%m月%d日 %H:%M")

    table_data = [["日期", "服务项目", "地点", "时长（小时）", "积分"]]
    for r in rows:
        table_data.append(
            [
                r["date"],
                Paragraph(_escape(r["title"]), cell),
                Paragraph(_escape(r["place"]), cell),
                f"{r['hours']:g}",
                str(r["points"]),
            ]
        )
    if not rows:
        table_data.append(["—", "本年度暂无已确认的志愿服务记录", "", "", ""])
    table = Table(table_data, colWidths=[26 * mm, 66 * mm, 42 * mm, 24 * mm, 16 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#C8102E")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    name = _escape(user.real_name or user.nickname or "居民")
    story = [
        Paragraph(f"{year} 年度志愿服务记录", title),
        Spacer(1, 6 * mm),
        Paragraph(f"姓名：{name}　　所属社区：{_escape(community)}", body),
        Paragraph(
            f"本年度参加志愿服务 {len(rows)} 次，累计服务时长 {total_hours:g} 小时，"
            f"获得积分 {total_points} 分。",
            body,
        ),
        Spacer(1, 4 * mm),
        table,
        Spacer(1, 8 * mm),
        _check_block(record.serial, link_for(record.serial), body, generated, community),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{year} 年度志愿服务记录",
        author="红色积分",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    doc.build(story)
    return buffer.getvalue()


def _check_block(serial: str, link: str, body, generated: str, community: str):
    """The serial and a QR code of the public page that confirms it, side by side."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, Table, TableStyle

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=8, border=2)
    out.seek(0)
    size = 32 * mm
    text = [
        # Latin text in a standard font: readable by any viewer and by text extraction,
        # which the built-in CJK font (not embedded) is not.
        Paragraph(f'记录编号：<font face="Helvetica-Bold">{serial}</font>', body),
        Paragraph(f"生成时间：{generated}（北京时间）", body),
        Paragraph(f"出具单位：{_escape(community)}红色积分平台", body),
        Paragraph("扫描二维码或访问下方地址，可核验本记录真伪：", body),
        Paragraph(f'<font face="Helvetica">{_escape(link)}</font>', body),
    ]
    block = Table(
        [[text, Image(out, width=size, height=size)]], colWidths=[136 * mm, size + 6 * mm]
    )
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return block


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
