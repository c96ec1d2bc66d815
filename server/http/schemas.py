"""Marshmallow building blocks shared by every domain's schemas.

Input fields here are strict where marshmallow is lenient: booleans are JSON booleans (not
"yes", "on" or 1), and dates and times lie in a range every service can compute with (year 1
with a +14:00 offset, or 9999-12-31, overflowed datetime arithmetic into a 500). Every schema
uses these instead of marshmallow's Boolean, Date and AwareDateTime
(tests/http/test_input_fields.py walks them all).
"""

from datetime import UTC, date, datetime

import marshmallow as ma
from webargs.multidictproxy import MultiDictProxy

from server.db.types import MAX_ID

BEARER = [{"bearerAuth": []}]


def response_links(status: int, **links: tuple[str, dict[str, str]]) -> dict:
    """`blp.doc` keywords adding OpenAPI links to a response: the flows it opens.

    Each link is name=("POST /merchant/verify", {field: runtime expression}); a field naming a
    path parameter of the target goes to `parameters`, the others to its request body. The
    stateful fuzz (tests/contract/test_stateful.py) walks these links.
    """
    documented = {}
    for name, (target, values) in links.items():
        method, path = target.split(" ", 1)
        pointer = ("/api/v1" + path).replace("~", "~0").replace("/", "~1")
        link = {"operationRef": f"#/paths/{pointer}/{method.lower()}"}
        params = {k: v for k, v in values.items() if "{" + k + "}" in path}
        body = {k: v for k, v in values.items() if k not in params}
        if params:
            link["parameters"] = params
        if body:
            link["requestBody"] = body
        documented[name] = link
    return {"responses": {status: {"links": documented}}}


# The years the scheme can mean (rankings and volunteer records take 2000-2100 too).
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)
RANGE_TEXT = f"{EARLIEST_DATE.isoformat()} 到 {LATEST_DATE.isoformat()}"


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


class Boolean(ma.fields.Boolean):
    """A JSON boolean; in a query string (which has no booleans) exactly `true` or `false`."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        # webargs hands query strings and forms over as a MultiDictProxy, JSON as a dict.
        if isinstance(data, MultiDictProxy) and value in ("true", "false"):
            return value == "true"
        raise self.make_error("invalid", input=value)


class Date(ma.fields.Date):
    """An ISO date between EARLIEST_DATE and LATEST_DATE."""

    default_error_messages = {"out_of_range": f"日期应在 {RANGE_TEXT} 之间"}

    def _deserialize(self, value, attr, data, **kwargs):
        day = super()._deserialize(value, attr, data, **kwargs)
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise self.make_error("out_of_range")
        return day


_EARLIEST_MOMENT = datetime.combine(EARLIEST_DATE, datetime.min.time(), tzinfo=UTC)
_LATEST_MOMENT = datetime.combine(LATEST_DATE, datetime.max.time(), tzinfo=UTC)


class AwareDateTime(ma.fields.AwareDateTime):
    """An ISO date-time with an offset, within the same years once in UTC."""

    default_error_messages = {"out_of_range": f"时间应在 {RANGE_TEXT}（UTC）之间"}

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            fits = _EARLIEST_MOMENT <= moment <= _LATEST_MOMENT
        except OverflowError:  # comparing shifts by the offset: year 1 at +14:00 has no UTC
            fits = False
        if not fits:
            raise self.make_error("out_of_range")
        return moment
