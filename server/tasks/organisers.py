"""Who may organise tasks: per-community organiser roles, and access to one task."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.community.authz import authorize, has_role, require_membership
from server.community.models import Community, Membership
from server.db.audit import record_audit
from server.db.session import db
from server.db.types import MAX_ID
from server.http.errors import Conflict, Forbidden, NotFound, Unprocessable
from server.tasks.models import (
    DEFAULT_ORGANISER_ROLES,
    ORGANISER_ROLE_CHOICES,
    Task,
    TaskSettings,
)


def organiser_roles(community_id: int) -> list[str]:
    """The roles allowed to publish tasks in the community (admins always may)."""
    settings = db.session.scalar(
        select(TaskSettings).where(TaskSettings.community_id == community_id)
    )
    roles = list(settings.organiser_roles) if settings else list(DEFAULT_ORGANISER_ROLES)
    return roles if "admin" in roles else ["admin", *roles]


def is_organiser(user: User, community_id: int) -> bool:
    return has_role(user, community_id, *organiser_roles(community_id))


def require_organiser(user: User, community_id: int) -> None:
    """Raise 403 unless the user holds an organiser role in the community."""
    require_membership(user, community_id)
    if not is_organiser(user, community_id):
        raise Forbidden("您没有发布志愿任务的权限", code="not_an_organiser")


def publish_rights(user: User) -> dict:
    """Whether the caller may publish tasks in their community (the client shows 发布任务)."""
    membership = require_membership(user)
    return {"can_publish": is_organiser(user, membership.community_id)}


def get_task(task_id: int) -> Task:
    task = db.session.get(Task, task_id) if 0 < task_id <= MAX_ID else None
    if task is None:
        raise NotFound("志愿任务不存在", code="task_not_found")
    return task


def visible_task_and_membership(user: User, task_id: int) -> tuple[Task, Membership]:
    """A task of the caller's own community; another community's task does not exist for them."""
    task = get_task(task_id)
    membership = require_membership(user)
    if membership.community_id != task.community_id:
        raise NotFound("志愿任务不存在", code="task_not_found")
    return task, membership


def visible_task(user: User, task_id: int) -> Task:
    return visible_task_and_membership(user, task_id)[0]


def managed_task(user: User, task_id: int) -> Task:
    """A task the caller may manage: its organiser (still an organiser) or a community admin."""
    task = visible_task(user, task_id)
    if task.organiser_id == user.id and is_organiser(user, task.community_id):
        return task
    authorize(
        user,
        community_id=task.community_id,
        roles=("admin",),
        message="只有任务发布者或社区管理员可以管理该任务",
    )
    return task


def settings_view(community_id: int) -> dict:
    return {"community_id": community_id, "organiser_roles": organiser_roles(community_id)}


def get_settings(actor: User, community_id: int) -> dict:
    if not 0 < community_id <= MAX_ID or db.session.get(Community, community_id) is None:
        raise NotFound("社区不存在", code="community_not_found")
    authorize(actor, community_id=community_id, roles=("admin",))
    return settings_view(community_id)


def update_settings(actor: User, community_id: int, roles: list[str]) -> dict:
    """Set the organiser roles of a community (admins only; audited)."""
    if not 0 < community_id <= MAX_ID or db.session.get(Community, community_id) is None:
        raise NotFound("社区不存在", code="community_not_found")
    authorize(actor, community_id=community_id, roles=("admin",))
    unknown = sorted(set(roles) - set(ORGANISER_ROLE_CHOICES))
    if unknown:
        raise Unprocessable("未知角色", code="unknown_role", details={"roles": unknown})
    roles = sorted(set(roles) | {"admin"})
    before = settings_view(community_id)
    settings = db.session.scalar(
        select(TaskSettings).where(TaskSettings.community_id == community_id)
    )
    if settings is None:
        settings = TaskSettings(community_id=community_id, organiser_roles=roles)
        try:
            with db.session.begin_nested():
                db.session.add(settings)
        except IntegrityError:
            raise Conflict("设置正在被修改，请稍后重试", code="settings_in_progress") from None
    settings.organiser_roles = roles
    settings.updated_by = actor.id
    db.session.flush()
    after = settings_view(community_id)
    record_audit(
        actor_id=actor.id,
        action="task_settings.update",
        target_type="community",
        target_id=community_id,
        community_id=community_id,
        before=before,
        after=after,
    )
    db.session.commit()
    return after
