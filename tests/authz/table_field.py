"""The table's second half: tasks, grid work, wishes, cards, group chats, notices, console.

Same reading as tests/authz/table.py, which merges it.
"""

from datetime import timedelta

from server.wechat.subscribe_templates import DEV_TEMPLATE_IDS
from tests.authz.rules import (
    ADMIN,
    ANY_ADMIN,
    ANY_REVIEWERS,
    DEMO,
    DEMO_STAFF,
    GRID_WORKERS,
    ORGANISERS,
    REVIEWERS,
    SIGNED_IN,
    Rule,
    also,
)
from tests.authz.world import today

R = Rule
MANAGERS = {"grid", "admin"}  # the task's organiser, or the community's admin
RUNNING = {"task_id": "running_task"}
NO_SIGNUP = also({409}, "resident", "other_staff", "other_grid", "organiser")
IN_REVIEW = {"report_id": "flagged_report"}
HANDLERS = {"grid", "admin"}  # the report's grid worker, or the community's admin

FIELD: dict[str, Rule] = {
    # ---- tasks: members read and sign up; the task's organiser (or the admin) manages it.
    "GET /tasks": R(SIGNED_IN),
    "POST /tasks": R(
        ORGANISERS,
        by="organiser",
        refuse=also({422}, "outside_admin", "outside_reviewer"),  # the body's item is ours
        body=lambda w: {
            "title": "清洁日",
            "reward_kind": "item",
            "point_item_id": w.point_item,
            "capacity": 3,
            "starts_at": f"{today() + timedelta(days=3)}T09:00:00+08:00",
            "ends_at": f"{today() + timedelta(days=3)}T11:00:00+08:00",
        },
    ),
    "GET /tasks/me/signups": R(SIGNED_IN),
    "GET /tasks/me/rights": R(SIGNED_IN),
    "GET /tasks/me/hours": R(SIGNED_IN),
    "GET /tasks/me/record": R(SIGNED_IN),
    "GET /tasks/{task_id}": R(DEMO),
    "PATCH /tasks/{task_id}": R({"grid", "admin"}),
    "POST /tasks/{task_id}/cancel": R({"grid", "admin"}),
    "POST /tasks/{task_id}/signups": R(DEMO, by="resident"),
    "DELETE /tasks/{task_id}/signups/me": R({"owner"}),
    "GET /tasks/{task_id}/attendees": R({"grid", "admin"}),
    # Attendance: on a task that started ten minutes ago, the owner signed up.
    "GET /tasks/{task_id}/checkin-code": R(MANAGERS, ids=RUNNING),
    # Checking in and out acts on one's own sign-up: a member without one is answered 409
    # (signup_not_confirmed, not_checked_in); other communities' members 403/404.
    "POST /tasks/{task_id}/checkin": R(
        {"owner"},
        ids=RUNNING,
        body=lambda w: {"token": w.checkin_code()},
        refuse=NO_SIGNUP,
    ),
    "POST /tasks/{task_id}/checkout": R(
        {"owner"},
        ids=RUNNING,
        body=lambda w: {"token": w.checkin_code()},
        unchecked="the owner has not checked in",
        refuse=NO_SIGNUP,
    ),
    "POST /tasks/{task_id}/attendance": R(
        MANAGERS, ids=RUNNING, body=lambda w: {"user_id": w.owner_user}
    ),
    "POST /tasks/{task_id}/complete": R(MANAGERS, ids=RUNNING),
    "GET /admin/communities/{community_id}/task-settings": R(ADMIN),
    "PUT /admin/communities/{community_id}/task-settings": R(ADMIN),
    # ---- grid service logs: grid workers record; reviewers decide.
    "GET /grid/service-items": R(SIGNED_IN),
    "POST /admin/grid/service-items": R(
        ANY_ADMIN, body=lambda w: {"code": "errand", "name": "代办跑腿", "points": 5}
    ),
    "PATCH /admin/grid/service-items/{item_id}": R(ADMIN, ids={"item_id": "service_item"}),
    "GET /grid/residents": R(GRID_WORKERS, query={"q": "张"}),
    "POST /grid/service-logs": R(
        {"grid", "other_grid", "admin"},
        by="grid",
        body=lambda w: {
            "item_id": w.service_item,
            "duration_minutes": 20,
            "place": "幸福里",
            "served_at": f"{today()}T00:01:00+08:00",
        },
    ),
    "GET /grid/service-logs": R(SIGNED_IN),
    "GET /grid/service-logs/{log_id}": R({"grid", *REVIEWERS}),
    "POST /grid/service-logs/{log_id}/approve": R(REVIEWERS, by="reviewer"),
    "POST /grid/service-logs/{log_id}/reject": R(REVIEWERS, by="reviewer"),
    "GET /grid/performance/me": R(GRID_WORKERS),
    "GET /grid/performance": R(ANY_REVIEWERS),
    # ---- reports (随手拍): the reporter and the grid's worker (or the admin) handle them.
    "GET /grid/report-categories": R(SIGNED_IN),
    "POST /grid/reports": R(
        DEMO, body=lambda w: {"category_id": w.category_id, "text": "路灯坏了", "place": "3栋"}
    ),
    "GET /grid/reports": R(SIGNED_IN),
    "GET /grid/reports/stats": R(ANY_REVIEWERS),
    "GET /grid/reports/{report_id}": R({"owner", "grid", "admin"}),
    # Release and reject decide a report held for content review (in_review): reviewers'.
    "POST /grid/reports/{report_id}/release": R(REVIEWERS, by="reviewer", ids=IN_REVIEW),
    "POST /grid/reports/{report_id}/reject": R(REVIEWERS, by="reviewer", ids=IN_REVIEW),
    "POST /grid/reports/{report_id}/accept": R({"grid", "admin"}),
    "POST /grid/reports/{report_id}/wait": R(HANDLERS, ids={"report_id": "accepted_report"}),
    # The reporter answers a report waiting for them, or the handler goes on.
    "POST /grid/reports/{report_id}/resume": R(
        {"owner", *HANDLERS}, ids={"report_id": "waiting_report"}
    ),
    "POST /grid/reports/{report_id}/resolve": R(HANDLERS, ids={"report_id": "accepted_report"}),
    "POST /grid/reports/{report_id}/transfer": R(
        {"grid", "admin"}, body=lambda w: {"grid_id": w.g2, "reason": "不属本网格"}
    ),
    "POST /grid/reports/{report_id}/escalate": R({"grid", "admin"}),
    "POST /grid/reports/{report_id}/duplicate": R(
        HANDLERS, body=lambda w: {"duplicate_of_id": w.accepted_report}
    ),
    "POST /grid/reports/{report_id}/confirm": R(
        {"owner"}, ids={"report_id": "resolved_report"}, body=lambda w: {"rating": 5}
    ),
    "POST /grid/reports/{report_id}/reopen": R({"owner"}, ids={"report_id": "resolved_report"}),
    "POST /admin/grid/report-categories": R(ANY_ADMIN),
    "PATCH /admin/grid/report-categories/{category_id}": R(ADMIN),
    "GET /admin/grid/report-settings": R(ANY_ADMIN),
    "PUT /admin/grid/report-settings": R(ANY_ADMIN),
    # ---- wishes (微心愿): the poster's; reviewers publish; a claimer carries it out.
    "POST /wishes": R(SIGNED_IN, body=lambda w: {"title": "修水龙头", "needed_by": str(today())}),
    "GET /wishes": R(SIGNED_IN),
    "GET /wishes/{wish_id}": R({"owner", *REVIEWERS}),
    "POST /wishes/{wish_id}/cancel": R({"owner"}),
    "POST /wishes/{wish_id}/approve": R(REVIEWERS, by="reviewer"),
    "POST /wishes/{wish_id}/reject": R(REVIEWERS, by="reviewer"),
    "POST /wishes/{wish_id}/claim": R(
        DEMO - {"owner"}, by="resident", ids={"wish_id": "published_wish"}
    ),
    "POST /wishes/{wish_id}/hand-back": R({"reviewer"}, ids={"wish_id": "claimed_wish"}),
    "POST /wishes/{wish_id}/fulfil": R(
        {"reviewer"},
        ids={"wish_id": "claimed_wish"},
        body=lambda w: {"note": "修好了", "photo_ids": [w.spare_photo]},
    ),
    "POST /wishes/{wish_id}/confirm": R({"owner"}, ids={"wish_id": "fulfilled_wish"}),
    # ---- card holders (积分卡): office staff and the holder's grid worker.
    "POST /card-holders": R(
        {"grid", "other_grid", *ANY_REVIEWERS},
        body=lambda w: {"real_name": "赵桂芳", "building": "5栋", "pin": "1357"},
    ),
    "GET /card-holders": R({"grid", "other_grid", *ANY_REVIEWERS}),
    "GET /card-holders/{holder_id}": R({"grid", "admin"}),
    "POST /card-holders/{holder_id}/replace-card": R({"grid", "admin"}),
    "POST /card-holders/{holder_id}/unlock": R({"grid", "admin"}),
    "POST /card-holders/{holder_id}/bind-code": R({"grid", "admin"}),
    "POST /cards/print": R({"grid", "admin"}, body=lambda w: {"holder_ids": [w.holder_id]}),
    "POST /cards/bind": R(SIGNED_IN, unchecked="needs a bind code (tests/cards)"),
    # A card holder's own record of acts done for them; anyone else has none (404).
    "GET /acts-on-behalf": R(SIGNED_IN, unchecked="only a bound card holder has one"),
    "POST /merchant/card-scan": R({"staff", "other_staff"}, body=lambda w: {"card": w.card}),
    "POST /merchant/card-redemptions": R(
        {"staff"},
        body=lambda w: {"card": w.card, "pin": "2580", "offer_id": w.offer_id},
    ),
    # ---- group chats: the admin's.
    "POST /admin/group-channels": R(
        ANY_ADMIN, body=lambda w: {"key": w.spare_robot, "name": "第一网格群"}
    ),
    "GET /admin/group-channels": R(ANY_ADMIN),
    "POST /admin/group-channels/{channel_id}/deactivate": R(ADMIN),
    "GET /admin/deliveries": R(ANY_ADMIN),
    "POST /admin/deliveries/{delivery_id}/retry": R(ADMIN, unchecked="no delivery failed"),
    # ---- notices (公示): the community's members read; the admin publishes and corrects.
    "GET /notices": R(SIGNED_IN),
    "GET /notices/{notice_id}": R(DEMO),
    "GET /notices/{notice_id}/xlsx": R(DEMO),
    "GET /notices/{notice_id}/pdf": R(DEMO),
    "POST /admin/notices": R(  # the world published last month's; this is an older quarter
        ANY_ADMIN, body=lambda w: {"period": f"{today().year - 1}-Q4"}
    ),
    "POST /admin/notices/{notice_id}/corrections": R(ADMIN),
    "POST /admin/display-links": R(ANY_ADMIN),
    "GET /admin/display-links": R(ANY_ADMIN),
    "POST /admin/display-links/{link_id}/revoke": R(ADMIN),
    # ---- subscribe messages: the caller's own counts.
    "GET /me/subscriptions": R(SIGNED_IN),
    "POST /me/subscriptions": R(
        SIGNED_IN, body=lambda w: {"results": {next(iter(DEV_TEMPLATE_IDS.values())): "accept"}}
    ),
    # ---- console login by scan: the scene is a secret shown only in the browser's QR code;
    # whoever scans it may read and cancel it, and staff of any community log in as themselves.
    # A refused confirmation is written to the login log on purpose (the office sees attempts).
    "GET /console-logins/{scene}": R(SIGNED_IN),
    "POST /console-logins/{scene}/confirm": R(
        DEMO_STAFF | {"other_grid", "other_staff", "outside_admin", "outside_reviewer"},
        writes=frozenset({"console_login_log"}),
    ),
    "POST /console-logins/{scene}/cancel": R(SIGNED_IN, by="admin"),
    # ---- audit log: the admin's.
    "GET /admin/communities/{community_id}/audit-entries": R(ADMIN),
}
