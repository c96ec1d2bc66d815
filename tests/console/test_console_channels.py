"""群机器人 in the console: admins register a robot by pasting its webhook (the group hears a
test message), see it by key hint only, deactivate it, and retry dead deliveries; reviewers
are refused; another community's channel or delivery is not found and stays as it was."""

from sqlalchemy import select

from server.auth.models import User
from server.community.models import Grid
from server.db.session import db
from server.notify.channel_models import Delivery, GroupChannel
from tests.console.cc_helpers import console_as, post, sheet_rows
from tests.factories import add_other_community
from tests.notify.channel_helpers import WEBHOOK, new_robot, received, register
from tests.notify.test_deliveries import drain
from tests.tasks.test_tasks_support import Clock, create_task


def _channels(query) -> list[tuple[str, str, bool]]:
    return query(
        lambda s: [
            (c.name, c.audience, c.active)
            for c in s.scalars(select(GroupChannel).order_by(GroupChannel.id))
        ]
    )


def _foreign_channel(app) -> int:
    with app.app_context():
        other, _grid = add_other_community()
        channel = GroupChannel(
            community_id=other.id,
            name="外社区群",
            robot_key="k" * 20,
            key_hint="…kkkk",
            created_by=db.session.scalar(select(User.id).limit(1)),
        )
        db.session.add(channel)
        db.session.commit()
        channel_id = channel.id
        db.session.remove()
    return channel_id


def test_the_channel_pages_are_for_admins(app, seeded, api):
    admin = console_as(app, api, "admin")
    assert admin.get("/console/channels").status_code == 200
    assert admin.get("/console/deliveries?status=dead").status_code == 200
    assert admin.get("/console/deliveries?status=bogus").status_code == 400
    reviewer = console_as(app, api, "reviewer")
    assert reviewer.get("/console/channels").status_code == 403
    assert reviewer.get("/console/deliveries").status_code == 403
    assert reviewer.get("/console/channels/export").status_code == 403


def test_registering_a_robot_from_the_page(app, seeded, api, query, emulator):
    admin = console_as(app, api, "admin")
    key = new_robot(emulator)
    g2 = query(lambda s: s.scalar(select(Grid.id).where(Grid.code == "g2")))
    body = {"key": WEBHOOK.format(key), "name": "二网格工作群", "audience": "staff", "grid_id": g2}
    assert post(admin, "/console/channels", body, csrf=False).status_code == 400
    assert _channels(query) == [] and received(emulator, key) == []
    done = post(admin, "/console/channels", body)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "群机器人已接入" in html
    assert key not in html and f"…{key[-4:]}" in html and "工作群" in html
    assert _channels(query) == [("二网格工作群", "staff", True)]
    assert len(received(emulator, key)) == 1
    twice = post(admin, "/console/channels", body)
    assert twice.status_code == 409 and "已经登记过" in twice.get_data(as_text=True)
    unknown = post(admin, "/console/channels", {**body, "key": WEBHOOK.format("x" * 30)})
    assert unknown.status_code == 422 and len(_channels(query)) == 1
    rows = sheet_rows(admin.get("/console/channels/export"))
    assert rows[1][:4] == ["二网格工作群", "工作群", "第二网格（和平苑）", f"…{key[-4:]}"]
    assert key not in str(rows)


def test_deactivating_a_channel_and_a_foreign_one(app, seeded, api, query, emulator):
    channel, _key = register(api, emulator)
    foreign = _foreign_channel(app)
    admin = console_as(app, api, "admin")
    path = f"/console/channels/{channel['id']}/deactivate"
    assert post(admin, path, csrf=False).status_code == 400
    assert [active for *_, active in _channels(query)] == [True, True]
    stopped = post(admin, path)
    assert stopped.status_code == 200 and "群机器人已停用" in stopped.get_data(as_text=True)
    assert post(admin, f"/console/channels/{foreign}/deactivate").status_code == 404
    assert [active for *_, active in _channels(query)] == [False, True]


def test_a_dead_letter_is_retried_from_the_page(app, seeded, api, query, emulator, monkeypatch):
    Clock(monkeypatch)
    _channel, _key = register(api, emulator)
    emulator.fault("webhook/send", errcode=93000, times=1)
    create_task(api, query, title="垃圾分类督导")
    assert drain(app) == {"dead": 1}
    admin = console_as(app, api, "admin")
    dead = admin.get("/console/deliveries?status=dead").get_data(as_text=True)
    assert "失败" in dead and "93000" in dead and "重试" in dead
    delivery_id = query(lambda s: s.scalar(select(Delivery.id)))
    path = f"/console/deliveries/{delivery_id}/retry"
    assert post(admin, path, csrf=False).status_code == 400
    assert query(lambda s: s.get(Delivery, delivery_id).status) == "dead"
    retried = post(admin, path)
    assert retried.status_code == 200 and "已重新排队" in retried.get_data(as_text=True)
    assert query(lambda s: s.get(Delivery, delivery_id).status) == "pending"
    again = post(admin, path)
    assert again.status_code == 409 and "只有失败的推送可以重试" in again.get_data(as_text=True)
    assert post(admin, "/console/deliveries/99999/retry").status_code == 404
    assert drain(app) == {"sent": 1}
    rows = sheet_rows(admin.get("/console/deliveries/export?status=sent"))
    assert [r[3] for r in rows[1:]] == ["已发送"]
