"""The notice's poster: a JPEG under 2 MB, 1080 px wide, one drawn band per row."""

import io
import os
import time
from dataclasses import replace

import pytest
from PIL import Image

from server.notices import poster, sample
from server.notices.poster import PAD, WIDTH, layout, render_poster
from server.notices.sheet import SheetRow
from tests.notices.render_helpers import STARS, image, ink, pixels, red, sheet

NAME_COLUMN = (PAD + 150, PAD + 150 + 540)
POINTS_COLUMN = (WIDTH - PAD - 250, WIDTH - PAD)


def _name_box(band):
    return (NAME_COLUMN[0], band[0] + 10, NAME_COLUMN[1], band[1] - 10)


def test_poster_is_a_jpeg_under_2mb_of_fixed_size():
    jpeg = render_poster(sheet())
    assert jpeg[:3] == b"\xff\xd8\xff"
    assert len(jpeg) < 2 * 1024 * 1024
    img = Image.open(io.BytesIO(jpeg))
    assert img.format == "JPEG"
    assert img.size == (1080, 1910)  # header 400, table head 120, 10 rows of 110, footer 290


def test_each_of_the_ten_rows_has_its_name_and_points_drawn():
    s = sheet()
    img = image(render_poster(s))
    bands = layout(s).rows
    assert len(bands) == 10
    for band in bands:
        assert ink(img, _name_box(band)) > 150, band
        assert red(img, (POINTS_COLUMN[0], band[0], POINTS_COLUMN[1], band[1])) > 150, band
    _no_row_after(img, s)


def _no_row_after(img, s) -> None:
    """Where another row would go, the card ends and the red footer begins."""
    last, footer = layout(s).rows[-1][1], layout(s).footer[0]
    assert footer - last == 30
    assert ink(img, (NAME_COLUMN[0], last, NAME_COLUMN[1], footer)) == 0
    next_band = (NAME_COLUMN[0], footer, NAME_COLUMN[1], footer + 80)
    assert red(img, next_band) > 0.9 * 540 * 80


def test_a_seven_row_notice_is_seven_bands_shorter_by_three():
    s = sheet(7)
    img = image(render_poster(s))
    assert img.size == (1080, 1910 - 3 * 110)
    bands = layout(s).rows
    assert len(bands) == 7
    assert all(ink(img, _name_box(band)) > 150 for band in bands)
    _no_row_after(img, s)


def test_a_name_draws_ink_an_empty_name_does_not():
    s = sheet()
    rows = list(s.rows)
    rows[3] = replace(rows[3], name="")
    blank = replace(s, rows=tuple(rows))
    band = layout(s).rows[3]
    named, empty = image(render_poster(s)), image(render_poster(blank))
    assert ink(named, _name_box(band)) > 300
    assert ink(empty, _name_box(band)) < 20


def test_yearly_stars_get_a_section_with_each_star_drawn():
    s = sheet(stars=STARS, title="2026年度 红色积分公示", period_label="2026年度")
    img = image(render_poster(s))
    assert img.size == (1080, 1910 + 40 + 90 + 5 * 100)
    plan = layout(s)
    assert len(plan.stars) == 5
    for band in plan.stars:
        assert ink(img, (PAD + 230, band[0] + 10, PAD + 230 + 300, band[1] - 10)) > 150
        assert red(img, (PAD + 10, band[0] + 20, PAD + 200, band[1] - 20)) > 2000  # the chip
    heading = (PAD, plan.stars[0][0] - 90, WIDTH - PAD, plan.stars[0][0])
    assert red(img, heading) > 500


def test_a_correction_is_marked_above_the_table():
    s = sheet(correction_note="更正：本公示更正 2026年10月 的公示（第3名积分有误）")
    img = image(render_poster(s))
    assert img.height == 1910 + 150
    top, bottom = layout(s).correction
    assert red(img, (PAD, top + 22, PAD + 96, top + 70)) > 2000  # the 更正 badge
    assert ink(img, (PAD + 120, top, WIDTH - PAD, bottom)) > 300  # the note's text


def test_a_long_name_is_fitted_before_the_points():
    long_name = "某某某某某某某某某某*********某某某某某某有限责任公司"
    s = sheet(rows=(SheetRow(rank=1, name=long_name, points=9999),))
    img = image(render_poster(s))
    band = layout(s).rows[0]
    assert ink(img, _name_box(band)) > 300
    # the gap between the name column and the points stays clear
    assert ink(img, (NAME_COLUMN[1] + 10, band[0], POINTS_COLUMN[0] + 60, band[1])) == 0


def test_an_empty_notice_says_so():
    s = sheet(0)
    img = image(render_poster(s))
    assert img.height == 1910 - 9 * 110
    band = layout(s).rows[0]
    assert sum(1 for p in pixels(img, (0, band[0], WIDTH, band[1])) if max(p) < 180) > 200


def test_a_link_is_drawn_as_a_qr_code_in_the_footer():
    without, with_link = sheet(), sheet(link="https://redpoints.example.cn/notices/42")
    top, bottom = layout(without).footer
    qr_box = (WIDTH - PAD - 180, top + 40, WIDTH - PAD, top + 220)
    assert ink(image(render_poster(without)), qr_box) == 0
    assert ink(image(render_poster(with_link)), qr_box) > 3000


def test_an_oversized_image_steps_the_quality_down():
    noise = Image.frombytes("RGB", (1080, 2400), os.urandom(1080 * 2400 * 3))
    at_90 = io.BytesIO()
    noise.save(at_90, "JPEG", quality=90, optimize=True)
    assert at_90.tell() > 2 * 1024 * 1024  # the premise: best quality is too big
    out = poster._jpeg(noise)
    assert len(out) < 2 * 1024 * 1024


def test_an_image_too_big_at_every_quality_is_refused():
    noise = Image.frombytes("RGB", (1080, 9000), os.urandom(1080 * 9000 * 3))
    with pytest.raises(poster.PosterTooLarge):
        poster._jpeg(noise)


def test_rendering_is_quick():
    render_poster(sheet())  # fonts loaded once per process
    started = time.perf_counter()
    render_poster(sheet(stars=STARS, link="https://redpoints.example.cn/notices/1"))
    assert time.perf_counter() - started < 2.0


def test_the_sample_script_writes_the_demo_poster_and_pdf(tmp_path):
    poster_path, pdf_path = tmp_path / "poster.jpg", tmp_path / "notice.pdf"
    sample.main([str(poster_path), str(pdf_path)])
    assert Image.open(poster_path).size == (1080, 1910)
    assert pdf_path.read_bytes()[:5] == b"%PDF-"
    assert all("*" in row.name for row in sample.demo_sheet(yearly=True).rows)
    with pytest.raises(SystemExit):
        sample.main([])
