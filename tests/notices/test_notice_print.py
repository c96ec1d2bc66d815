"""The notice-board PDF through HTTP and the public page its QR code opens."""

import pytest

from server.db.session import db
from server.notices import notice_print
from server.notices.fonts import FontMissing
from server.notices.snapshot import snapshot_notice
from tests.conftest import error_code
from tests.factories import add_other_community
from tests.ledger_helpers import demo_community_id
from tests.notices.notice_helpers import AFTER_NOV, REAL_NAMES, post_history
from tests.notices.render_helpers import pdf_pages, pdf_text, qr_codes

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture
def november(app):
    post_history(app)
    with app.app_context():
        notice_id = snapshot_notice(demo_community_id(), "2026-11", now=AFTER_NOV).id
        db.session.remove()
    return notice_id


def test_the_pdf_is_one_page_with_the_rows_and_a_qr_to_the_public_page(
    api, client, november, tmp_path
):
    resp = api.get(f"/api/v1/notices/{november}/pdf", "resident-2")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "attachment" in resp.headers["Content-Disposition"]
    (page,) = pdf_pages(resp.data, tmp_path)
    text = pdf_text(resp.data, tmp_path)
    detail = api.get(f"/api/v1/notices/{november}", "resident-2").get_json()
    person = next(k for k in detail["kinds"] if k["kind"] == "person")["rows"]
    for row in person[:10]:
        assert row["name"] in text and str(row["points"]) in text
    assert not any(name in text for name in REAL_NAMES)
    (link,) = qr_codes(page)
    assert link.endswith(f"/n/{november}")
    public = client.get(link[link.index("/n/") :])
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert detail["title"] in html and person[0]["name"] in html
    assert not any(name in html for name in REAL_NAMES)
    assert public.headers["Referrer-Policy"] == "no-referrer"


def test_the_pdf_is_for_members_of_the_notices_community_only(api, app, november):
    with app.app_context():
        other, _ = add_other_community()
        db.session.commit()
        other_id = snapshot_notice(other.id, "2026-11", now=AFTER_NOV).id
        db.session.remove()
    resp = api.get(f"/api/v1/notices/{other_id}/pdf", "resident-1")
    assert resp.status_code == 404 and error_code(resp) == "notice_not_found"
    assert api.get(f"/api/v1/notices/{november}/pdf", None).status_code == 401


def test_an_unknown_public_notice_is_a_clear_404_page(client):
    resp = client.get("/n/999999")
    assert resp.status_code == 404 and "公示不存在" in resp.get_data(as_text=True)


def test_a_server_without_a_cjk_font_answers_503_not_500(api, november, monkeypatch):
    def no_font(_sheet):
        raise FontMissing("install fonts-noto-cjk")

    monkeypatch.setattr(notice_print, "render_notice_pdf", no_font)
    resp = api.get(f"/api/v1/notices/{november}/pdf", "resident-2")
    assert resp.status_code == 503 and error_code(resp) == "font_missing"
