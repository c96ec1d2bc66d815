"""The JSON Schemas of schemas/ for what leaves the API outside HTTP: outbox events, QR codes."""

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from server.outbox.emit import event_problems

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


@cache
def document(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@cache
def validator(name: str, definition: str | None = None) -> Draft202012Validator:
    """A validator for a whole document, or for one of its $defs (refs resolve in the file)."""
    doc = document(name)
    schema = doc if definition is None else {**doc, "$ref": f"#/$defs/{definition}"}
    return Draft202012Validator(schema)


def outbox_event_problems(rows) -> list[str]:
    """Every way the given outbox rows break schemas/events.json, one line each."""
    problems = []
    for row in rows:
        event = {
            "event_type": row.event_type,
            "aggregate_type": row.aggregate_type,
            "aggregate_id": row.aggregate_id,
            "community_id": row.community_id,
            "payload": row.payload,
        }
        problems += event_problems(event)
    return problems
