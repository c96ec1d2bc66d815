"""The API as the fault tests run it: the production app plus one failpoint.

A request carrying `X-Fault-Kill: after-commit <SQL>` (say `after-commit INSERT INTO
ledger_entries`) SIGKILLs its gunicorn worker right after committing the transaction that ran a
statement containing that SQL, the way a crash (OOM kill, power loss) lands between the commit
and the response; `before-commit <SQL>` kills it just before that commit. Only the fault tests
load this module; production's entry point, `server:create_app()` in gunicorn.conf.py, has no
such header.
"""

import os
import signal

from flask import g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from server import create_app

HEADER = "X-Fault-Kill"

app = create_app()


def _failpoint() -> tuple[str, str] | None:
    if not has_request_context() or HEADER not in request.headers:
        return None
    when, _, sql = request.headers[HEADER].partition(" ")
    return when, sql.upper()


@event.listens_for(Engine, "before_cursor_execute")
def _arm(_conn, _cursor, statement, _params, _context, _many) -> None:
    point = _failpoint()
    if point and point[1] in " ".join(statement.split()).upper():
        g.fault_armed = True


def _kill_if(when: str) -> None:
    point = _failpoint()
    if point and point[0] == when and g.get("fault_armed"):
        os.kill(os.getpid(), signal.SIGKILL)


@event.listens_for(Session, "before_commit")
def _before(_session) -> None:
    _kill_if("before-commit")


@event.listens_for(Session, "after_commit")
def _after(_session) -> None:
    _kill_if("after-commit")
