"""The database extension objects (SQLAlchemy and Migrate), initialised by the app factory."""

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from server.db.deferred_commits import AppSession
from server.db.types import MAX_ID

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"class_": AppSession})
migrate = Migrate()


def get_by_id(model, ident: int | None):
    """`session.get` for a client-supplied id: None for ids no INTEGER column can hold (a larger
    one would be refused by PostgreSQL with an error, not found)."""
    if ident is None or not 0 < ident <= MAX_ID:
        return None
    return db.session.get(model, ident)
