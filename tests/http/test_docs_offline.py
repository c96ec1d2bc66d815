"""The API docs page works offline: every asset it loads is served by the app itself."""

from html.parser import HTMLParser

DOCS = "/api/v1/docs/swagger"


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.urls.append(attrs[name])


def test_docs_page_loads_only_local_assets_and_they_are_served(client):
    page = client.get(DOCS)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    parser = _Assets()
    parser.feed(html)
    assert len(parser.urls) >= 3, parser.urls  # the stylesheet and the two scripts
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.get_data()) > 1000, url
    assert "http://" not in html and "https://" not in html
    assert '"validatorUrl": null' in html  # no badge fetched from the online validator


def test_docs_assets_are_off_with_the_docs(database_url):
    from server import create_app

    # OPENAPI_URL_PREFIX is None in production (server/platform/config.py): no docs, no assets.
    # No drain thread either: it would keep working on the suite's database after this test.
    settings = {"OPENAPI_URL_PREFIX": None, "NOTIFY_IN_PROCESS": False}
    quiet = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **settings})
    client = quiet.test_client()
    assert client.get("/api/v1/docs/swagger-ui/swagger-ui-bundle.js").status_code == 404
    assert client.get(DOCS).status_code == 404
