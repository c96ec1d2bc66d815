"""Offer pictures: the demo's offers get drawn pictures stored as uploads, shown to the
members of the offer's community only; an offer with a picture keeps it on a second seed."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from server.commands.seed_demo import seed_demo
from server.db.session import db
from server.rewards.models import Offer
from server.uploads.models import Upload
from tests.claims_helpers import make_other_community

UPLOAD_URL = "/api/v1/uploads/"


@pytest.fixture
def pictured(app, monkeypatch):
    """Seed as `scripts/run` does outside tests: with the offers' pictures."""
    monkeypatch.setitem(app.config, "SEED_DEMO_OFFER_PICTURES", True)
    with app.app_context():
        seed_demo()
        db.session.remove()


def offers(api, identity="resident-1"):
    resp = api.get("/api/v1/offers", identity, query_string={"limit": 50})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["items"]


def test_tests_seed_no_pictures_unless_asked(api, seeded):
    assert all(o["image_url"] is None for o in offers(api))


def test_demo_offers_have_pictures_members_can_download(api, pictured, app):
    listed = offers(api)
    pictured = [o for o in listed if o["image_url"]]
    assert {o["title"] for o in pictured} == {
        "洗衣液 2kg",
        "东北大米 5kg",
        "食用油 1.8L",
        "纯棉毛巾",
        "免费理发一次",
    }
    assert any(o["image_url"] is None for o in listed)  # the placeholder stays in use too
    for offer in pictured:
        assert offer["image_url"].startswith(UPLOAD_URL)
    url = pictured[0]["image_url"]
    for identity in ("resident-1", "resident-7", "merchant-1", "grid-1"):
        resp = api.get(url, identity)
        assert resp.status_code == 200, identity
        assert resp.mimetype == "image/png"
    image = Image.open(io.BytesIO(api.get(url, "resident-1").data))
    assert image.size == (480, 360)

    make_other_community(app, identities=("outsider",))
    resp = api.get(url, "outsider")
    assert resp.status_code == 404


def test_a_second_seed_draws_nothing_again(api, pictured, app, query):
    before = query(lambda s: s.scalar(select(func.count(Upload.id))))
    urls = query(lambda s: sorted(filter(None, s.scalars(select(Offer.image_url)))))
    with app.app_context():
        seed_demo()
        db.session.remove()
    assert query(lambda s: s.scalar(select(func.count(Upload.id)))) == before
    assert query(lambda s: sorted(filter(None, s.scalars(select(Offer.image_url))))) == urls
    attached = query(
        lambda s: s.scalar(select(func.count(Upload.id)).where(Upload.attached_type == "offer"))
    )
    assert attached == len(urls) == 5
