"""The CJK font: CJK_FONT_PATH, else Debian's packages, else a clear FontMissing."""

from pathlib import Path

import pytest

from server.notices import fonts
from server.notices.fonts import FontMissing
from server.notices.notice_pdf import render_notice_pdf
from server.notices.poster import PAD, layout, render_poster
from server.platform.config import load_config
from tests.notices.render_helpers import image, ink, sheet


def _refused():
    """The message each renderer refuses with."""
    for render in (render_poster, render_notice_pdf):
        with pytest.raises(FontMissing) as err:
            render(sheet())
        yield str(err.value)


def test_debian_fonts_are_there_for_the_tests():
    assert fonts.NOTO_REGULAR.is_file(), "scripts/test installs fonts-noto-cjk"
    assert fonts.WQY_ZENHEI.is_file(), "scripts/test installs fonts-wqy-zenhei"
    regular, bold = fonts.poster_faces()
    assert fonts.pillow_font(regular, 20).getname() == ("Noto Sans CJK SC", "Regular")
    assert fonts.pillow_font(bold, 20).getname() == ("Noto Sans CJK SC", "Bold")


def test_config_reads_the_environment(monkeypatch):
    monkeypatch.setenv("CJK_FONT_PATH", "/srv/fonts/cjk.ttf")
    assert load_config("/tmp")["CJK_FONT_PATH"] == "/srv/fonts/cjk.ttf"
    monkeypatch.delenv("CJK_FONT_PATH")
    assert load_config("/tmp")["CJK_FONT_PATH"] is None


def test_a_configured_path_that_does_not_exist_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CJK_FONT_PATH", str(tmp_path / "missing.ttf"))
    for message in _refused():
        assert "missing.ttf does not exist" in message
        assert "fonts-noto-cjk" in message and "CJK_FONT_PATH" in message


def test_the_app_config_is_the_source_inside_the_app(app, monkeypatch, tmp_path):
    monkeypatch.delenv("CJK_FONT_PATH", raising=False)
    monkeypatch.setitem(app.config, "CJK_FONT_PATH", str(tmp_path / "gone.otf"))
    with app.app_context():
        for message in _refused():
            assert "gone.otf does not exist" in message


def test_a_file_that_is_not_a_font_is_a_clear_error(monkeypatch, tmp_path):
    junk = tmp_path / "junk.ttf"
    junk.write_text("not a font")
    monkeypatch.setenv("CJK_FONT_PATH", str(junk))
    for message in _refused():
        assert "junk.ttf" in message and "CJK_FONT_PATH" in message


def test_a_configured_truetype_font_draws_both(monkeypatch):
    monkeypatch.setenv("CJK_FONT_PATH", str(fonts.WQY_ZENHEI))
    regular, bold = fonts.poster_faces()
    assert regular == bold == fonts.FontFace(fonts.WQY_ZENHEI, 0)
    img = image(render_poster(sheet()))
    top, bottom = layout(sheet()).rows[0]
    assert ink(img, (PAD + 150, top + 10, PAD + 690, bottom - 10)) > 150  # the first name
    assert render_notice_pdf(sheet())[:5] == b"%PDF-"


def test_an_opentype_font_without_truetype_outlines_cannot_make_the_pdf(monkeypatch):
    # Noto CJK is CFF: Pillow draws it, reportlab cannot embed it
    monkeypatch.setenv("CJK_FONT_PATH", str(fonts.NOTO_REGULAR))
    assert render_poster(sheet())[:3] == b"\xff\xd8\xff"
    with pytest.raises(FontMissing, match="TrueType outlines"):
        render_notice_pdf(sheet())


def test_without_debian_fonts_or_config_each_renderer_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.delenv("CJK_FONT_PATH", raising=False)
    monkeypatch.setattr(fonts, "NOTO_REGULAR", Path(tmp_path / "noto.ttc"))
    monkeypatch.setattr(fonts, "WQY_ZENHEI", Path(tmp_path / "wqy.ttc"))
    for message in _refused():
        assert "fonts-noto-cjk" in message and "fonts-wqy-zenhei" in message
