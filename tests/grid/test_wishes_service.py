"""The wish rules at the service functions: each gate, the credit once, expiry and its job."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from server.auth.models import User
from server.db.session import db
from server.grid import wish_claims, wish_expiry, wishes
from server.grid.wish_models import Wish
from server.http.errors import AppError
from server.outbox.models import OutboxEvent
from server.points.ledger_models import LedgerEntry
from tests import claims_helpers
from tests.grid.wish_helpers import today, uid

upload_dir = claims_helpers.upload_dir  # fixtures used by every test here


@pytest.fixture
def people(app, seeded, upload_dir):
    with app.app_context():
        ids = {i: uid(i) for i in ("resident-4", "resident-1", "resident-2", "reviewer")}
        db.session.remove()
    return ids


def user(people, identity) -> User:
    return db.session.get(User, people[identity])


def new_wish(people, days=3, **kw) -> int:
    wish = wishes.post_wish(
        user(people, "resident-4"),
        title=kw.pop("title", "帮忙取药"),
        needed_by=today() + timedelta(days=days),
        **kw,
    )
    return wish.id


def publish(people, wish_id, **kw) -> Wish:
    return wishes.approve_wish(user(people, "reviewer"), wish_id, **kw)


def code_of(fn, *args, **kwargs) -> str:
    with pytest.raises(AppError) as info:
        fn(*args, **kwargs)
    db.session.rollback()
    return info.value.code


def test_posting_trims_and_bounds_the_day(ctx, people):
    wish_id = new_wish(people, title="  帮忙取药  ", place=" 2栋 ")
    wish = db.session.get(Wish, wish_id)
    assert (wish.title, wish.place, wish.status) == ("帮忙取药", "2栋", "pending")
    assert wish.grid_id is not None and wish.claimer_id is None
    resident = user(people, "resident-4")
    assert (
        code_of(wishes.post_wish, resident, title="x", needed_by=today() - timedelta(days=1))
        == "needed_by_in_past"
    )
    assert code_of(wishes.post_wish, resident, title=" ", needed_by=today()) == "title_required"


def test_the_claim_gate_lets_exactly_one_claimer_in(ctx, people):
    wish_id = new_wish(people)
    publish(people, wish_id)
    won = wish_claims.claim_wish(user(people, "resident-1"), wish_id)
    assert won.status == "claimed" and won.claimer_id == people["resident-1"]
    assert won.claimer_kind == "person"
    assert code_of(wish_claims.claim_wish, user(people, "resident-2"), wish_id) == (
        "wish_already_claimed"
    )
    assert db.session.get(Wish, wish_id).claimer_id == people["resident-1"]


def test_the_database_refuses_a_claimer_on_an_unclaimed_wish(ctx, people):
    from sqlalchemy.exc import IntegrityError

    wish_id = new_wish(people)
    with pytest.raises(IntegrityError):
        db.session.execute(
            Wish.__table__.update()
            .where(Wish.id == wish_id)
            .values(claimer_id=people["resident-1"])
        )
    db.session.rollback()


def test_the_fulfiller_is_credited_once_however_often_it_is_asked(ctx, people):
    wish_id = new_wish(people)
    publish(people, wish_id, points=12)
    wish_claims.claim_wish(user(people, "resident-1"), wish_id)
    wish = db.session.get(Wish, wish_id)
    first = wish_claims.credit_fulfiller(wish, actor_id=people["resident-4"])
    again = wish_claims.credit_fulfiller(wish, actor_id=people["resident-4"])
    db.session.commit()
    assert first.id == again.id and first.amount == 12
    keys = db.session.scalars(
        select(LedgerEntry.idempotency_key).where(LedgerEntry.cause_type == "wish")
    ).all()
    assert keys == [f"wish:{wish_id}:fulfil"]


def test_confirm_posts_the_credit_with_the_confirmation(ctx, people):
    wish_id = new_wish(people)
    publish(people, wish_id)
    wish_claims.claim_wish(user(people, "resident-1"), wish_id)
    photo = _photo(user(people, "resident-1"))
    wish_claims.fulfil_wish(user(people, "resident-1"), wish_id, note="送到了", photo_ids=[photo])
    confirmed = wish_claims.confirm_wish(user(people, "resident-4"), wish_id, "谢谢")
    entry = db.session.get(LedgerEntry, confirmed.ledger_entry_id)
    assert entry.amount == 10 and entry.cause_id == str(wish_id)
    assert code_of(wish_claims.confirm_wish, user(people, "resident-4"), wish_id) == (
        "wish_not_fulfilled"
    )


def _photo(owner: User) -> int:
    import io

    from server.uploads.service import save_upload

    return save_upload(owner, io.BytesIO(claims_helpers.image_bytes())).id


def test_expiry_takes_only_unclaimed_open_wishes_past_their_day(ctx, people):
    pending = new_wish(people, days=0)
    open_ = new_wish(people, days=0)
    publish(people, open_)
    taken = new_wish(people, days=0)
    publish(people, taken)
    wish_claims.claim_wish(user(people, "resident-1"), taken)
    later = new_wish(people, days=2)
    publish(people, later)

    assert wish_expiry.expire_wishes(today()) == 0  # needed_by is today: still open
    tomorrow = today() + timedelta(days=1)
    assert wish_expiry.expire_wishes(tomorrow, batch=1) == 2
    statuses = {w.id: w.status for w in db.session.scalars(select(Wish))}
    assert statuses == {pending: "expired", open_: "expired", taken: "claimed", later: "published"}
    events = db.session.execute(
        select(OutboxEvent.aggregate_id, OutboxEvent.payload).where(
            OutboxEvent.event_type == "wish.expired"
        )
    ).all()
    assert {(e.aggregate_id, e.payload["previous_status"]) for e in events} == {
        (str(pending), "pending"),
        (str(open_), "published"),
    }
    assert wish_expiry.expire_wishes(tomorrow) == 0  # nothing twice


def test_the_expire_wishes_command(app, people, query):
    with app.app_context():
        wish_id = new_wish(people)
        db.session.remove()

    def backdate(s):
        s.get(Wish, wish_id).needed_by = today() - timedelta(days=1)
        s.commit()

    query(backdate)
    result = app.test_cli_runner().invoke(args=["grid", "expire-wishes"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "expired 1 wishes"
    assert query(lambda s: s.get(Wish, wish_id).status) == "expired"


def test_publishing_to_a_grid_needs_one_when_the_resident_has_none(ctx, people):
    from server.community.models import Grid, Membership

    membership = db.session.scalar(
        select(Membership).where(Membership.user_id == people["resident-4"])
    )
    membership.grid_id = None
    db.session.commit()
    wish_id = new_wish(people)
    assert db.session.get(Wish, wish_id).grid_id is None
    reviewer = user(people, "reviewer")
    assert code_of(wishes.approve_wish, reviewer, wish_id, audience="grid") == "grid_required"
    grid_id = db.session.scalar(select(Grid.id).where(Grid.code == "g2"))
    wish = wishes.approve_wish(reviewer, wish_id, audience="grid", grid_id=grid_id)
    assert (wish.status, wish.audience, wish.audience_grid_id) == ("published", "grid", grid_id)
    assert wish.points == wishes.DEFAULT_WISH_POINTS
