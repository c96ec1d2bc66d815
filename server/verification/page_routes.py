"""The public verification page (no login, outside the API): /v/<serial> confirms a yearly
volunteer record (the QR code on its PDF leads here); /v with a serial and check code, posted
from its form, checks a credit reference. Every answer that is not a confirmation is the same
page, so a miss says nothing about why."""

import hashlib

from flask import Blueprint, current_app, make_response, render_template, request

from server.http.rate_limits import hit
from server.platform.serials import normalise
from server.tasks.record_issues import checked_record
from server.verification.credit_models import SERIAL_PREFIX as CREDIT_PREFIX
from server.verification.credit_references import check_credit_reference

bp = Blueprint("verification", __name__, template_folder="templates")
MAX_FIELD = 64  # form fields: a longer one cannot be ours


def _count_address() -> None:
    # Per address, generous enough for a bank branch or an office sharing one Wi-Fi, far too
    # low to walk through serials (about 59 random bits each).
    hit(
        "verify_address",
        current_app.config["VERIFY_ADDRESS_RATE_LIMIT"],
        request.remote_addr or "-",
    )


def _page(status: int, **context):
    response = make_response(render_template("verify.html", **context), status)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    return response


@bp.get("/v/<serial>")
def record(serial):
    """A yearly record's page: 真实有效 with its masked figures, or not found."""
    _count_address()
    if normalise(serial).startswith(CREDIT_PREFIX):
        return _page(200, outcome="needs_code", serial=normalise(serial))  # no lookup
    found = checked_record(serial[:MAX_FIELD])
    if found is None:
        return _page(404, outcome="not_found")
    return _page(200, outcome="record", record=found)


@bp.get("/v")
def form():
    """The empty form: type a serial (and a credit reference's check code)."""
    return _page(200, outcome=None, serial="")


def check():
    """The form's answer: a record by serial alone, a credit reference by serial and code."""
    _count_address()
    serial = request.form.get("serial", "")[:MAX_FIELD]
    if normalise(serial).startswith(CREDIT_PREFIX):
        # Per serial too: a reference's check code (about 39 bits) cannot be walked, however
        # many addresses try it.
        who = hashlib.sha256(normalise(serial).encode()).hexdigest()[:32]
        hit("verify_serial", current_app.config["VERIFY_SERIAL_RATE_LIMIT"], who)
        code = request.form.get("code", "")[:MAX_FIELD]
        credit = check_credit_reference(serial, code, request.remote_addr)
        if credit is None:
            return _page(404, outcome="not_found")
        return _page(200, outcome="credit", credit=credit)
    found = checked_record(serial)
    if found is None:
        return _page(404, outcome="not_found")
    return _page(200, outcome="record", record=found)


check.accepts_form = True  # server/http/request_checks.py lets this form through
bp.add_url_rule("/v", "check", check, methods=["POST"])


@bp.after_request
def _private(response):
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
