"""The flask-smorest Api, with the project's error envelope in responses and in the spec."""

from apispec import BasePlugin
from flask_smorest import Api, Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser

from server.http.errors import ErrorEnvelopeSchema, render_http_exception


class ApiArgumentsParser(FlaskParser):
    """webargs' Flask parser with the project's two differences."""

    # Query strings follow each schema's own `unknown` (RAISE by default) instead of webargs'
    # EXCLUDE, so a misspelt filter is an error rather than silently ignored.
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": None,
        "querystring": None,
    }

    def _raw_load_json(self, req):
        # Bodies go through request.get_json, the app's checked loader (server/http/json_input.py),
        # instead of webargs' own json.loads, which lets deep nesting and bad text through.
        if not core.is_json(req.mimetype) or not req.get_data(cache=True):
            return core.missing
        return req.get_json()


# Set before any route module is imported: the decorators bind the parser they find.
Blueprint.ARGUMENTS_PARSER = ApiArgumentsParser()


class HeaderParametersPlugin(BasePlugin):
    """Header parameters a route names in `blp.doc(**{"x-headers": [...]})` join the ones its
    `@arguments` documented (query strings); `blp.doc(parameters=...)` would replace them."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            headers = operation.pop("x-headers", None)
            if headers:
                operation["parameters"] = [*operation.get("parameters", []), *headers]


class RedPointsApi(Api):
    """flask-smorest Api whose errors use the project's envelope, in responses and in the spec."""

    ERROR_SCHEMA = ErrorEnvelopeSchema

    def handle_http_exception(self, error):
        return render_http_exception(error)
