"""Let the mini-program send PATCH: wx.request has no PATCH, so it POSTs with a header."""

OVERRIDABLE = {"PATCH", "PUT", "DELETE"}


class MethodOverrideMiddleware:
    """Turn `POST` + `X-HTTP-Method-Override: PATCH|PUT|DELETE` into that method (nothing else)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            wanted = environ.get("HTTP_X_HTTP_METHOD_OVERRIDE", "").strip().upper()
            if wanted in OVERRIDABLE:
                environ["REQUEST_METHOD"] = wanted
        return self.app(environ, start_response)
