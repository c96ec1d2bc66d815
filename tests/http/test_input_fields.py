"""Every schema uses the strict shared fields, and the contract documents every parameter."""

import json
from pathlib import Path

import marshmallow as ma

from server.http import schemas as shared

CONTRACT = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"
LENIENT = {
    ma.fields.Boolean: shared.Boolean,
    ma.fields.Date: shared.Date,
    ma.fields.DateTime: shared.AwareDateTime,
    ma.fields.AwareDateTime: shared.AwareDateTime,
    ma.fields.NaiveDateTime: shared.AwareDateTime,
}


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _fields(field):
    yield field
    inner = getattr(field, "inner", None)
    if inner is not None:
        yield from _fields(inner)


def test_no_schema_uses_marshmallows_lenient_boolean_date_or_datetime(app):
    problems = []
    for schema_cls in _subclasses(ma.Schema):
        if not schema_cls.__module__.startswith("server."):
            continue
        for name, declared in schema_cls._declared_fields.items():
            for field in _fields(declared):
                if type(field) in LENIENT:
                    wanted = LENIENT[type(field)].__name__
                    problems.append(
                        f"{schema_cls.__name__}.{name}: use server.http.schemas.{wanted}"
                    )
    assert problems == []


def test_strict_boolean_accepts_only_booleans_and_query_words():
    class Body(ma.Schema):
        flag = shared.Boolean()

    assert Body().load({"flag": True}) == {"flag": True}
    for value in ("true", "yes", "on", 1, 0, "1"):
        errors = Body().validate({"flag": value})
        assert errors == {"flag": ["应为 true 或 false"]}, value


def test_dates_and_times_are_bounded():
    class Body(ma.Schema):
        day = shared.Date()
        moment = shared.AwareDateTime()

    ok = Body().load({"day": "2000-01-01", "moment": "2100-12-31T23:59:59+00:00"})
    assert ok["day"].year == 2000 and ok["moment"].year == 2100
    assert Body().validate({"moment": "2101-01-01T07:59:59+08:00"}) == {}  # 2100-12-31 in UTC
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1999-12-31T23:59Z"):
        assert "moment" in Body().validate({"moment": moment}), moment
    for day in ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"):
        assert "day" in Body().validate({"day": day}), day


def test_every_query_parameter_is_described_and_formats_are_spelt_out():
    contract = json.loads(CONTRACT.read_text(encoding="utf-8"))
    undocumented, formats = [], {}
    for path, operations in contract["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                if param.get("in") != "query":
                    continue
                if not (param.get("description") or "").strip():
                    undocumented.append(f"{method.upper()} {path} ?{param['name']}")
                formats[param["name"]] = param
    assert undocumented == []
    period = formats["period"]
    for spelling in ("YYYY", "YYYY-MM", "YYYY-Qn"):
        assert spelling in period["description"]
    assert period["schema"]["pattern"] and period["schema"]["example"] == "2026-Q4"
    assert "YYYY-MM" in formats["month"]["description"] and formats["month"]["schema"]["pattern"]
    assert "YYYY-MM-DD" in formats["date_from"]["description"]
