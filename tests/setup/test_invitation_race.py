"""One invitation, many people accepting it at the same moment: exactly one wins (PostgreSQL)."""

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from server.auth.models import User
from server.community import invitations
from server.community.models import Community, Membership, RoleGrant
from server.db.session import db
from server.http.errors import AppError
from tests.setup.helpers import TEMPLATE, run_cli

pytestmark = pytest.mark.postgres
PEOPLE = 12


def test_many_people_accepting_one_code_at_once_make_one_admin(app, query):
    assert run_cli(app, "import", TEMPLATE).exit_code == 0
    with app.app_context():
        community_id = db.session.scalar(select(Community.id))
        code = invitations.create_invitation(None, community_id, "admin").code
        users = [User(openid=f"o-race-{n}", nickname=f"race-{n}") for n in range(PEOPLE)]
        db.session.add_all(users)
        db.session.commit()
        user_ids = [u.id for u in users]
        db.session.remove()

    barrier = threading.Barrier(PEOPLE)
    results = [None] * PEOPLE

    def worker(i):
        with app.app_context():
            try:
                user = db.session.get(User, user_ids[i])
                barrier.wait()
                invitations.accept_invitation(user, code)
                results[i] = "accepted"
            except AppError as exc:
                db.session.rollback()
                results[i] = exc.code
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                results[i] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert Counter(results) == {"accepted": 1, "invitation_used": PEOPLE - 1}
    winner = user_ids[results.index("accepted")]
    grants = query(lambda s: s.execute(select(RoleGrant.user_id, RoleGrant.role)).all())
    assert [tuple(g) for g in grants] == [(winner, "admin")]
    assert query(lambda s: s.scalar(select(func.count(Membership.id)))) == 1
