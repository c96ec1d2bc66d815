"""积分审核 through HTTP: the queue with photos and filters, bulk and single decisions (each
one the API's service call), per-claim refusals, CSRF, roles and another community's ids."""

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from server.points.claim_models import PointClaim
from tests import claims_helpers
from tests.claims_helpers import item_id, make_other_community, today, upload
from tests.console.console_helpers import csrf_of, log_in

upload_dir = claims_helpers.upload_dir
pytestmark = pytest.mark.usefixtures("upload_dir")
CLAIMS = "/api/v1/points/claims"


def submit(api, query, identity, code="C01", **body) -> int:
    payload = {
        "item_id": body.pop("item_id", None) or item_id(query, code),
        "occurred_on": today().isoformat(),
        "description": "在小区垃圾分类点督导两小时",
        **body,
    }
    resp = api.post(CLAIMS, identity, json=payload)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def statuses(query, ids) -> dict[int, str]:
    rows = query(lambda s: s.execute(select(PointClaim.id, PointClaim.status)).all())
    return {i: status for i, status in rows if i in ids}


def balance(api, identity) -> int:
    return api.get("/api/v1/points/balance", identity).get_json()["balance"]


@pytest.fixture
def reviewer(app, seeded, api, client):
    log_in(client, api, "reviewer")
    client.csrf = csrf_of(client.get("/console/claims").get_data(as_text=True))
    return client


def test_queue_shows_open_claims_with_photos_and_filters(reviewer, api, query):
    photo = upload(api, "resident-1").get_json()["id"]
    first = submit(api, query, "resident-1", photo_ids=[photo])
    second = submit(api, query, "resident-2", code="C02")
    html = reviewer.get("/console/claims").get_data(as_text=True)
    assert f'data-claim="{first}"' in html and f'data-claim="{second}"' in html
    assert f'src="/console/claims/photos/{photo}"' in html
    assert "张伟明" in html  # staff see the claimant's name, as the API shows reviewers
    image = reviewer.get(f"/console/claims/photos/{photo}")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data == api.get(f"/api/v1/uploads/{photo}", "resident-1").data

    by_name = reviewer.get("/console/claims?name=伟明").get_data(as_text=True)
    assert f'data-claim="{first}"' in by_name and f'data-claim="{second}"' not in by_name
    by_item = reviewer.get(f"/console/claims?item_id={item_id(query, 'C02')}").get_data(True)
    assert f'data-claim="{second}"' in by_item and f'data-claim="{first}"' not in by_item
    approved = reviewer.get("/console/claims?status=approved").get_data(as_text=True)
    assert f'data-claim="{first}"' not in approved
    bad = reviewer.get("/console/claims?status=nope")
    assert bad.status_code == 400 and "状态无效" in bad.get_data(as_text=True)
    assert reviewer.get("/console/claims?name=" + "长" * 51).status_code == 400

    export = reviewer.get("/console/claims/export?name=伟明")
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "申报人") and [r[0] for r in rows[1:]] == [first]


