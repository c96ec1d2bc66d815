"""A published notice reaches every residents' group of the community (and its grids') as its
markdown text and its poster, once; staff groups do not get it."""

import hashlib

from server.db.session import db
from server.notices.poster import render_poster
from server.notices.renderings import notice_by_id, sheet_for
from server.notices.snapshot import snapshot_notice
from server.notify.pump import pump
from tests.ledger_helpers import demo_community_id
from tests.notices.notice_helpers import AFTER_NOV, REAL_NAMES, post_history
from tests.notify.channel_helpers import new_robot, received, register
from tests.tasks.test_tasks_support import grid_id


def test_a_monthly_notice_goes_to_the_residents_groups_as_text_and_poster_once(
    api, app, seeded, query, emulator
):
    _c, community = register(api, emulator, name="幸福社区居民群")
    _g, grid = register(api, emulator, name="一网格居民群", grid_id=grid_id(query, "g1"))
    staff = new_robot(emulator)
    resp = api.post("/api/v1/admin/group-channels", "admin",
                    json={"key": staff, "name": "社区工作群", "audience": "staff"})  # fmt: skip
    assert resp.status_code == 201
    post_history(app)
    with app.app_context():
        notice = snapshot_notice(demo_community_id(), "2026-11", now=AFTER_NOV)
        poster_md5 = hashlib.md5(render_poster(sheet_for(notice_by_id(notice.id)))).hexdigest()
        db.session.commit()
        first, again = pump(), pump()
        db.session.remove()
    assert first["sent"] == 4 and again.get("sent", 0) == 0  # two groups × (text, poster)
    for key in (community, grid):
        got = [m for m in received(emulator, key) if m["msgtype"] in ("markdown", "image")]
        assert [m["msgtype"] for m in got] == ["markdown", "image"]
        assert "2026年11月" in got[0]["content"] and got[1]["md5"] == poster_md5
        assert not any(name in got[0]["content"] for name in REAL_NAMES)
    assert [m for m in received(emulator, staff) if m["msgtype"] != "text"] == []
