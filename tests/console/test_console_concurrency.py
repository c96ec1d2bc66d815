"""Racing on PostgreSQL: a confirmation becomes one session, a login link opens one, and of
two staff confirming the same code exactly one wins."""

import pytest
from sqlalchemy import func, select

from server.admin import console_login
from server.admin.console_models import ConsoleSession
from server.admin.console_sessions import Client, create_login_link, use_login_link
from server.auth.models import User
from server.db.session import db
from tests.concurrency import run_n_together
from tests.ledger_helpers import user_id_of

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("seeded")]
CLIENT = Client("127.0.0.1", "pytest")


def _sessions(query) -> int:
    return query(lambda s: s.scalar(select(func.count()).select_from(ConsoleSession)))


def _start(app) -> tuple[str, str]:
    with app.app_context():
        login, browser_id, _png = console_login.start_login(CLIENT)
        scene = login.scene
        db.session.remove()
    return scene, browser_id


def _user(identity: str) -> User:
    return db.session.get(User, user_id_of(identity))


def test_racing_polls_make_one_session(app, query):
    scene, browser_id = _start(app)
    with app.app_context():
        console_login.confirm_login(scene, _user("admin"), CLIENT)
        db.session.remove()
    results = run_n_together(app, 6, lambda i: console_login.poll_login(browser_id, CLIENT)[0])
    assert sorted(r[1] for r in results) == ["confirmed"] + ["used"] * 5, results
    assert _sessions(query) == 1


def test_racing_link_uses_open_one_session(app, query):
    with app.app_context():
        token = create_login_link(_user("admin"))
        db.session.remove()
    results = run_n_together(app, 6, lambda i: use_login_link(token, CLIENT))
    assert sorted(r[0] for r in results) == ["ok"] + ["refused"] * 5, results
    assert {r[1] for r in results if r[0] == "refused"} == {"console_link_gone"}
    assert _sessions(query) == 1


def test_of_two_racing_confirmations_one_wins(app, query):
    scene, _browser_id = _start(app)
    staff = ["admin", "reviewer", "admin", "reviewer"]

    def confirm(i):
        return console_login.confirm_login(scene, _user(staff[i]), CLIENT)["status"]

    results = run_n_together(app, 4, confirm)
    assert sorted(r[1] for r in results) == ["confirmed"] + ["console_login_done"] * 3, results
