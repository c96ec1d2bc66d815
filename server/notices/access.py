"""Who may see and correct a notice: members of its community see it; its admins correct it.
Another community's notice is not found (404), so ids reveal nothing."""

from server.auth.models import User
from server.community.authz import authorize, require_membership
from server.db.session import get_by_id
from server.http.errors import NotFound
from server.notices.models import Notice


class NoticeNotFound(NotFound):
    code, message = "notice_not_found", "公示不存在"


def member_community(actor: User) -> int:
    return require_membership(actor).community_id


def visible_notice(actor: User, notice_id: int) -> Notice:
    community_id = member_community(actor)
    notice = get_by_id(Notice, notice_id)
    if notice is None or notice.community_id != community_id:
        raise NoticeNotFound(details={"notice_id": notice_id})
    return notice


def admin_community(actor: User) -> int:
    community_id = member_community(actor)
    authorize(
        actor, community_id=community_id, roles=("admin",), message="只有社区管理员可以发布公示"
    )
    return community_id
