"""The flask-smorest Api, with the project's error envelope in responses and in the spec."""

from flask_smorest import Api, Blueprint

from server.http.errors import ErrorEnvelopeSchema, render_http_exception

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
