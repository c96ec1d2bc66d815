"""A schema's dump built without marshmallow, for the hottest responses.

Marshmallow's dump walks every field of the response schema on each request; for a flat view of
ints, strings, None and UTC datetimes the result is the view itself with each datetime as
isoformat() (what AwareDateTime dumps). Routes keep `@blp.response(..., Schema)` for the
OpenAPI document and return this Response, which flask-smorest passes through; a test per route
compares the bytes with the schema's dump.
"""

from datetime import datetime

from flask import Response, current_app


def plain_json(view: dict, status: int = 200) -> Response:
    body = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in view.items()}
    resp = current_app.json.response(body)
    resp.status_code = status
    return resp
