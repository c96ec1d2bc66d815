"""公示 pages: the list and its export, a notice's rows, poster, PDF and xlsx, publishing a
finished period and correcting (admins), roles, CSRF and another community's notice."""

import pytest
from sqlalchemy import func, select

from server.db.session import db
from server.http.errors import BadRequest, NotFound
from server.notices.models import Notice
from server.notices.notice_print import notice_poster
from server.notices.snapshot import snapshot_notice
from tests.console.console_pages_helpers import browser, other_admin, sheet_rows
from tests.ledger_helpers import demo_community_id
from tests.notices.notice_helpers import AFTER_NOV, post_history
from tests.tasks.test_tasks_support import load_user


@pytest.fixture
def november(app, seeded):
    post_history(app)
    with app.app_context():
        notice_id = snapshot_notice(demo_community_id(), "2026-11", now=AFTER_NOV).id
        db.session.remove()
    return notice_id


def notice_count(query) -> int:
    return query(lambda s: s.scalar(select(func.count(Notice.id))))


def test_the_list_detail_and_files(app, api, november):
    client, _ = browser(app, api, "reviewer")
    listing = client.get("/console/notices").get_data(as_text=True)
    assert "2026年11月 红色积分公示" in listing and f'data-id="{november}"' in listing
    assert "发布公示" not in listing  # reviewers read; admins publish
    assert f'data-id="{november}"' not in client.get("/console/notices?period_type=year").get_data(
        as_text=True
    )
    assert client.get("/console/notices?period_type=week").status_code == 400
    rows = sheet_rows(client.get("/console/notices/export").data)
    assert rows[0][1] == "标题" and rows[1][1] == "2026年11月 红色积分公示"
    detail = client.get(f"/console/notices/{november}").get_data(as_text=True)
    assert "刘*" in detail and "刘洋" not in detail  # the frozen, masked rows
    poster = client.get(f"/console/notices/{november}/poster.jpg?kind=merchant")
    assert poster.status_code == 200 and poster.data[:3] == b"\xff\xd8\xff"
    assert poster.headers["Content-Type"] == "image/jpeg"
    assert client.get(f"/console/notices/{november}/poster.jpg?kind=x").status_code == 400
    pdf = client.get(f"/console/notices/{november}/pdf")
    assert pdf.status_code == 200 and pdf.data[:5] == b"%PDF-"
    sheet = client.get(f"/console/notices/{november}/xlsx")
    assert sheet.status_code == 200 and sheet.data[:2] == b"PK"


def test_the_poster_service_checks_the_community(app, november):
    other_admin(app)
    with app.app_context():
        assert notice_poster(load_user("resident-1"), november)[:2] == b"\xff\xd8"
        with pytest.raises(BadRequest):
            notice_poster(load_user("resident-1"), november, "nobody")
        with pytest.raises(NotFound):
            notice_poster(load_user("stranger-admin"), november)
        db.session.remove()


def test_admins_publish_a_finished_period_once(app, api, november, query):
    client, token = browser(app, api, "admin")
    assert client.post("/console/notices", data={"period": "2026-08"}).status_code == 400
    before = notice_count(query)
    running = client.post("/console/notices", data={"period": "2099-01", "csrf_token": token})
    assert running.status_code == 422 and "该周期尚未结束" in running.get_data(as_text=True)
    empty = client.post("/console/notices", data={"csrf_token": token})
    assert empty.status_code == 422 and notice_count(query) == before
    done = client.post("/console/notices", data={"period": "2026-08", "csrf_token": token})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "已发布：2026年8月 红色积分公示" in body
    assert "杨*" in body and notice_count(query) == before + 1
    again = client.post("/console/notices", data={"period": "2026-08", "csrf_token": token})
    assert again.status_code == 200 and notice_count(query) == before + 1
    reviewer, token = browser(app, api, "reviewer")
    refused = reviewer.post("/console/notices", data={"period": "2026-09", "csrf_token": token})
    assert refused.status_code == 403 and notice_count(query) == before + 1


def test_admins_correct_with_a_reason(app, api, november, query):
    client, token = browser(app, api, "admin")
    path = f"/console/notices/{november}/corrections"
    assert client.post(path, data={"reason": "补录"}).status_code == 400
    assert client.post(path, data={"reason": "长" * 201, "csrf_token": token}).status_code == 422
    assert notice_count(query) == 1
    done = client.post(path, data={"reason": "补录漏记积分", "csrf_token": token})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and "已发布更正" in body and "补录漏记积分" in body
    correction = query(lambda s: s.scalar(select(Notice).where(Notice.correction_of == november)))
    assert correction.correction_reason == "补录漏记积分"
    assert 'id="corrected"' in client.get(f"/console/notices/{november}").get_data(as_text=True)
    reviewer, token = browser(app, api, "reviewer")
    assert reviewer.post(path, data={"reason": "x", "csrf_token": token}).status_code == 403
    assert notice_count(query) == 2


def test_another_communitys_notice_is_not_found(app, api, november, query):
    other_id, _ = other_admin(app)
    with app.app_context():
        foreign = snapshot_notice(other_id, "2026-11", now=AFTER_NOV).id
        db.session.remove()
    client, token = browser(app, api, "admin")
    for suffix in ("", "/poster.jpg", "/pdf", "/xlsx"):
        assert client.get(f"/console/notices/{foreign}{suffix}").status_code == 404, suffix
    resp = client.post(
        f"/console/notices/{foreign}/corrections", data={"reason": "x", "csrf_token": token}
    )
    assert resp.status_code == 404 and notice_count(query) == 2
    merchant, _ = browser(app, api, "merchant-1")
    assert merchant.get(f"/console/notices/{november}").status_code == 403
