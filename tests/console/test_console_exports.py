"""导出 and 导出任务: a filter within the direct maximum downloads at once; a bigger one is offered
as a background export, written by a thread (no Redis) or an RQ worker, and downloadable only
by the staff member who asked; cells are values, never formulas."""

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from server.admin.console_models import ConsoleExport
from tests import claims_helpers
from tests.claims_helpers import item_id, make_other_community, today
from tests.console.cc_helpers import console_as, post, sheet_rows

upload_dir = claims_helpers.upload_dir
pytestmark = pytest.mark.usefixtures("upload_dir")
ROOT = Path(__file__).resolve().parents[2]


def file_claims(api, query, descriptions: list[str]) -> None:
    for n, text in enumerate(descriptions):
        body = {
            "item_id": item_id(query, "C01" if n % 2 else "C02"),
            "occurred_on": (today() - timedelta(days=n)).isoformat(),
            "description": text,
        }
        resp = api.post("/api/v1/points/claims", f"resident-{n % 3 + 1}", json=body)
        assert resp.status_code == 201, resp.get_json()


def wait_done(browser, timeout: float = 30.0) -> int:
    """Poll 导出任务 as the page does until the newest export has finished; its id."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = browser.get("/console/exports/table").get_data(as_text=True)
        newest = re.search(r'data-export="(\d+)" data-status="(\w+)"', html)
        if newest and newest.group(2) in ("done", "failed"):
            assert newest.group(2) == "done", html
            return int(newest.group(1))
        time.sleep(0.2)
    raise AssertionError("the export did not finish")


@pytest.fixture
def reviewer(app, seeded, api):
    return console_as(app, api, "reviewer")


def test_a_big_filter_is_exported_in_the_background_with_the_same_rows(
    app, reviewer, api, query, monkeypatch
):
    texts = [f"楼道清理第 {n} 次" for n in range(7)] + ['=HYPERLINK("http://x","点我")']
    file_claims(api, query, texts)
    direct = sheet_rows(reviewer.get("/console/claims/export"))
    assert len(direct) == 9 and direct[-1][8] == texts[-1]  # the formula stays text

    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_DIRECT_MAX", 5)
    offer = reviewer.get("/console/claims/export?status=pending")
    html = offer.get_data(as_text=True)
    assert offer.status_code == 200 and "超过 5 行" in html and "开始后台导出" in html
    action = re.search(r'id="export-form" action="([^"]+)"', html).group(1)
    assert action == "/console/exports/claims?status=pending"
    assert query(lambda s: s.scalars(select(ConsoleExport)).all()) == []  # the offer wrote nothing

    refused = post(reviewer, action, csrf=False)
    assert refused.status_code == 400
    assert query(lambda s: s.scalars(select(ConsoleExport)).all()) == []

    started = post(reviewer, action)
    assert started.status_code == 303 and started.headers["Location"].endswith("/console/exports")
    export_id = wait_done(reviewer)
    page = reviewer.get("/console/exports").get_data(as_text=True)
    assert "积分申报" in page and "已完成" in page and "下载" in page
    background = sheet_rows(reviewer.get(f"/console/exports/{export_id}/download"))
    assert background == direct


def test_only_the_asker_downloads_and_bad_filters_are_refused_at_once(
    app, reviewer, api, query, monkeypatch
):
    file_claims(api, query, [f"绿化带除草 {n}" for n in range(4)])
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_DIRECT_MAX", 2)
    assert post(reviewer, "/console/exports/claims").status_code == 303
    export_id = wait_done(reviewer)

    admin = console_as(app, api, "admin")  # same community, another person
    assert admin.get(f"/console/exports/{export_id}/download").status_code == 404
    assert f'data-export="{export_id}"' not in admin.get("/console/exports").get_data(True)
    make_other_community(app, identities=("outsider",), reviewer="outsider")
    outsider = console_as(app, api, "outsider")
    assert outsider.get(f"/console/exports/{export_id}/download").status_code == 404

    before = query(lambda s: s.scalar(select(ConsoleExport.id).order_by(ConsoleExport.id.desc())))
    assert post(reviewer, "/console/exports/claims?status=nope").status_code == 400
    assert post(reviewer, "/console/exports/nothing").status_code == 404
    assert post(reviewer, "/console/exports/members").status_code == 403  # admins' list
    assert post(reviewer, "/console/exports/claims?name=" + "长" * 1000).status_code == 400
    after = query(lambda s: s.scalar(select(ConsoleExport.id).order_by(ConsoleExport.id.desc())))
    assert after == before


def test_a_user_has_at_most_three_exports_running_and_a_dead_one_says_so(
    app, reviewer, api, query, monkeypatch
):
    from server.admin import console_exports
    from server.db.types import utcnow

    file_claims(api, query, [f"巡楼 {n}" for n in range(3)])
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_DIRECT_MAX", 1)
    monkeypatch.setattr(console_exports, "_dispatch", lambda export_id: None)  # no worker yet
    for _ in range(3):
        assert post(reviewer, "/console/exports/claims").status_code == 303
    busy = post(reviewer, "/console/exports/claims")
    assert busy.status_code == 409 and "已有 3 个导出任务" in busy.get_data(as_text=True)

    def age(s):
        s.execute(
            update(ConsoleExport).values(created_at=utcnow() - console_exports.STALE_AFTER * 2)
        )
        s.commit()

    query(age)
    html = reviewer.get("/console/exports").get_data(as_text=True)
    assert html.count('data-status="stale"') == 3 and "已中断，请重新导出" in html
    assert post(reviewer, "/console/exports/claims").status_code == 303  # stale ones don't count


def test_an_export_runs_once_and_fails_visibly_when_the_role_is_gone(app, reviewer, api, query,
                                                                      monkeypatch):  # fmt: skip
    from server.admin import console_exports
    from server.community.models import RoleGrant

    file_claims(api, query, ["垃圾分类督导"] * 2)
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_DIRECT_MAX", 1)
    monkeypatch.setattr(console_exports, "_dispatch", lambda export_id: None)
    post(reviewer, "/console/exports/claims")
    post(reviewer, "/console/exports/claims")
    first, second = query(lambda s: s.scalars(select(ConsoleExport.id).order_by("id")).all())
    with app.app_context():
        assert console_exports.export_job(first)["status"] == "done"
        assert console_exports.export_job(first)["status"] == "taken"  # a repeated job does nothing

    def revoke(s):
        for grant in s.scalars(select(RoleGrant).where(RoleGrant.role == "reviewer")):
            s.delete(grant)
        s.commit()

    query(revoke)
    with app.app_context():
        assert console_exports.export_job(second)["status"] == "failed"
    row = query(lambda s: s.get(ConsoleExport, second))
    assert row.status == "failed" and "没有权限" in row.error and row.storage_key is None


def test_the_daily_cleanup_deletes_week_old_exports_and_their_files(app, reviewer, api, query,
                                                                    monkeypatch):  # fmt: skip
    from server.admin.console_cleanup import purge_ended_console_records
    from server.db.types import utcnow
    from server.uploads.storage import current_storage

    file_claims(api, query, ["清理小广告"] * 2)
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_DIRECT_MAX", 1)
    post(reviewer, "/console/exports/claims")
    export_id = wait_done(reviewer)
    key = query(lambda s: s.get(ConsoleExport, export_id).storage_key)

    def stored() -> bool:
        with app.app_context():
            stream = current_storage().open(key)
            if stream is not None:
                stream.close()
            return stream is not None

    assert stored()
    with app.app_context():
        assert purge_ended_console_records(utcnow())["exports"] == 0
        assert purge_ended_console_records(utcnow() + timedelta(days=8))["exports"] == 1
    assert not stored()
    assert reviewer.get(f"/console/exports/{export_id}/download").status_code == 404


@pytest.mark.redis
def test_an_rq_worker_writes_the_export(app, reviewer, api, query, monkeypatch, upload_dir):
    from server.platform.rq_queues import queue

    file_claims(api, query, [f"助老送餐 {n}" for n in range(4)])
    direct = sheet_rows(reviewer.get("/console/claims/export"))
    monkeypatch.setitem(app.config, "CONSOLE_EXPORT_DIRECT_MAX", 2)
    monkeypatch.setitem(app.config, "NOTIFY_RQ", True)
    assert post(reviewer, "/console/exports/claims").status_code == 303
    with app.app_context():
        assert queue("exports").count == 1
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "REDIS_PREFIX": app.config["REDIS_PREFIX"],
        "UPLOAD_DIR": str(upload_dir),  # the store this test reads from
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "server", "jobs", "worker", "--burst"],
        cwd=ROOT, env=env, check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    export_id = wait_done(reviewer, timeout=5)
    assert sheet_rows(reviewer.get(f"/console/exports/{export_id}/download")) == direct