def test_bulk_approve_reports_each_claim_and_refuses_own_and_foreign(app, reviewer, api, query):
    ids = [submit(api, query, f"resident-{n}") for n in (1, 2, 3)]
    own = submit(api, query, "reviewer")
    _, other_item = make_other_community(app, identities=("outsider",))
    foreign = submit(api, query, "outsider", item_id=other_item)
    before = {n: balance(api, f"resident-{n}") for n in (1, 2, 3)}

    resp = reviewer.post(
        "/console/claims/decide",
        data={"csrf_token": reviewer.csrf, "decision": "approve", "ids": [*ids, own, foreign]},
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "已通过 3 条，未处理 2 条" in html
    for claim_id in ids:
        assert f'data-result="{claim_id}" data-ok="true"' in html
    assert f'data-result="{own}" data-ok="false"' in html and "不能审核自己的申报" in html
    assert f'data-result="{foreign}" data-ok="false"' in html and "申报不存在或无权查看" in html
    assert statuses(query, ids + [own, foreign]) == {
        **dict.fromkeys(ids, "approved"),
        own: "pending",
        foreign: "pending",
    }
    assert {n: balance(api, f"resident-{n}") for n in (1, 2, 3)} == {
        n: before[n] + 10 for n in (1, 2, 3)
    }
    again = reviewer.post(
        "/console/claims/decide",
        data={"csrf_token": reviewer.csrf, "decision": "reject", "reason": "重复", "ids": ids[0]},
    )
    assert "该申报已审核" in again.get_data(as_text=True)


def test_bulk_reject_needs_a_reason_and_csrf(reviewer, api, query):
    ids = [submit(api, query, f"resident-{n}") for n in (4, 5)]
    no_reason = reviewer.post(
        "/console/claims/decide",
        data={"csrf_token": reviewer.csrf, "decision": "reject", "ids": ids},
    )
    assert no_reason.status_code == 422 and "驳回时请填写原因" in no_reason.get_data(True)
    too_long = reviewer.post(
        "/console/claims/decide",
        data={"csrf_token": reviewer.csrf, "decision": "reject", "reason": "长" * 201, "ids": ids},
    )
    assert too_long.status_code == 400 and "不能超过 200" in too_long.get_data(True)
    no_csrf = reviewer.post("/console/claims/decide", data={"decision": "approve", "ids": ids})
    assert no_csrf.status_code == 400 and "页面已失效" in no_csrf.get_data(True)
    # "²" and "٣" pass str.isdigit; only the first would make int() fail with a 500.
    for odd in ("²", "abc", "9" * 16):
        bad = reviewer.post(
            "/console/claims/decide",
            data={"csrf_token": reviewer.csrf, "decision": "approve", "ids": [ids[0], odd]},
        )
        assert bad.status_code == 400 and "申报编号无效" in bad.get_data(True), odd
    assert reviewer.get("/console/claims?item_id=²").status_code == 400
    assert statuses(query, ids) == dict.fromkeys(ids, "pending")

    done = reviewer.post(
        "/console/claims/decide",
        data={
            "csrf_token": reviewer.csrf,
            "decision": "reject",
            "reason": "照片不清晰",
            "ids": ids,
        },
    )
    assert "已驳回 2 条" in done.get_data(as_text=True)
    assert statuses(query, ids) == dict.fromkeys(ids, "rejected")


def test_single_decisions_from_the_detail_view(app, reviewer, api, query):
    approve_me, reject_me = (submit(api, query, f"resident-{n}") for n in (6, 7))
    own = submit(api, query, "reviewer")
    page = reviewer.get(f"/console/claims/{approve_me}").get_data(as_text=True)
    assert "申报 #" in page and 'data-status="pending"' in page
    ok = reviewer.post(
        f"/console/claims/{approve_me}/decide",
        data={"csrf_token": reviewer.csrf, "decision": "approve"},
    )
    assert ok.status_code == 200 and 'data-status="approved"' in ok.get_data(True)
    rejected = reviewer.post(
        f"/console/claims/{reject_me}/decide",
        data={"csrf_token": reviewer.csrf, "decision": "reject", "reason": "与事实不符"},
    )
    assert "与事实不符" in rejected.get_data(True)
    refused = reviewer.post(
        f"/console/claims/{own}/decide", data={"csrf_token": reviewer.csrf, "decision": "approve"}
    )
    assert refused.status_code == 403 and "不能审核自己的申报" in refused.get_data(True)
    assert statuses(query, [approve_me, reject_me, own]) == {
        approve_me: "approved",
        reject_me: "rejected",
        own: "pending",
    }

    _, other_item = make_other_community(app, identities=("outsider",))
    foreign = submit(api, query, "outsider", item_id=other_item)
    photo = upload(api, "outsider").get_json()["id"]
    assert reviewer.get(f"/console/claims/{foreign}").status_code == 404
    post = reviewer.post(
        f"/console/claims/{foreign}/decide",
        data={"csrf_token": reviewer.csrf, "decision": "approve"},
    )
    assert post.status_code == 404 and statuses(query, [foreign]) == {foreign: "pending"}
    assert reviewer.get(f"/console/claims/photos/{photo}").status_code == 404


@pytest.mark.parametrize("identity", ["merchant-1", "grid-1"])
def test_other_staff_are_refused(app, seeded, api, client, query, identity):
    claim = submit(api, query, "resident-1")
    log_in(client, api, identity)
    token = csrf_of(client.get("/console/").get_data(as_text=True))
    for path in ("/console/claims", f"/console/claims/{claim}", "/console/claims/export"):
        resp = client.get(path)
        assert resp.status_code == 403 and "您没有权限" in resp.get_data(as_text=True)
    post = client.post(
        "/console/claims/decide", data={"csrf_token": token, "decision": "approve", "ids": claim}
    )
    assert post.status_code == 403 and statuses(query, [claim]) == {claim: "pending"}
    assert "申报审核" not in client.get("/console/").get_data(as_text=True)


def test_a_resident_cannot_log_in(seeded, api, client):
    from tests.console.console_helpers import LOGINS, start

    scene = start(client)
    resp = api.post(f"{LOGINS}/{scene}/confirm", "resident-1")
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "console_no_role"
    assert client.get("/console/claims").status_code == 302


def test_photo_ids_are_not_probed(reviewer):
    assert re.search(r"不存在", reviewer.get("/console/claims/photos/999999").get_data(True))


def test_queue_filter_by_claimant_name_at_the_service(app, seeded, api, query):
    from server.auth.models import User
    from server.db.session import db
    from server.points import claim_queue
    from tests.ledger_helpers import user_id_of

    first = submit(api, query, "resident-1")  # 张伟明
    submit(api, query, "resident-2")  # 王芳
    with app.app_context():
        reviewer = db.session.get(User, user_id_of("reviewer"))
        page = claim_queue.list_claims(reviewer, 20, None, scope="queue", claimant_name="伟明")
        assert [c["id"] for c in page.items] == [first]
        wild = claim_queue.list_claims(reviewer, 20, None, scope="queue", claimant_name="%")
        assert len(wild.items) == 2  # % is not a wildcard a user can type
