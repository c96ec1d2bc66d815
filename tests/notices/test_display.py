"""The hall's big screen: display links (admins), what the screen shows (masked names only),
revocation at once, limits and a log without the token."""

import hashlib
import json
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.db.audit import AuditLog
from server.db.session import db
from server.db.types import utcnow
from server.grid.wish_models import Wish
from server.notices import display, display_content
from server.notices.display_models import DisplayLink
from server.platform.logs import loggable_path
from server.points.rankings import community_ranking
from tests import claims_helpers
from tests.claims_helpers import make_other_community
from tests.conftest import error_code
from tests.ledger_helpers import demo_community_id, user_id_of
from tests.notices.display_helpers import FULL_NAME, LINKS, MASKED, PHONE, create_link, hall

upload_dir = claims_helpers.upload_dir
hall = hall  # the fixture, re-exported for pytest


def audits(query, action: str) -> list[AuditLog]:
    return query(lambda s: list(s.scalars(select(AuditLog).where(AuditLog.action == action))))


def test_an_admin_creates_a_link_whose_token_is_shown_once_and_stored_as_a_digest(
    api, seeded, query
):
    link, token = create_link(api)
    assert link["name"] == "大厅屏幕" and link["active"] is True and link["revoked_at"] is None
    assert link["url"].startswith("http://") and len(token) >= 40
    stored = query(lambda s: s.scalars(select(DisplayLink)).one())
    assert stored.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(stored.__dict__)
    listed = api.get(LINKS, "admin").get_json()
    assert [item["id"] for item in listed["items"]] == [link["id"]]
    assert token not in json.dumps(listed) and "url" not in listed["items"][0]
    (audit,) = audits(query, "display_link.create")
    assert audit.after == {"name": "大厅屏幕"} and token not in json.dumps(audit.after)


def test_only_the_communitys_admins_manage_its_links(app, api, seeded, query):
    for who in ("resident-1", "reviewer"):
        assert api.post(LINKS, who, json={"name": "屏幕"}).status_code == 403
        assert api.get(LINKS, who).status_code == 403
    bad = api.post(LINKS, "admin", json={"name": "   "})
    assert bad.status_code == 422 and error_code(bad) == "invalid_display_name"
    assert api.post(LINKS, "admin", json={"name": "屏" * 33}).status_code == 422
    assert query(lambda s: s.scalar(select(func.count(DisplayLink.id)))) == 0
    link, token = create_link(api)
    make_other_community(app, identities=("outsider",), admin="outsider")
    other = api.post(f"{LINKS}/{link['id']}/revoke", "outsider")
    assert other.status_code == 404 and error_code(other) == "display_link_not_found"
    assert api.get(LINKS, "outsider").get_json()["items"] == []
    assert api.get(f"/display/{token}").status_code == 200
    assert api.post(f"{LINKS}/{link['id']}/revoke", "reviewer").status_code == 403


def test_a_revoked_link_is_refused_at_once_page_and_data(api, seeded, query):
    link, token = create_link(api)
    assert api.get(f"/display/{token}/data").status_code == 200
    resp = api.post(f"{LINKS}/{link['id']}/revoke", "admin")
    assert resp.status_code == 200 and resp.get_json()["active"] is False
    page = api.get(f"/display/{token}")
    assert page.status_code == 404 and "此展示链接已停用" in page.get_data(as_text=True)
    assert page.headers["Content-Type"].startswith("text/html")
    data = api.get(f"/display/{token}/data")
    assert data.status_code == 404 and error_code(data) == "display_link_not_found"
    again = api.post(f"{LINKS}/{link['id']}/revoke", "admin")
    assert again.status_code == 200 and len(audits(query, "display_link.revoke")) == 1
    # Another link of the community still works.
    _other, live = create_link(api, name="二楼屏幕")
    assert api.get(f"/display/{live}").status_code == 200


@pytest.mark.parametrize("token", ["nope", "x" * 65, "%00"])
def test_an_unknown_token_is_a_404_envelope(api, seeded, token):
    resp = api.get(f"/display/{token}/data")
    assert resp.status_code == 404 and error_code(resp) == "display_link_not_found"
    assert api.get(f"/display/{token}").status_code == 404


