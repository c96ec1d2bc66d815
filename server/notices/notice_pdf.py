"""The notice as one A4 page for the paper notice board (公示栏): the same sheet the poster
draws, as real text in an embedded CJK font so any printer shows it and it can be searched,
with a QR code to the notice's page when the sheet has a link."""

import io
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from server.notices.fonts import pdf_font
from server.notices.sheet import NoticeSheet

MARGIN = 16 * mm
QR_SIZE = 38 * mm
RED = colors.HexColor("#C8102E")
STRIPE = colors.HexColor("#FDEEEC")
NOTE_BG = colors.HexColor("#FFF4D6")
MEDALS = {1: "#E6AA0A", 2: "#96A0AC", 3: "#C47A3A"}


def render_notice_pdf(sheet: NoticeSheet) -> bytes:
    """The sheet as a one-page A4 PDF; a sheet that would overflow is shrunk onto the page."""
    font = pdf_font()
    styles = _styles(font)
    story = [
        Paragraph("红色积分 · 公示", styles["kicker"]),
        Paragraph(escape(sheet.title), styles["title"]),
        Paragraph(escape(sheet.community_name), styles["community"]),
        Paragraph(
            f"{escape(sheet.period_label)} · {escape(sheet.kind_label)}积分排行　　"
            f"公示日期：{_date(sheet)}",
            styles["meta"],
        ),
        Spacer(1, 5 * mm),
    ]
    if sheet.correction_note:
        story += [_correction(sheet.correction_note, styles), Spacer(1, 5 * mm)]
    story.append(_rows_table(sheet, font, styles))
    if sheet.stars:
        story += [Spacer(1, 6 * mm), Paragraph("★ 积分之星 ★", styles["section"])]
        story.append(_stars_table(sheet, font, styles))
    story += [Spacer(1, 8 * mm), _footer(sheet, styles)]
    width, height = A4[0] - 2 * MARGIN, A4[1] - 2 * MARGIN
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=sheet.title,
        author="红色积分",
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        initialFontName=font,  # else the page names Helvetica, a font it does not embed
    )
    # shrink rather than run on: the notice board holds one sheet per notice
    doc.build([KeepInFrame(width, height - 1, story, mode="shrink")])
    return buffer.getvalue()


def _styles(font: str) -> dict[str, ParagraphStyle]:
    def style(name, size, leading, color=colors.black, align=0):
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=leading, textColor=color, alignment=align
        )

    return {
        "kicker": style("kicker", 11, 16, RED, 1),
        "title": style("title", 24, 34, RED, 1),
        "community": style("community", 16, 24, colors.black, 1),
        "meta": style("meta", 11, 16, colors.HexColor("#555555"), 1),
        "section": style("section", 16, 26, RED, 1),
        "cell": style("cell", 13, 17),
        "note": style("note", 11, 16),
        "caption": style("caption", 12, 18, colors.HexColor("#333333")),
        "small": style("small", 9, 13, colors.HexColor("#888888")),
    }


def _date(sheet: NoticeSheet) -> str:
    day = sheet.published_on
    return f"{day.year}年{day.month}月{day.day}日"


def _correction(note: str, styles) -> Table:
    table = Table(
        [["更正", Paragraph(escape(note), styles["note"])]],
        colWidths=[16 * mm, A4[0] - 2 * MARGIN - 16 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles["note"].fontName, 12),
                ("BACKGROUND", (0, 0), (0, 0), RED),
                ("TEXTCOLOR", (0, 0), (0, 0), colors.white),
                ("ALIGN", (0, 0), (0, 0), "CENTER"),
                ("BACKGROUND", (1, 0), (1, 0), NOTE_BG),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _ranked_table(head, body, font, medal_ranks=()) -> Table:
    width = A4[0] - 2 * MARGIN
    table = Table([head, *body], colWidths=[30 * mm, width - 70 * mm, 40 * mm], repeatRows=1)
    commands = [
        ("FONT", (0, 0), (-1, -1), font, 13),
        ("BACKGROUND", (0, 0), (-1, 0), RED),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ALIGN", (0, 0), (0, -1), "CENTER"),
        ("ALIGN", (2, 0), (2, -1), "RIGHT"),
        ("TEXTCOLOR", (2, 1), (2, -1), RED),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (2, 0), (2, -1), 10),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#DDDDDD")),
    ]
    commands += [("BACKGROUND", (0, i), (-1, i), STRIPE) for i in range(2, len(body) + 1, 2)]
    for i, rank in enumerate(medal_ranks, start=1):
        if rank in MEDALS:
            commands += [
                ("BACKGROUND", (0, i), (0, i), colors.HexColor(MEDALS[rank])),
                ("TEXTCOLOR", (0, i), (0, i), colors.white),
            ]
    table.setStyle(TableStyle(commands))
    return table


def _rows_table(sheet: NoticeSheet, font: str, styles) -> Table:
    body = [
        [str(row.rank), Paragraph(escape(row.name), styles["cell"]), f"{row.points} 分"]
        for row in sheet.rows
    ] or [["—", "本期暂无排名", ""]]
    ranks = [row.rank for row in sheet.rows]
    return _ranked_table(["排名", "姓名", "积分"], body, font, ranks)


def _stars_table(sheet: NoticeSheet, font: str, styles) -> Table:
    body = [
        [star.kind_label, Paragraph(escape(star.name), styles["cell"]), f"{star.points} 分"]
        for star in sheet.stars
    ]
    return _ranked_table(["类别", "姓名", "积分"], body, font)


def _footer(sheet: NoticeSheet, styles) -> Table:
    note = Paragraph("公示名单姓名已作脱敏处理 · 红色积分平台", styles["small"])
    if not sheet.link:
        caption = Paragraph("打开「红色积分」小程序查看完整公示", styles["caption"])
        table = Table([[caption], [note]], colWidths=[A4[0] - 2 * MARGIN])
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), styles["note"].fontName, 11)]))
        return table
    caption = Paragraph("扫码查看完整公示<br/>或打开「红色积分」小程序查看", styles["caption"])
    table = Table(
        [[_qr(sheet.link), [caption, Spacer(1, 3 * mm), note]]],
        colWidths=[QR_SIZE + 6 * mm, A4[0] - 2 * MARGIN - QR_SIZE - 6 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles["note"].fontName, 11),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _qr(link: str) -> Image:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=8, border=2)
    out.seek(0)
    return Image(out, width=QR_SIZE, height=QR_SIZE)
