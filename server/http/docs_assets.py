"""Swagger UI's files served by the app itself, so the API docs page works offline.

The files come from the pinned flask-swagger-ui package (its `dist` folder is swagger-ui-dist,
version in dist/VERSION); only its static files are used, the page is flask-smorest's.
"""

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask

SWAGGER_UI_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"


def init_docs_assets(app: Flask) -> None:
    """Serve the files at OPENAPI_SWAGGER_UI_URL; nothing when the docs are off (production)."""
    url = app.config.get("OPENAPI_SWAGGER_UI_URL") or ""
    if not app.config.get("OPENAPI_URL_PREFIX") or not url.startswith("/"):
        return
    assets = Blueprint(
        "swagger_ui_assets",
        __name__,
        static_folder=str(SWAGGER_UI_DIST),
        static_url_path=url.rstrip("/"),
    )
    app.register_blueprint(assets)