def test_the_screen_shows_masked_names_only(hall, query):
    _link, token = create_link(hall)
    page = hall.get(f"/display/{token}")
    data = hall.get(f"/display/{token}/data")
    assert page.status_code == 200 and data.status_code == 200
    html, body = page.get_data(as_text=True), data.get_data(as_text=True)
    for text in (html, body):
        assert MASKED in text and "幸福社区" in text
        assert FULL_NAME not in text and PHONE not in text
        assert "1381234" not in text
    content = data.get_json()
    assert content["notice"] is None and content["screen"]["name"] == "大厅屏幕"
    assert content["thanks"][0]["text"] == f"{MASKED} 参加 垃圾分类志愿督导 +10"
    top = content["ranking"]["items"][0]  # the approved claim's 10 plus the demo tasks' points
    assert (top["rank"], top["name"]) == (1, MASKED) and top["points"] >= 10
    assert 0 < len(content["tasks"]) <= 10 and all(t["seats_left"] >= 0 for t in content["tasks"])
    assert f"{MASKED} 参加 垃圾分类志愿督导" in html and "本月积分榜" in html
    for resp in (page, data, hall.get("/display/nope"), hall.get("/display/nope/data")):
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_display_data_reads_through_the_services(hall, app):
    _link, token = create_link(hall)
    with app.app_context():
        community_id = demo_community_id()
        before = utcnow()
        data = display.display_data(token)
        link = db.session.scalars(select(DisplayLink)).one()
        assert link.last_seen_at is not None and link.last_seen_at >= before
        ranked = community_ranking(community_id, period=None, kind="person", limit=10)["items"]
        assert [r["name"] for r in data["ranking"]["items"]] == [r["name"] for r in ranked]
        starts = [t["starts_at"] for t in data["tasks"]]
        assert starts == sorted(starts) and all(s > before for s in starts)
        assert display_content.current_notice(community_id) is None
        with pytest.raises(display.DisplayLinkGone):
            display.display_data(token + "x")
        db.session.remove()


def test_thanks_mix_claims_and_confirmed_wishes_newest_first(hall, app):
    with app.app_context():
        community_id = demo_community_id()
        later = utcnow() + timedelta(minutes=5)
        db.session.add(
            Wish(community_id=community_id, resident_id=user_id_of("resident-2"),
                 title="帮张伟明老人买药", needed_by=date.today() + timedelta(days=3),
                 status="confirmed", claimer_id=user_id_of("resident-3"), claimer_kind="person",
                 claimed_at=later, fulfilled_at=later, confirmed_at=later, points=5)
        )  # fmt: skip
        db.session.commit()
        thanks = display_content.recent_thanks(community_id)
        db.session.remove()
    texts = [t["text"] for t in thanks]
    assert texts == ["李* 完成 微心愿 +5", f"{MASKED} 参加 垃圾分类志愿督导 +10"]
    assert FULL_NAME not in json.dumps(thanks, default=str)


def test_the_screen_is_rate_limited_per_token(app, api, seeded, monkeypatch):
    monkeypatch.setitem(app.config, "DISPLAY_TOKEN_RATE_LIMIT", "3 per minute")
    _link, token = create_link(api)
    codes = [api.get(f"/display/{token}/data").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    _other, fresh = create_link(api, name="二楼屏幕")
    assert api.get(f"/display/{fresh}").status_code == 200


def test_the_access_log_never_holds_the_token(api, seeded, caplog):
    _link, token = create_link(api)
    with caplog.at_level(logging.INFO, logger="redpoints.access"):
        api.get(f"/display/{token}")
        api.get(f"/display/{token}/data")
    # Only the screen's own lines: an earlier test may have left this logger at INFO, so the
    # link's creation can be captured too.
    paths = [r.path for r in caplog.records if r.name == "redpoints.access"]
    assert [p for p in paths if p.startswith("/display/")] == [
        "/display/[token]",
        "/display/[token]/data",
    ]
    assert all(token not in r.getMessage() and token not in str(r.__dict__) for r in caplog.records)
    assert loggable_path("/api/v1/me") == "/api/v1/me"
