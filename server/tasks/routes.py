from flask import Response, url_for
from flask_smorest import Blueprint

from server.auth.current import current_user, current_user_id
from server.community.acting import ACTING_DOC, acting_actor_id, acting_allowed
from server.community.authz import require_membership
from server.http.idempotency import IDEMPOTENCY_HEADER_DOC, idempotent
from server.http.schemas import BEARER, response_links
from server.platform.localtime import local_year
from server.tasks import (
    attendance,
    checkin_codes,
    clock,
    completion,
    hours,
    organisers,
    publishing,
    queries,
    signup,
    volunteer_record_pdf,
)
from server.tasks.schemas import (
    MyTaskSignupPageSchema,
    TaskAttendanceMarkSchema,
    TaskAttendanceResultSchema,
    TaskAttendeePageSchema,
    TaskCancelSchema,
    TaskCheckinCodeSchema,
    TaskCheckinSchema,
    TaskCompletionSchema,
    TaskCreateSchema,
    TaskPageSchema,
    TaskPatchSchema,
    TaskQuerySchema,
    TaskRightsSchema,
    TaskSchema,
    TaskSettingsSchema,
    TaskSettingsViewSchema,
    TaskSignupCancelSchema,
    TaskSignupQuerySchema,
    TaskSignupSchema,
    VolunteerHoursSchema,
    VolunteerRecordQuerySchema,
)

blp = Blueprint(
    "tasks", __name__, url_prefix="/api/v1/tasks", description="志愿任务：报名、签到与计分"
)
admin_blp = Blueprint(
    "tasks_admin", __name__, url_prefix="/api/v1/admin", description="志愿任务设置"
)

PDF_SCHEMA = {"type": "string", "format": "binary"}
# The organiser's code opens check-in and check-out (links in the contract).
_CODE = {"task_id": "$response.body#/task_id", "token": "$response.body#/token"}


def _task(task_id: int) -> dict:
    return queries.get_task_view(current_user(), task_id)


def _attendance_result(row) -> dict:
    return {**queries.attendance_view(row), "task_id": row.task_id, "user_id": row.user_id}


