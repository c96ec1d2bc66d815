"""Read side: task views, the community's task list, my sign-ups, a task's attendees."""

from datetime import datetime, time, timedelta

from sqlalchemy import and_, or_, select

from server.auth.models import User
from server.community.authz import grants_of, require_membership
from server.db.session import db
from server.db.types import MAX_ID
from server.http.errors import BadRequest
from server.http.pagination import Page, decode_cursor, encode_cursor, paginate_by_id
from server.platform.localtime import SHANGHAI, local_date
from server.platform.masking import mask_name, mask_phone
from server.points.models import PointItem
from server.tasks import clock, windows
from server.tasks.attendance import attendance_of
from server.tasks.models import Task, TaskAttendance, TaskSignup
from server.tasks.organisers import is_organiser, managed_task, visible_task
from server.tasks.signup import audience_refusal, signup_of, waitlist_position


class Viewer:
    """What decides eligibility for a viewer, loaded once per request."""

    def __init__(self, user: User):
        self.user = user
        self.membership = require_membership(user)
        self.community_id = self.membership.community_id
        grants = grants_of(user, self.community_id)
        self.party_kinds = {g.party_kind for g in grants if g.role == "party_member"}
        self.is_admin = any(g.role == "admin" for g in grants)
        self.is_organiser = is_organiser(user, self.community_id)

    def can_manage(self, task: Task) -> bool:
        return self.is_admin or (task.organiser_id == self.user.id and self.is_organiser)

    def eligible(self, task: Task) -> bool:
        holds_kind = task.audience_party_kind in self.party_kinds
        grid_id = self.membership.grid_id
        return audience_refusal(task, grid_id, bool(self.party_kinds), holds_kind) is None


def signup_view(signup: TaskSignup | None) -> dict | None:
    if signup is None:
        return None
    return {
        "id": signup.id,
        "task_id": signup.task_id,
        "status": signup.status,
        "waitlist_position": waitlist_position(signup),
        "outcome": signup.outcome,
        "signed_up_at": signup.signed_up_at,
        "promoted_at": signup.promoted_at,
        "cancelled_at": signup.cancelled_at,
    }


def attendance_view(row: TaskAttendance | None) -> dict | None:
    if row is None:
        return None
    return {
        "method": row.method,
        "checkin_at": row.checkin_at,
        "checkout_at": row.checkout_at,
        "minutes": row.minutes,
        "points": row.points,
        "credited": row.credited_at is not None,
    }


def task_view(task: Task, viewer: Viewer, *, mine: bool = True, items=None) -> dict:
    """A task as residents see it; the organiser's name is masked (a public view)."""
    items = items if items is not None else {}
    item = items.get(task.point_item_id) if task.point_item_id else None
    if task.point_item_id and item is None:
        item = db.session.get(PointItem, task.point_item_id)
    version = item.version_on(local_date(task.starts_at)) if item else None
    organiser = db.session.get(User, task.organiser_id)
    place = None
    if task.place_name or task.latitude is not None:
        place = {
            "name": task.place_name,
            "latitude": task.latitude,
            "longitude": task.longitude,
            "radius_m": task.radius_m,
        }
    view = {
        "id": task.id,
        "community_id": task.community_id,
        "title": task.title,
        "description": task.description,
        "organiser": {"id": task.organiser_id, "name": mask_name(organiser.display_name)},
        "reward": {
            "kind": task.reward_kind,
            "point_item_id": task.point_item_id,
            "point_item_name": item.name if item else None,
            "points": version.points if version else None,
            "points_per_hour": task.points_per_hour,
            "points_cap": task.points_cap,
        },
        "starts_at": task.starts_at,
        "ends_at": task.ends_at,
        "signup_deadline": task.signup_deadline,
        "cancel_deadline": task.cancel_deadline,
        **windows.window_fields(task),
        "place": place,
        "capacity": task.capacity,
        "confirmed_count": task.confirmed_count,
        "waitlisted_count": task.waitlisted_count,
        "seats_left": task.capacity - task.confirmed_count,
        "audience": task.audience,
        "audience_grid_id": task.audience_grid_id,
        "audience_party_kind": task.audience_party_kind,
        "cover_upload_id": task.cover_upload_id,
        "cover_url": task.cover_url,
        "status": task.status,
        "cancel_reason": task.cancel_reason,
        "eligible": viewer.eligible(task),
        "can_manage": viewer.can_manage(task),
        "my_signup": None,
        "my_attendance": None,
    }
    if mine:
        view["my_signup"] = signup_view(signup_of(task.id, viewer.user.id))
        view["my_attendance"] = attendance_view(attendance_of(task.id, viewer.user.id))
    return view


def get_task_view(user: User, task_id: int) -> dict:
    task = visible_task(user, task_id)
    return task_view(task, Viewer(user))


