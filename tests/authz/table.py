"""Who may do what: one entry per operation of schemas/openapi.json (method and path).

Read an entry as "only these actors may do this to the owner's object"; every other actor in
world.REFUSABLE is refused (401 without an active user, else 403/404 unless widened). To add a
route: add its line under its domain; the test fails until every contract operation has one.
"""

from datetime import timedelta

from tests.authz.rules import (
    ADMIN,
    ANY_ADMIN,
    ANY_REVIEWERS,
    DEMO,
    EVERYONE,
    REVIEWERS,
    SIGNED_IN,
    Rule,
    also,
)
from tests.authz.table_field import FIELD
from tests.authz.world import today

R = Rule
ADMIN_NAMES_MERCHANT = also({422}, "outside_admin")  # merchant_required: an admin names one
OUTSIDERS = ("outsider", "outside_reviewer", "outside_admin")
IN_OTHER_COMMUNITY = also({409}, *OUTSIDERS)


def _claim(w, days_ago=2):
    day = (today() - timedelta(days=days_ago)).isoformat()
    return {"item_id": w.point_item, "occurred_on": day, "description": "督导垃圾分类"}


TABLE: dict[str, Rule] = {
    # Tasks, grid work, wishes, cards, group chats, notices and the console: table_field.py.
    **FIELD,
    # ---- auth: logging in is public; the rest is the caller's own account.
    "POST /auth/wechat-login": R(
        EVERYONE, by="anonymous", body=lambda w: {"code": w.emulator_code("resident-9")}
    ),
    "POST /auth/phone": R(SIGNED_IN, body=lambda w: {"code": w.emulator_code("13812345678")}),
    "GET /me": R(SIGNED_IN),
    "PATCH /me": R(SIGNED_IN),
    # ---- community: anyone signed in may choose a community; roles and members are its admin's.
    "GET /communities": R(SIGNED_IN),
    "GET /communities/{community_id}/grids": R(SIGNED_IN),
    # Joining (and accepting an invitation) moves nobody out of another community: 409
    # already_in_other_community, and nothing written.
    "POST /communities/{community_id}/join": R(DEMO, by="owner", refuse=IN_OTHER_COMMUNITY),
    "GET /communities/{community_id}/organisations": R(SIGNED_IN),
    "GET /admin/communities/{community_id}/roles": R(ADMIN),
    "POST /admin/communities/{community_id}/roles": R(
        ADMIN, body=lambda w: {"user_id": w.owner_user, "role": "reviewer"}
    ),
    "DELETE /admin/communities/{community_id}/roles/{grant_id}": R(ADMIN),
    "GET /admin/communities/{community_id}/members": R(ADMIN),
    "POST /admin/communities/{community_id}/organisations": R(
        ADMIN, body=lambda w: {"name": "幸福路幼儿园"}
    ),
    "POST /invitations/accept": R(
        DEMO,
        by="resident",
        body=lambda w: {"code": w.invitation_code},
        refuse=IN_OTHER_COMMUNITY,
    ),
    "POST /admin/communities/{community_id}/invitations": R(
        ADMIN, body=lambda w: {"role": "reviewer"}
    ),
    "GET /admin/communities/{community_id}/invitations": R(ADMIN),
    "DELETE /admin/communities/{community_id}/invitations/{invitation_id}": R(ADMIN),
    # ---- points: each reads their own balance; adjustments are the admin's.
    "GET /points/balance": R(SIGNED_IN),
    "GET /points/ledger": R(SIGNED_IN),
    "POST /points/adjustments": R(
        ADMIN, body=lambda w: {"user_id": w.owner_user, "amount": 10, "reason": "表彰"}
    ),
    "POST /points/adjustments/{entry_id}/reverse": R(ADMIN),
    "GET /rankings": R(SIGNED_IN),
    "GET /points/categories": R(SIGNED_IN),
    "GET /points/items": R(SIGNED_IN),
    # ---- claims: members file their own; the community's reviewers decide.
    # The body names a demo item: another community's members meet it as unknown (422).
    "POST /points/claims": R(DEMO, body=_claim, refuse=also({422}, *OUTSIDERS)),
    "GET /points/claims": R(SIGNED_IN),
    "GET /points/claims/{claim_id}": R({"owner", *REVIEWERS}),
    "POST /points/claims/{claim_id}/approve": R(REVIEWERS, by="reviewer"),
    "POST /points/claims/{claim_id}/reject": R(REVIEWERS, by="reviewer"),
    "POST /points/claims/{claim_id}/resubmit": R(
        {"owner"}, ids={"claim_id": "rejected_claim"}, body=lambda w: _claim(w, 3)
    ),
    # A reviewer elsewhere is answered 200 with every id refused (claim_not_found) per item.
    "POST /points/claims/batch-decide": R(
        ANY_REVIEWERS, by="reviewer", body=lambda w: {"decision": "approve", "ids": [w.claim_id]}
    ),
    # ---- catalogue: the admin's.
    "POST /admin/points/categories": R(ANY_ADMIN, body=lambda w: {"code": "sport", "name": "体育"}),
    "POST /admin/points/items": R(
        ADMIN,
        refuse=also({422}, "outside_admin"),  # the body's category is not in their community
        body=lambda w: {
            "category_id": w.point_category,
            "code": "Z01",
            "name": "测试项目",
            "points": 5,
        },
    ),
    "PATCH /admin/points/items/{item_id}": R(ADMIN),
    "GET /admin/points/items/{item_id}/versions": R(ADMIN),
    "POST /admin/points/items/{item_id}/versions": R(
        ADMIN,
        body=lambda w: {"effective_from": (today() + timedelta(days=40)).isoformat(), "points": 5},
    ),
    # ---- uploads: a photo is its uploader's, and the reviewers' who judge what it is attached to.
    "POST /uploads": R(SIGNED_IN, body="upload"),
    "GET /uploads/{upload_id}": R({"owner", *REVIEWERS}),
    # ---- merchants and offers: members browse; the admin and a merchant's staff manage.
    # The counter's routes answer only a merchant's staff (an admin names the merchant).
    "GET /merchants": R(SIGNED_IN),
    "POST /merchants": R(SIGNED_IN, body=lambda w: {"name": "李记早餐"}),
    "GET /merchants/{merchant_id}": R(DEMO),
    "GET /offers": R(SIGNED_IN),
    "POST /offers": R(
        {"admin", "staff"},
        by="staff",
        body=lambda w: {"merchant_id": w.merchant_id, "points_cost": 10, "title": "洗衣液一瓶"},
    ),
    "GET /offers/{offer_id}": R(DEMO),
    "PATCH /offers/{offer_id}": R({"admin", "staff"}),
    "GET /redemption-windows/current": R(SIGNED_IN),
    "GET /communities/{community_id}/redemption-windows": R(DEMO),
    "POST /admin/merchants/{merchant_id}/approve": R(
        ADMIN, ids={"merchant_id": "pending_merchant"}
    ),
    "POST /admin/merchants/{merchant_id}/suspend": R(
        ADMIN, ids={"merchant_id": "pending_merchant"}
    ),
    "POST /admin/communities/{community_id}/redemption-windows": R(
        ADMIN,
        body=lambda w: {
            "starts_on": (today() + timedelta(days=60)).isoformat(),
            "ends_on": (today() + timedelta(days=70)).isoformat(),
        },
    ),
    "POST /admin/communities/{community_id}/redemption-windows/quarterly": R(
        ADMIN, body=lambda w: {"year": today().year + 1}
    ),
    "DELETE /admin/communities/{community_id}/redemption-windows/{window_id}": R(ADMIN),
    # ---- redemptions: the holder's own; the counter verifies only its merchant's.
    "POST /redemptions": R(DEMO, body=lambda w: {"offer_id": w.offer_id}),
    "GET /redemptions": R(SIGNED_IN),
    "GET /redemptions/{redemption_id}": R({"owner"}),
    "DELETE /redemptions/{redemption_id}": R({"owner"}),
    "GET /redemptions/{redemption_id}/code": R({"owner"}),
    "GET /redemptions/{redemption_id}/code.png": R({"owner"}),
    "GET /redemptions/{redemption_id}/code.svg": R({"owner"}),
    "POST /merchant/verify/preview": R({"staff"}, body=lambda w: {"token": w.fresh_code()}),
    "POST /merchant/verify": R({"staff"}, body=lambda w: {"token": w.fresh_code()}),
    "GET /merchant/redemptions": R({"staff", "other_staff"}, refuse=ADMIN_NAMES_MERCHANT),
    "GET /merchant/statement": R({"staff", "other_staff"}, refuse=ADMIN_NAMES_MERCHANT),
    "GET /merchant/statement.xlsx": R({"staff", "other_staff"}, refuse=ADMIN_NAMES_MERCHANT),
    # ---- a person's own data (PIPL) and references: each acts on their own account only.
    "GET /me/data-export": R(SIGNED_IN),
    "GET /me/data-export.xlsx": R(SIGNED_IN),
    # Deleting is one's own account: checked as another resident (staff must hand over first).
    "POST /me/delete": R(SIGNED_IN, by="resident", body=lambda w: {"confirm": "注销账号"}),
    "POST /me/credit-references": R(SIGNED_IN, by="owner", body=lambda w: {"valid_days": 30}),
    "GET /me/credit-references": R(SIGNED_IN),
    "POST /me/credit-references/{reference_id}/revoke": R({"owner"}),
}

# Path parameters filled from the world by default (an entry's `ids` overrides them).
PATH_IDS = {
    "item_id": "point_item",
}
