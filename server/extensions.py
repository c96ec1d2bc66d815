"""Shared extension singletons, initialised by the app factory."""

from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from server.errors import ErrorEnvelopeSchema, render_http_exception

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


# Query strings follow each schema's own `unknown` (RAISE by default) instead of webargs'
# EXCLUDE, so a misspelt filter is an error rather than silently ignored.
Blueprint.ARGUMENTS_PARSER.DEFAULT_UNKNOWN_BY_LOCATION = {
    **Blueprint.ARGUMENTS_PARSER.DEFAULT_UNKNOWN_BY_LOCATION,
    "query": None,
    "querystring": None,
}


class RedPointsApi(Api):
    """flask-smorest Api whose errors use the project's envelope, in responses and in the spec."""

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def handle_http_exception(self, error):
        return render_http_exception(error)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = RedPointsApi()
