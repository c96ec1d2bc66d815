"""Both write paths of the ledger run the same tests.

On PostgreSQL the ledger's one-statement path (server/points/ledger/fused.py: credit, reserve's
hold, verify's settle) is the default and the portable path is what SQLite runs; a test that
uses `write_path` runs once per path there, so every refusal, replay and race is proven on both.
"""

import pytest

from tests import dbutil

PATHS = ["fused", "portable"] if dbutil.target() == "postgresql" else ["portable"]


@pytest.fixture(params=PATHS)
def write_path(app, request):
    before = app.config["LEDGER_FUSED_WRITES"]
    app.config["LEDGER_FUSED_WRITES"] = request.param == "fused"
    yield request.param
    app.config["LEDGER_FUSED_WRITES"] = before
