"""Marshmallow building blocks shared by every domain's schemas."""

import marshmallow as ma

from server.db.types import MAX_ID

BEARER = [{"bearerAuth": []}]


class StrictSchema(ma.Schema):
    """Request bodies reject unknown fields (marshmallow's default, stated for readers)."""

    class Meta:
        unknown = ma.RAISE


def text(max_len: int, *, min_len: int = 1, **kwargs) -> ma.fields.String:
    """A bounded, trimmed string field: every string has a maximum length."""
    return ma.fields.String(validate=ma.validate.Length(min=min_len, max=max_len), **kwargs)


class IdField(ma.fields.Integer):
    """A positive database id that fits a 64-bit column."""

    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        kwargs.setdefault("validate", ma.validate.Range(min=1, max=MAX_ID))
        super().__init__(**kwargs)
