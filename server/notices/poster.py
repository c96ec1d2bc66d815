"""The notice's poster for group chats: a JPEG a phone shows at full width, in the scheme's red.
It draws only what the sheet holds (names already masked), so it never shows more about a
person than the published notice does."""

import io
from dataclasses import dataclass

import segno
from PIL import Image, ImageDraw

from server.notices.fonts import pillow_font, poster_faces
from server.notices.sheet import NoticeSheet

WIDTH = 1080
PAD = 60
HEADER_H = 400
CORRECTION_H = 150
TABLE_TOP_GAP = 40
TABLE_HEAD_H = 80
ROW_H = 110
STARS_GAP = 40
STARS_HEAD_H = 90
STAR_H = 100
FOOTER_H = 260
MAX_BYTES = 2 * 1024 * 1024
QUALITIES = (90, 80, 70, 60, 50, 40)

RED = (200, 16, 46)
RED_LIGHT = (224, 66, 58)
PAPER = (255, 247, 245)
CARD = (255, 255, 255)
STRIPE = (253, 238, 236)
INK = (51, 51, 51)
GREY = (136, 136, 136)
WHITE = (255, 255, 255)
MEDALS = {1: (230, 170, 10), 2: (150, 160, 172), 3: (196, 122, 58)}
FOOTER_TEXT = "扫码/打开「红色积分」小程序查看完整公示"


class PosterTooLarge(RuntimeError):
    """The poster would not fit a chat's image limit at any quality we accept."""


@dataclass(frozen=True)
class Layout:
    """Where everything goes; tests read the bands to check each row was drawn."""

    height: int
    correction: tuple[int, int] | None
    rows: tuple[tuple[int, int], ...]
    stars: tuple[tuple[int, int], ...]
    footer: tuple[int, int]


def layout(sheet: NoticeSheet) -> Layout:
    y = HEADER_H
    correction = None
    if sheet.correction_note:
        correction = (y + 30, y + CORRECTION_H)
        y += CORRECTION_H
    y += TABLE_TOP_GAP + TABLE_HEAD_H
    rows = []
    for _ in range(max(len(sheet.rows), 1)):  # an empty notice keeps one band for 暂无
        rows.append((y, y + ROW_H))
        y += ROW_H
    stars = []
    if sheet.stars:
        y += STARS_GAP + STARS_HEAD_H
        for _ in sheet.stars:
            stars.append((y, y + STAR_H))
            y += STAR_H
    y += 30  # the card's bottom margin
    return Layout(y + FOOTER_H, correction, tuple(rows), tuple(stars), (y, y + FOOTER_H))


