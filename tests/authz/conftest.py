"""One world per module: built once on the seeded demo, kept between tests, emptied at the end.

Refusals must leave it untouched (that is what the walk checks); a success that writes is undone
by restoring the snapshot, so each test sees the same world.
"""

import pytest

from server.commands.seed_demo import seed_demo
from server.db.session import db
from server.http import rate_limits
from tests.authz import state, world
from tests.conftest import empty_database


def pytest_terminal_summary(terminalreporter):
    """Say how much the matrix covers, counted from the table and the contract."""
    from tests.authz.contract import operations
    from tests.authz.walk import leak_cases, refusal_cases, success_cases

    terminalreporter.write_line(
        f"authz matrix: {len(operations())} operations x {len(world.REFUSABLE)} actors: "
        f"{len(refusal_cases())} refusals, {len(success_cases())} successes, "
        f"{len(leak_cases())} reads checked for others' data"
    )


@pytest.fixture(autouse=True)
def _clean_state():
    """Overrides the suite's per-test cleaning: the module's world outlives one test."""
    yield


class World:
    def __init__(self, app, ids):
        self.app, self.ids, self.caller = app, ids, ids.caller
        with app.app_context():
            self.rows = state.snapshot()
            self.fingerprint = state.fingerprint()
            db.session.remove()

    def settle(self) -> list[str]:
        """What the last request changed; the world is put back when anything did."""
        with self.app.app_context():
            after = state.fingerprint()
            diff = state.changed(self.fingerprint, after)
            if diff:
                state.restore(self.rows, [line.split(":")[0] for line in diff])
            db.session.remove()
        rate_limits.reset(self.app)
        return diff


@pytest.fixture(scope="module")
def matrix_world(app, emulator):
    with app.app_context():
        seed_demo()
        db.session.remove()
    built = World(app, world.build(app, app.test_client(), emulator))
    yield built
    with app.app_context():
        db.session.remove()
        empty_database()
    rate_limits.reset(app)
    emulator.reset()
