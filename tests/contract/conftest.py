import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture(scope="module")
def live_url(app):
    """Serve the app over real HTTP on loopback, as the mini-program would reach it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