def render_poster(sheet: NoticeSheet) -> bytes:
    """The poster as a JPEG under 2 MB, WIDTH pixels wide."""
    regular, bold = poster_faces()
    plan = layout(sheet)
    image = Image.new("RGB", (WIDTH, plan.height), PAPER)
    draw = ImageDraw.Draw(image)
    pen = _Pen(draw, regular, bold)
    _header(pen, sheet)
    if plan.correction:
        _correction(pen, sheet.correction_note, plan.correction)
    card_top = plan.rows[0][0] - TABLE_HEAD_H
    card_bottom = (plan.stars[-1][1] if plan.stars else plan.rows[-1][1]) + 30
    draw.rounded_rectangle((PAD - 20, card_top - 20, WIDTH - PAD + 20, card_bottom), 24, CARD)
    _table_head(pen, card_top)
    for i, band in enumerate(plan.rows):
        if i % 2:
            draw.rectangle((PAD, band[0], WIDTH - PAD, band[1]), STRIPE)
    for row, band in zip(sheet.rows, plan.rows, strict=False):
        _medal(pen, row.rank, band)
        pen.fit((PAD + 150, _mid(band)), row.name, 44, WIDTH - 2 * PAD - 420, INK, "lm")
        pen.text((WIDTH - PAD - 30, _mid(band)), f"{row.points} 分", 44, RED, "rm", bold=True)
    if not sheet.rows:
        pen.text((WIDTH // 2, _mid(plan.rows[0])), "本期暂无排名", 40, GREY, "mm")
    if plan.stars:
        _stars(pen, sheet, plan.stars)
    _footer(image, pen, sheet, plan.footer)
    return _jpeg(image)


class _Pen:
    """Text in the notice's two weights, at the sizes the layout asks for."""

    def __init__(self, draw: ImageDraw.ImageDraw, regular, bold):
        self.draw, self.regular, self.bold = draw, regular, bold

    def font(self, size: int, bold: bool = False):
        return pillow_font(self.bold if bold else self.regular, size)

    def text(self, xy, text, size, fill, anchor="la", bold=False):
        self.draw.text(xy, text, fill=fill, font=self.font(size, bold), anchor=anchor)

    def fit(self, xy, text, size, max_width, fill, anchor="la", bold=False, min_size=24):
        """Shrink a long text to max_width; below min_size, cut it short with an ellipsis."""
        while size > min_size and self.draw.textlength(text, self.font(size, bold)) > max_width:
            size -= 2
        font = self.font(size, bold)
        while len(text) > 1 and self.draw.textlength(text, font) > max_width:
            text = text[:-2] + "…"
        self.draw.text(xy, text, fill=fill, font=font, anchor=anchor)


def _mid(band: tuple[int, int]) -> int:
    return (band[0] + band[1]) // 2


def _header(pen: _Pen, sheet: NoticeSheet) -> None:
    # a vertical red gradient, darker at the top, like the mini-program's banners
    for y in range(HEADER_H):
        t = y / HEADER_H
        color = tuple(round(a + (b - a) * t) for a, b in zip(RED, RED_LIGHT, strict=True))
        pen.draw.line((0, y, WIDTH, y), fill=color)
    pen.text((PAD, 60), "红色积分 · 公示", 30, (255, 220, 220))
    pen.fit((PAD, 110), sheet.title, 64, WIDTH - 2 * PAD, WHITE, bold=True)
    pen.fit((PAD, 200), sheet.community_name, 46, WIDTH - 2 * PAD, WHITE, bold=True)
    period = f"{sheet.period_label} · {sheet.kind_label}积分排行"
    pen.fit((PAD, 272), period, 34, WIDTH - 2 * PAD, (255, 235, 235))
    published = sheet.published_on
    date_text = f"公示日期：{published.year}年{published.month}月{published.day}日"
    pen.text((PAD, 326), date_text, 28, (255, 220, 220))


def _correction(pen: _Pen, note: str, band: tuple[int, int]) -> None:
    top, bottom = band
    pen.draw.rounded_rectangle((PAD - 20, top, WIDTH - PAD + 20, bottom), 18, (255, 244, 214))
    pen.draw.rounded_rectangle((PAD, top + 22, PAD + 96, top + 70), 10, RED)
    pen.text((PAD + 48, top + 46), "更正", 30, WHITE, "mm", bold=True)
    width = WIDTH - 2 * PAD - 130
    lines = _wrap(pen, note.removeprefix("更正："), 28, width)[:2]  # the badge says 更正
    for i, line in enumerate(lines):
        pen.fit((PAD + 120, top + 26 + i * 40), line, 28, width, INK)


def _wrap(pen: _Pen, text: str, size: int, width: int) -> list[str]:
    font, lines, line = pen.font(size), [], ""
    for char in text:
        if pen.draw.textlength(line + char, font) > width:
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


def _table_head(pen: _Pen, top: int) -> None:
    mid = top + TABLE_HEAD_H // 2
    for x, label, anchor in ((PAD + 55, "排名", "mm"), (PAD + 150, "姓名", "lm")):
        pen.text((x, mid), label, 30, GREY, anchor)
    pen.text((WIDTH - PAD - 30, mid), "积分", 30, GREY, "rm")
    pen.draw.line((PAD, top + TABLE_HEAD_H - 2, WIDTH - PAD, top + TABLE_HEAD_H - 2), GREY, 1)


def _medal(pen: _Pen, rank: int, band: tuple[int, int]) -> None:
    cx, cy, r = PAD + 55, _mid(band), 34
    box = (cx - r, cy - r, cx + r, cy + r)
    if rank in MEDALS:
        pen.draw.ellipse(box, fill=MEDALS[rank])
        pen.draw.ellipse((cx - r + 5, cy - r + 5, cx + r - 5, cy + r - 5), outline=WHITE, width=2)
        pen.text((cx, cy), str(rank), 36, WHITE, "mm", bold=True)
    else:
        pen.draw.ellipse(box, outline=RED, width=3)
        pen.text((cx, cy), str(rank), 34, RED, "mm", bold=True)


def _stars(pen: _Pen, sheet: NoticeSheet, bands) -> None:
    head = bands[0][0] - STARS_HEAD_H
    pen.draw.line((PAD, head, WIDTH - PAD, head), RED, 2)
    pen.text((WIDTH // 2, head + STARS_HEAD_H // 2), "★ 积分之星 ★", 44, RED, "mm", bold=True)
    for star, band in zip(sheet.stars, bands, strict=True):
        mid = _mid(band)
        pen.draw.rounded_rectangle((PAD + 10, mid - 30, PAD + 200, mid + 30), 30, RED)
        pen.fit((PAD + 105, mid), star.kind_label, 30, 170, WHITE, "mm", bold=True)
        pen.fit((PAD + 230, mid), star.name, 42, WIDTH - 2 * PAD - 480, INK, "lm")
        pen.text((WIDTH - PAD - 30, mid), f"{star.points} 分", 42, RED, "rm", bold=True)


def _footer(image: Image.Image, pen: _Pen, sheet: NoticeSheet, band) -> None:
    top, bottom = band
    pen.draw.rectangle((0, top, WIDTH, bottom), fill=RED)
    text_right = WIDTH - PAD
    if sheet.link:
        qr = _qr(sheet.link, 180)
        image.paste(qr, (WIDTH - PAD - 180, top + 40))
        text_right -= 210
    width = text_right - PAD
    pen.fit((PAD, top + 90), FOOTER_TEXT, 38, width, WHITE, "lm", bold=True)
    pen.fit((PAD, top + 160), "公示名单姓名已作脱敏处理", 28, width, (255, 220, 220), "lm")


def _qr(link: str, size: int) -> Image.Image:
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=10, border=2)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB").resize((size, size), Image.NEAREST)


def _jpeg(image: Image.Image) -> bytes:
    # a chat app refuses large images; step the quality down rather than ever send one
    for quality in QUALITIES:
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() < MAX_BYTES:
            return out.getvalue()
    raise PosterTooLarge(f"poster over {MAX_BYTES} bytes even at quality {QUALITIES[-1]}")