def local_midnight(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _keyset(stmt, cursor: str | None, limit: int, ascending: bool) -> Page:
    """Keyset-paginate tasks on (starts_at, id)."""
    if cursor:
        raw_ts, last_id = decode_cursor(cursor, 2)
        try:
            if not isinstance(raw_ts, str) or not isinstance(last_id, int) or last_id > MAX_ID:
                raise ValueError
            ts = datetime.fromisoformat(raw_ts)
            if ts.tzinfo is None:
                raise ValueError
        except ValueError:
            raise BadRequest("分页参数无效", code="invalid_cursor") from None
        if ascending:
            stmt = stmt.where(
                or_(Task.starts_at > ts, and_(Task.starts_at == ts, Task.id > last_id))
            )
        else:
            stmt = stmt.where(
                or_(Task.starts_at < ts, and_(Task.starts_at == ts, Task.id < last_id))
            )
    order = (
        (Task.starts_at.asc(), Task.id.asc())
        if ascending
        else (
            Task.starts_at.desc(),
            Task.id.desc(),
        )
    )
    rows = list(db.session.scalars(stmt.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor([rows[-1].starts_at.isoformat(), rows[-1].id]) if more else None
    return Page(rows, next_cursor)


def list_tasks(user: User, args: dict) -> Page:
    """Tasks of the caller's community: upcoming (soonest first), past or all (newest first)."""
    viewer = Viewer(user)
    now = clock.now()
    stmt = select(Task).where(Task.community_id == viewer.community_id)
    upcoming = and_(Task.status == "published", Task.ends_at > now)
    when = args.get("when") or "upcoming"
    if when == "upcoming":
        stmt = stmt.where(upcoming)
    elif when == "past":
        stmt = stmt.where(~upcoming)
    if args.get("audience"):
        stmt = stmt.where(Task.audience == args["audience"])
    if args.get("status"):
        stmt = stmt.where(Task.status == args["status"])
    if args.get("q"):
        stmt = stmt.where(Task.title.contains(args["q"], autoescape=True))
    if args.get("organised_by_me"):
        stmt = stmt.where(Task.organiser_id == user.id)
    # Local start dates (the console's filter), inclusive on both ends.
    if args.get("starts_from"):
        stmt = stmt.where(Task.starts_at >= local_midnight(args["starts_from"]))
    if args.get("starts_to"):
        stmt = stmt.where(Task.starts_at < local_midnight(args["starts_to"] + timedelta(days=1)))
    page = _keyset(stmt, args.get("cursor"), args["limit"], ascending=when == "upcoming")
    page.items = [task_view(t, viewer, mine=False) for t in page.items]
    if page.items:
        mine = {
            s.task_id: s
            for s in db.session.scalars(
                select(TaskSignup).where(
                    TaskSignup.user_id == user.id,
                    TaskSignup.task_id.in_([t["id"] for t in page.items]),
                )
            )
        }
        for view in page.items:
            view["my_signup"] = signup_view(mine.get(view["id"]))
    return page


def my_signups(user: User, limit: int, cursor: str | None, status: str | None) -> Page:
    """The caller's own sign-ups, newest first, each with its task."""
    viewer = Viewer(user)
    stmt = select(TaskSignup).where(TaskSignup.user_id == user.id)
    if status:
        stmt = stmt.where(TaskSignup.status == status)
    page = paginate_by_id(db.session, stmt, TaskSignup.id, limit, cursor)
    page.items = [
        {
            **signup_view(s),
            "task": task_view(db.session.get(Task, s.task_id), viewer, mine=False),
            "attendance": attendance_view(attendance_of(s.task_id, user.id)),
        }
        for s in page.items
    ]
    return page


def attendees(actor: User, task_id: int, limit: int, cursor: str | None, status=None) -> Page:
    """Everyone signed up for a task with their attendance, in sign-up order (organiser only)."""
    task = managed_task(actor, task_id)
    stmt = select(TaskSignup).where(TaskSignup.task_id == task.id)
    if status:
        stmt = stmt.where(TaskSignup.status == status)
    page = paginate_by_id(db.session, stmt, TaskSignup.id, limit, cursor, desc=False)
    ids = [s.user_id for s in page.items]
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    present = {
        a.user_id: a
        for a in db.session.scalars(
            select(TaskAttendance).where(
                TaskAttendance.task_id == task.id, TaskAttendance.user_id.in_(ids)
            )
        )
    }
    page.items = [
        {
            **signup_view(s),
            "user_id": s.user_id,
            # Organisers need the real name to call the roll; the phone stays masked.
            "name": users[s.user_id].display_name,
            "phone": mask_phone(users[s.user_id].phone),
            "attendance": attendance_view(present.get(s.user_id)),
        }
        for s in page.items
    ]
    return page
