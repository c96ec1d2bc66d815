"""The contract says which routes accept X-Acting-For, and only those do."""

from server.community.acting import HEADER


def _operations(app):
    spec = app.extensions["redpoints_api"].spec.to_dict()
    for rule in app.url_map.iter_rules():
        path = rule.rule.replace("<int:", "{").replace(">", "}")
        if path not in spec["paths"]:
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            names = [p["name"] for p in operation.get("parameters", [])]
            yield f"{method} {path}", getattr(view, "accepts_acting", False), names


def test_exactly_the_routes_that_accept_acting_document_the_header(app):
    operations = list(_operations(app))
    documented = {op for op, _accepts, names in operations if HEADER in names}
    accepting = {op for op, accepts, _names in operations if accepts}
    assert documented == accepting
    assert {
        "POST /api/v1/points/claims",
        "GET /api/v1/points/balance",
        "POST /api/v1/tasks/{task_id}/signups",
        "POST /api/v1/tasks/{task_id}/checkin",
        "POST /api/v1/redemptions",
        "POST /api/v1/uploads",
    } <= accepting
    assert "POST /api/v1/merchant/verify" not in accepting


def test_the_header_joins_a_routes_query_parameters_instead_of_replacing_them(app):
    names = dict((op, names) for op, _a, names in _operations(app))
    assert {"limit", "cursor", "scope", HEADER} <= set(names["GET /api/v1/points/claims"])
    assert {"limit", "cursor", "status", HEADER} <= set(names["GET /api/v1/redemptions"])
    assert {"Idempotency-Key", HEADER} <= set(names["POST /api/v1/redemptions"])
