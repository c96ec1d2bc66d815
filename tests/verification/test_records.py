"""Item 7: the yearly volunteer record's serial and QR code, checked on the public page /v/."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.platform.serials import ALPHABET
from server.tasks.record_models import IssuedRecord
from tests.notices.render_helpers import pdf_pages, pdf_text, qr_codes
from tests.tasks.test_tasks_support import T0, Clock, create_task, user_id

API = "/api/v1/tasks"
STARTS = T0 + timedelta(days=1)
SERIAL = re.compile(rf"VS2026-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")
GENUINE = "真实有效"
NOT_FOUND = "未找到该证明，可能不是真实的"
COMMUNITY = "幸福社区"


@pytest.fixture
def frozen(monkeypatch):
    return Clock(monkeypatch)


def serve(api, frozen, who: str, starts, minutes: int, title: str, query) -> None:
    """`who` serves a task starting at `starts` for `minutes`, confirmed by the admin."""
    task = create_task(
        api,
        query,
        title=title,
        radius_m=None,
        capacity=1,
        starts_at=starts.isoformat(),
        ends_at=(starts + timedelta(hours=3)).isoformat(),
    )
    assert api.post(f"{API}/{task['id']}/signups", who).get_json()["status"] == "confirmed"
    for step, at in (("checkin", starts), ("checkout", starts + timedelta(minutes=minutes))):
        frozen.set(at)
        token = api.get(f"{API}/{task['id']}/checkin-code", "admin").get_json()["token"]
        assert api.post(f"{API}/{task['id']}/{step}", who, json={"token": token}).status_code in (
            200,
            201,
        )
    assert api.post(f"{API}/{task['id']}/complete", "admin").status_code == 200


def named(app, query, identity: str, real_name: str, phone: str = "13812345678") -> None:
    uid = user_id(query, identity)
    with app.app_context():
        user = db.session.get(User, uid)
        user.real_name, user.phone = real_name, phone
        db.session.commit()


def record_pdf(api, who="resident-4") -> bytes:
    resp = api.get(f"{API}/me/record?year=2026", who)
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    return resp.data


def serial_of(pdf: bytes, tmp_path) -> str:
    found = SERIAL.findall(pdf_text(pdf, tmp_path))
    assert len(set(found)) == 1, found
    return found[0]


def test_pdf_carries_a_random_serial_and_a_qr_code_of_its_public_page(
    api, seeded, query, app, frozen, tmp_path
):
    named(app, query, "resident-4", "王小华")
    serve(api, frozen, "resident-4", STARTS, 90, "垃圾分类志愿督导", query)
    pdf = record_pdf(api)
    serial = serial_of(pdf, tmp_path)
    uid = user_id(query, "resident-4")
    assert f"{uid:06d}" not in serial  # nothing derived from the user id
    (page,) = pdf_pages(pdf, tmp_path)
    assert qr_codes(page) == [f"http://localhost/v/{serial}"]

    resp = api.client.get(f"/v/{serial}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    for shown in (GENUINE, serial, "王*华", COMMUNITY, "1.5 小时", "2026-06-02"):
        assert shown in html
    assert "10 分" in html and "2026 年度志愿服务记录" in html
    assert "王小华" not in html and "13812345678" not in html and "138" not in html
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    # Typed by hand, in lower case and with spaces, it still checks.
    typed = api.client.get(f"/v/{serial.lower().replace('-', '-%20', 1)}")
    assert typed.status_code == 200 and GENUINE in typed.get_data(as_text=True)
    # The same content downloaded again keeps its serial: nothing new to check.
    (tmp_path / "again").mkdir()
    assert serial_of(record_pdf(api), tmp_path / "again") == serial
    assert query(lambda s: len(s.scalars(select(IssuedRecord)).all())) == 1


def test_edited_guessed_and_neighbouring_serials_find_nothing_alike(
    api, seeded, query, app, frozen, tmp_path
):
    serve(api, frozen, "resident-4", STARTS, 90, "垃圾分类志愿督导", query)
    serve(api, frozen, "resident-5", STARTS + timedelta(days=1), 60, "敬老院探访", query)
    serial = serial_of(record_pdf(api), tmp_path)
    uid5 = user_id(query, "resident-5")
    last = serial[-1]
    edited = serial[:-1] + (ALPHABET[(ALPHABET.index(last) + 1) % len(ALPHABET)])
    tries = [
        edited,
        f"VS2026-{uid5:06d}-00000000",  # the old format's shape with a neighbour's id
        f"VS2026-{uid5:04d}-0000-0000",
        "VS2026-2222-2222-2222",
        "x" * 500,
        "<script>",
    ]
    bodies = set()
    for guess in tries:
        resp = api.client.get(f"/v/{guess}")
        assert resp.status_code == 404
        body = resp.get_data(as_text=True)
        assert NOT_FOUND in body and GENUINE not in body
        bodies.add(body)
    assert len(bodies) == 1  # the same page whatever was typed
    form = api.client.post("/v", data={"serial": edited})
    assert form.status_code == 404 and form.get_data(as_text=True) in bodies
    posted = api.client.post("/v", data={"serial": serial})
    assert posted.status_code == 200 and GENUINE in posted.get_data(as_text=True)


def test_an_old_print_still_checks_with_its_own_figures(api, seeded, query, frozen, tmp_path):
    serve(api, frozen, "resident-4", STARTS, 90, "垃圾分类志愿督导", query)
    first = serial_of(record_pdf(api), tmp_path)
    serve(api, frozen, "resident-4", STARTS + timedelta(days=3), 60, "敬老院探访", query)
    (tmp_path / "second").mkdir()
    second = serial_of(record_pdf(api), tmp_path / "second")
    assert second != first
    old = api.client.get(f"/v/{first}").get_data(as_text=True)
    assert "1.5 小时" in old and "10 分" in old and "1 次" in old
    new = api.client.get(f"/v/{second}").get_data(as_text=True)
    assert "2.5 小时" in new and "20 分" in new and "2 次" in new


def test_the_page_is_rate_limited_per_address(api, seeded, app, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_ADDRESS_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        assert api.client.get("/v/VS2026-2222-2222-2222").status_code == 404
    assert api.client.get("/v/VS2026-2222-2222-2222").status_code == 429
    other = api.client.get("/v/VS2026-2222-2222-2222", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 404  # another address has its own count
    assert api.client.get("/v").status_code == 200  # the empty form is never counted
