"""Issuing a yearly volunteer record (its serial and snapshot) and checking a serial."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.auth.models import User
from server.db.session import db
from server.platform.localtime import local_date
from server.platform.masking import mask_name
from server.platform.serials import new_serial, normalise
from server.tasks import clock
from server.tasks.hours import minutes_between, year_bounds
from server.tasks.record_models import SERIAL_PREFIX, IssuedRecord

ATTEMPTS = 3  # a serial collision (~59 random bits) is all but impossible; retry regardless


def issue_record(user: User, year: int, community, points: int, services: int) -> IssuedRecord:
    """The record issued for `user`'s `year` as it stands now: the last one when nothing it
    shows has changed (re-downloading keeps the serial), else a new row with a new serial."""
    minutes = minutes_between(user.id, *year_bounds(year))
    snapshot = {
        "community_id": community.id if community else None,
        "community_name": community.name if community else "",
        "minutes": minutes,
        "points": points,
        "services": services,
    }
    last = db.session.scalar(
        select(IssuedRecord)
        .where(IssuedRecord.user_id == user.id, IssuedRecord.year == year)
        .order_by(IssuedRecord.id.desc())
        .limit(1)
    )
    if last is not None and all(getattr(last, k) == v for k, v in snapshot.items()):
        return last
    for attempt in range(ATTEMPTS):
        record = IssuedRecord(
            serial=new_serial(SERIAL_PREFIX, year),
            user_id=user.id,
            year=year,
            issued_at=clock.now(),
            **snapshot,
        )
        try:
            with db.session.begin_nested():
                db.session.add(record)
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise
            continue
        db.session.commit()
        return record
    raise AssertionError("unreachable")


def checked_record(serial: str | None) -> dict | None:
    """What the public page confirms for a serial, or None: one lookup by the unique serial
    whatever was typed, so a miss costs and looks the same as any other miss."""
    record = db.session.scalar(select(IssuedRecord).where(IssuedRecord.serial == normalise(serial)))
    if record is None:
        return None
    user = db.session.get(User, record.user_id)
    return {
        "serial": record.serial,
        "name": mask_name(user.real_name or user.nickname),
        "community": record.community_name,
        "year": record.year,
        "hours": round(record.minutes / 60, 2),
        "points": record.points,
        "services": record.services,
        "issued_on": local_date(record.issued_at).isoformat(),
    }