@blp.route("", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(TaskQuerySchema, location="query")
@blp.response(200, TaskPageSchema)
def list_tasks(args):
    """Tasks of my community: upcoming (soonest first), past or all (newest first)."""
    return queries.list_tasks(current_user(), args).as_dict()


@blp.route("", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(TaskCreateSchema)
@blp.response(201, TaskSchema)
def publish(body):
    """Publish a task in my community (organiser roles only; audited)."""
    user = current_user()
    membership = require_membership(user)
    task = publishing.publish_task(user, membership.community_id, body)
    return _task(task.id)


@blp.route("/me/signups", methods=["GET"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.arguments(TaskSignupQuerySchema, location="query")
@blp.response(200, MyTaskSignupPageSchema)
def my_signups(args):
    """My sign-ups, newest first."""
    page = queries.my_signups(current_user(), args["limit"], args["cursor"], args.get("status"))
    return page.as_dict()


@blp.route("/me/rights", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, TaskRightsSchema)
def my_rights():
    """What I may do with tasks in my community: publish them (an organiser role) or not."""
    return organisers.publish_rights(current_user())


@blp.route("/me/hours", methods=["GET"])
@blp.doc(security=BEARER)
@blp.response(200, VolunteerHoursSchema)
def my_hours():
    """My confirmed volunteer hours: this year (Asia/Shanghai) and lifetime."""
    return hours.volunteer_hours(current_user().id)


@blp.route("/me/record", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(VolunteerRecordQuerySchema, location="query")
@blp.response(200, PDF_SCHEMA, content_type="application/pdf")
def my_record(args):
    """My yearly volunteer service record as a PDF (only one's own)."""
    user = current_user()
    year = args.get("year") or local_year(clock.now())
    pdf = volunteer_record_pdf.render_pdf(
        user, year, lambda serial: url_for("verification.record", serial=serial, _external=True)
    )
    filename = f"volunteer-record-{year}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blp.route("/<int:task_id>", methods=["GET"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.response(200, TaskSchema)
def get_task(task_id):
    """One task of my community, with my sign-up and attendance."""
    return _task(task_id)


@blp.route("/<int:task_id>", methods=["PATCH"])
@blp.doc(security=BEARER)
@blp.arguments(TaskPatchSchema)
@blp.response(200, TaskSchema)
def edit(body, task_id):
    """Edit a task before it starts (its organiser or an admin; audited)."""
    publishing.edit_task(current_user(), task_id, body)
    return _task(task_id)


@blp.route("/<int:task_id>/cancel", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(TaskCancelSchema)
@blp.response(200, TaskSchema)
def cancel(body, task_id):
    """Cancel a task with a reason; everyone signed up is notified."""
    publishing.cancel_task(current_user(), task_id, body["reason"])
    return _task(task_id)


@blp.route("/<int:task_id>/signups", methods=["POST"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.response(201, TaskSignupSchema)
def sign_up(task_id):
    """Sign up: `confirmed` while seats remain, otherwise `waitlisted`."""
    # The service checks the caller is still active in its first query: no User is loaded.
    return signup.sign_up_as(current_user_id(), task_id, acted_by=acting_actor_id())


@blp.route("/<int:task_id>/signups/me", methods=["DELETE"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.response(200, TaskSignupCancelSchema)
def cancel_signup(task_id):
    """Cancel my sign-up; a freed seat goes to the first waitlisted person."""
    return signup.cancel_signup_as(current_user_id(), task_id, acted_by=acting_actor_id())


@blp.route("/<int:task_id>/attendees", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(TaskSignupQuerySchema, location="query")
@blp.response(200, TaskAttendeePageSchema)
def list_attendees(args, task_id):
    """Everyone signed up, with attendance (the task's organiser or an admin)."""
    page = queries.attendees(
        current_user(), task_id, args["limit"], args["cursor"], args.get("status")
    )
    return page.as_dict()


@blp.route("/<int:task_id>/checkin-code", methods=["GET"])
@blp.doc(
    security=BEARER,
    **response_links(
        200,
        CheckIn=("POST /tasks/{task_id}/checkin", _CODE),
        CheckOut=("POST /tasks/{task_id}/checkout", _CODE),
    ),
)
@blp.response(200, TaskCheckinCodeSchema)
def checkin_code(task_id):
    """A signed check-in code valid about 30 seconds, to show as a QR code (organiser)."""
    return checkin_codes.code_for_organiser(current_user(), task_id)


@blp.route("/<int:task_id>/checkin", methods=["POST"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.arguments(TaskCheckinSchema)
@blp.response(201, TaskAttendanceResultSchema)
def check_in(body, task_id):
    """Check in with the organiser's current code (and my location when the task has one)."""
    row = attendance.check_in(
        current_user(), task_id, body["token"], body.get("location"), acting_actor_id()
    )
    return _attendance_result(row)


@blp.route("/<int:task_id>/checkout", methods=["POST"])
@blp.doc(security=BEARER, **ACTING_DOC)
@acting_allowed
@blp.arguments(TaskCheckinSchema)
@blp.response(200, TaskAttendanceResultSchema)
def check_out(body, task_id):
    """Check out with the organiser's current code."""
    row = attendance.check_out(
        current_user(), task_id, body["token"], body.get("location"), acting_actor_id()
    )
    return _attendance_result(row)


@blp.route("/<int:task_id>/attendance", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(TaskAttendanceMarkSchema)
@blp.response(200, TaskAttendanceResultSchema)
def mark_attendance(body, task_id):
    """Mark someone present by hand, e.g. without a phone (organiser; audited)."""
    row = attendance.mark_attendance(
        current_user(), task_id, body["user_id"], body.get("checkin_at"), body.get("checkout_at")
    )
    return _attendance_result(row)


@blp.route("/<int:task_id>/complete", methods=["POST"])
@blp.doc(security=BEARER, parameters=[IDEMPOTENCY_HEADER_DOC])
@idempotent("tasks.complete", caller=current_user)
@blp.response(200, TaskCompletionSchema)
def complete(task_id):
    """Confirm attendance and credit every attendee once; safe to repeat."""
    return completion.complete_task(current_user(), task_id)


@admin_blp.route("/communities/<int:community_id>/task-settings", methods=["GET"])
@admin_blp.doc(security=BEARER)
@admin_blp.response(200, TaskSettingsViewSchema)
def get_settings(community_id):
    """Which roles may publish volunteer tasks (admins only)."""
    return organisers.get_settings(current_user(), community_id)


@admin_blp.route("/communities/<int:community_id>/task-settings", methods=["PUT"])
@admin_blp.doc(security=BEARER)
@admin_blp.arguments(TaskSettingsSchema)
@admin_blp.response(200, TaskSettingsViewSchema)
def put_settings(body, community_id):
    """Set which roles may publish volunteer tasks (admins only; audited)."""
    return organisers.update_settings(current_user(), community_id, body["organiser_roles"])
