"""The notice's A4 PDF: one page, the rows as text in an embedded CJK font, a QR code to the
notice's page, nothing about a person beyond the masked name."""

import re
import time
from dataclasses import replace

from server.notices.notice_pdf import render_notice_pdf
from tests.notices.render_helpers import (
    FULL_NAMES,
    LINK,
    STARS,
    pdf_fonts,
    pdf_pages,
    pdf_text,
    qr_codes,
    sheet,
)

PHONE = re.compile(r"1[3-9]\d{9}")


def test_the_pdf_is_one_a4_page_with_every_row_as_text(tmp_path):
    s = sheet(link=LINK)
    pdf = render_notice_pdf(s)
    assert pdf[:5] == b"%PDF-"
    pages = pdf_pages(pdf, tmp_path)
    assert len(pages) == 1
    text = pdf_text(pdf, tmp_path)
    for needed in (s.community_name, s.title, s.period_label, "公示日期：2026年12月1日"):
        assert needed in text
    lines = text.splitlines()
    for row in s.rows:
        # the rank, the masked name and the points on one line, as the table draws them
        assert any(
            re.search(rf"^\s*{row.rank}\s+{re.escape(row.name)}\s+{row.points} 分\s*$", line)
            for line in lines
        ), row


def test_the_cjk_font_is_embedded(tmp_path):
    fonts = pdf_fonts(render_notice_pdf(sheet()), tmp_path)
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "CJK" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk)  # the emb column
    listed = fonts.splitlines()[2:]  # below the header and its rule
    assert listed == cjk  # no other font: a printer needs nothing the file lacks


def test_the_qr_code_reads_as_the_notice_link(tmp_path):
    pages = pdf_pages(render_notice_pdf(sheet(link=LINK)), tmp_path)
    assert qr_codes(pages[0]) == [LINK]


def test_without_a_link_there_is_no_qr_code_but_the_caption_remains(tmp_path):
    pdf = render_notice_pdf(sheet())
    assert qr_codes(pdf_pages(pdf, tmp_path)[0]) == []
    assert "打开「红色积分」小程序查看完整公示" in pdf_text(pdf, tmp_path)


def test_no_unmasked_name_or_phone_number_is_printed(tmp_path):
    text = pdf_text(render_notice_pdf(sheet(link=LINK, stars=STARS)), tmp_path)
    assert not any(name in text for name in FULL_NAMES)
    assert not PHONE.search(text.replace(" ", ""))
    assert "*" in text


def test_a_yearly_notice_names_its_stars_and_stays_one_page(tmp_path):
    s = sheet(
        title="2026年度 红色积分公示",
        period_label="2026年度",
        stars=STARS,
        link=LINK,
        correction_note="更正：本公示更正 2026年度 的公示（第3名积分有误）",
    )
    pdf = render_notice_pdf(s)
    assert len(pdf_pages(pdf, tmp_path)) == 1
    text = pdf_text(pdf, tmp_path)
    assert "积分之星" in text
    for star in STARS:
        assert re.search(rf"{star.kind_label}\s+{re.escape(star.name)}\s+{star.points} 分", text)
    assert s.correction_note in text


def test_an_overlong_sheet_is_shrunk_onto_one_page(tmp_path):
    s = sheet(correction_note="更正：" + "因复核发现积分录入有误，现予更正。" * 40, stars=STARS * 3)
    assert len(pdf_pages(render_notice_pdf(s), tmp_path)) == 1


def test_markup_in_a_name_is_printed_as_text(tmp_path):
    s = sheet()
    s = replace(s, rows=(replace(s.rows[0], name="<b>王*&amp;</b>"), *s.rows[1:]))
    assert "<b>王*&amp;</b>" in pdf_text(render_notice_pdf(s), tmp_path)


def test_an_empty_notice_says_so(tmp_path):
    assert "本期暂无排名" in pdf_text(render_notice_pdf(sheet(0)), tmp_path)


def test_rendering_is_quick():
    render_notice_pdf(sheet())  # the font is parsed once per process
    started = time.perf_counter()
    render_notice_pdf(sheet(stars=STARS, link=LINK))
    assert time.perf_counter() - started < 2.0
