"""The contract's operations and minimal schema-valid request bodies generated from it."""

import json
from pathlib import Path

SPEC = json.loads((Path(__file__).resolve().parents[2] / "schemas/openapi.json").read_text())
METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[tuple[str, str]]:
    """Every (METHOD, path template) the contract declares, without the /api/v1 prefix."""
    return [
        (method.upper(), path.removeprefix("/api/v1"))
        for path, ops in SPEC["paths"].items()
        for method in ops
        if method in METHODS
    ]


def operation(method: str, path: str) -> dict:
    return SPEC["paths"]["/api/v1" + path][method.lower()]


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(_resolve(part))
        return merged
    return schema


def example(schema: dict, name: str = ""):
    """A small value the schema accepts (required properties only)."""
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: example(props[k], k) for k in schema.get("required", []) if k in props}
    if kind == "array":
        return [example(schema.get("items", {}), name)] * schema.get("minItems", 0)
    if kind == "integer":
        return max(schema.get("minimum", 1), 1)
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return False
    fmt = schema.get("format")
    if fmt == "date":
        return "2026-12-31"
    if fmt == "date-time":
        return "2026-12-31T10:00:00+08:00"
    return "测试内容".ljust(schema.get("minLength", 0), "字")


def body_for(method: str, path: str):
    """A minimal JSON body for the operation, or None when it takes none."""
    content = (operation(method, path).get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        return example(content["application/json"]["schema"])
    return None


def headers_for(method: str, path: str) -> list[str]:
    return [p["name"] for p in operation(method, path).get("parameters", []) if p["in"] == "header"]
