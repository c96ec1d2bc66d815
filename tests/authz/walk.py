"""Sending one table entry's request as one actor, against the world's objects."""

import io
import re
import uuid

from tests.authz import contract
from tests.authz.table import PATH_IDS, TABLE
from tests.authz.world import ACTING
from tests.claims_helpers import image_bytes


def key(method: str, path: str) -> str:
    return f"{method} {path}"


def fill(path: str, rule, ids) -> str:
    def value(match):
        name = match.group(1)
        attr = rule.ids.get(name) or (
            "service_item" if "service-items" in path and name == "item_id" else None
        )
        return str(getattr(ids, attr or PATH_IDS.get(name, name)))

    return re.sub(r"\{(\w+)\}", value, path)


def send(world, method: str, path: str, actor: str, query: dict | None = None):
    """The response to `method path` sent by `actor`, with the entry's (or a generated) body."""
    rule = TABLE[key(method, path)]
    headers, kwargs = {}, {}
    declared = contract.headers_for(method, path)
    if "Idempotency-Key" in declared:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    as_ = actor
    if actor in ACTING:
        as_, headers["X-Acting-For"] = ACTING[actor], str(world.ids.holder_id)
    if rule.body == "upload":
        kwargs = {
            "data": {"file": (io.BytesIO(image_bytes()), "photo.png")},
            "content_type": "multipart/form-data",
        }
    elif rule.body is not None:
        kwargs["json"] = rule.body(world.ids)
    elif (body := contract.body_for(method, path)) is not None:
        kwargs["json"] = body
    url = fill(path, rule, world.ids)
    query = {**rule.query, **(query or {})}
    return world.caller.call(method, url, as_, headers=headers, query_string=query, **kwargs)


def refusal_cases() -> list[tuple[str, str, str]]:
    """(method, path, actor) for every actor an entry refuses; acting only where declared."""
    from tests.authz.world import REFUSABLE

    cases = []
    for method, path in contract.operations():
        rule = TABLE.get(key(method, path))
        if rule is None:
            continue
        acting = "X-Acting-For" in contract.headers_for(method, path)
        for actor in REFUSABLE:
            if actor in rule.allow or (actor in ACTING and not acting):
                continue
            cases.append((method, path, actor))
    return cases


def success_cases() -> list[tuple[str, str, str]]:
    cases = []
    for method, path in contract.operations():
        rule = TABLE.get(key(method, path))
        if rule is not None and rule.success_actor():
            cases.append((method, path, rule.success_actor()))
    return cases


# What only the demo community may see: the owner's texts and names, and the demo's own rows.
DEMO_ONLY = (
    "督导垃圾分类一小时",  # the owner's claim
    "楼道堆放杂物",  # the owner's report
    "帮独居的奶奶",  # the owner's wish
    "刘桂兰",  # the card holder
    "刘*兰",
    "张伟明",  # the owner
    "张*明",
    "幸福社区积分超市",  # the demo's merchant
    "河道巡护",  # the demo's task
)
# What another resident of the same community may not see: the owner's own filings.
OWNER_ONLY = ("督导垃圾分类一小时", "楼道堆放杂物", "帮独居的奶奶", "刘桂兰")
OUTSIDE = ("outsider", "outside_reviewer", "outside_admin")
INSIDE = ("resident", "other_grid", "other_staff", "organiser")  # they see OWNER_ONLY


def leak_cases() -> list[tuple[str, str, str]]:
    """(GET, path, actor) for every read another community's member is allowed."""
    return [
        ("GET", path, actor)
        for method, path in contract.operations()
        if method == "GET"
        for actor in (*OUTSIDE, *INSIDE)
        if actor in TABLE[key(method, path)].allow
    ]


# Filters a caller might try to widen a list with, filled from the world.
FILTER_IDS = {
    "grid_id": "g1",
    "merchant_id": "merchant_id",
    "user_id": "owner_user",
    "worker_id": "grid_user",
    "holder_id": "holder_id",
    "item_id": "point_item",
    "category_id": "point_category",
}


def query_variants(method: str, path: str, ids) -> list[dict]:
    """The plain request, then one per filter value the contract offers (enums, our ids)."""
    variants: list[dict] = [{}]
    for param in contract.operation(method, path).get("parameters", []):
        name, schema = param["name"], param.get("schema", {})
        if param["in"] != "query":
            continue
        if schema.get("enum"):
            variants += [{name: v} for v in schema["enum"] if v is not None]
        elif name in FILTER_IDS:
            variants.append({name: getattr(ids, FILTER_IDS[name])})
        elif schema.get("type") == "boolean":
            variants.append({name: "true"})
    return variants
