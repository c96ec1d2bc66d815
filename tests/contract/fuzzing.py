"""The stateful walk over the contract (tests/contract/test_stateful.py, `scripts/bench fuzz`).

Log in, sign up for a task, check in with the organiser's code, complete it; claim, have it
approved or rejected and resubmit; reserve an offer, show its code, have merchant staff verify
it (or cancel it); post and work a wish or a report. Every answer is checked against the
contract (no 5xx, status codes, content types and bodies as documented).
"""

import inspect
from collections import Counter
from pathlib import Path
from unittest import mock

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky, InvalidDefinition
from hypothesis.stateful import RULE_MARKER
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.stateful.state_machine import normalize_name
from schemathesis.specs.openapi.checks import positive_data_acceptance, use_after_free

from server.community.acting import HEADER as ACTING_HEADER
from server.db.session import db
from tests.contract.stateful_world import (
    NOT_ROOTS,
    ONLY_AFTER,
    RESIDENTS,
    actor_for,
    in_walk,
    prepare_scenario,
    prepare_world,
    recent_day,
)

CONTRACT = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"
PREFIX = "/api/v1"
# Schema-valid requests may still break business rules the schema cannot express (a login code
# WeChat rejects, a grid of another community), which are 4xx by design; every other check stays on.
EXCLUDED = [positive_data_acceptance]
# DELETE /redemptions/{id} and /tasks/{id}/signups/me cancel: the row stays, readable, with
# status `cancelled` (DESIGN.md section 5), which use_after_free takes for a zombie.
STATEFUL_EXCLUDED = [*EXCLUDED, use_after_free]
STEPS = 50  # at most, per scenario

# Operations that can only succeed at the far end of a flow: each must answer 2xx at least once.
MUST_REACH = [
    "POST /tasks/{task_id}/signups",
    "GET /tasks/{task_id}/checkin-code",
    "POST /tasks/{task_id}/checkin",
    "POST /tasks/{task_id}/complete",
    "POST /points/claims",
    "POST /points/claims/{claim_id}/approve",
    "POST /redemptions",
    "GET /redemptions/{redemption_id}/code",
    "POST /merchant/verify",
]


def negative(case, location) -> bool:
    """Whether schemathesis made this part of the request invalid on purpose."""
    info = case.meta.components.get(location) if case.meta else None
    return info is not None and info.mode == GenerationMode.NEGATIVE


def make_machine(walk: str, base_url: str, app, headers, stats: Counter):
    """The contract's state machine, calling each operation as the person who would."""
    schema = schemathesis.openapi.from_path(str(CONTRACT)).include(
        lambda ctx: in_walk(walk, ctx.operation.method, ctx.operation.path.removeprefix(PREFIX))
    )
    # Scenarios start where a person starts: a list or a form, not a random id (a 404).
    with mock.patch(
        "schemathesis.specs.openapi.stateful.is_likely_root_transition",
        lambda operation, node, produced: (
            "{" not in operation.path
            and f"{operation.method.upper()} {operation.path.removeprefix(PREFIX)}" not in NOT_ROOTS
        ),
    ):
        base = schema.as_state_machine()

    class Walk(base):
        scenario = 0

        def setup(self):
            Walk.scenario += 1
            self.resident = RESIDENTS[Walk.scenario % len(RESIDENTS)]
            with app.app_context():
                prepare_scenario(self.resident, Walk.scenario)
                db.session.remove()

        def before_call(self, case):
            # Acting for a card holder and paging are the stateless fuzz's: random holder ids
            # and cursors would end most walks at their first step. A part generated invalid
            # on purpose is left as it is: it must be refused as generated.
            if case.headers and not negative(case, ParameterLocation.HEADER):
                case.headers.pop(ACTING_HEADER, None)
            if case.query and not negative(case, ParameterLocation.QUERY):
                case.query.pop("cursor", None)
            # The mini-program's date picker offers recent days only; random dates would
            # refuse every claim before anything else about it is looked at.
            if (
                case.operation.path.endswith(("/claims", "/resubmit"))
                and isinstance(case.body, dict)
                and not negative(case, ParameterLocation.BODY)
            ):
                case.body["occurred_on"] = recent_day().isoformat()

        def get_call_kwargs(self, case):
            if negative(case, ParameterLocation.HEADER):
                return {"base_url": base_url}  # its own (invalid or missing) Authorization
            path = case.operation.path.removeprefix(PREFIX)
            who = actor_for(case.method, path, self.resident)
            return {"base_url": base_url, "headers": headers(who)}

        def after_call(self, response, case):
            super().after_call(response, case)
            label = f"{case.method.upper()} {case.operation.path.removeprefix(PREFIX)}"
            stats["calls"] += 1
            stats[(label, response.status_code // 100)] += 1
            if response.status_code >= 400 and "json" in str(response.headers):
                code = (response.json().get("error") or {}).get("code")
                stats[("refused", label, response.status_code, code)] += 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                excluded_checks=STATEFUL_EXCLUDED,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    for name in pruned_rules(Walk):
        setattr(Walk, name, None)  # Hypothesis takes only attributes marked as rules
    return Walk


def pruned_rules(machine) -> list[str]:
    """The machine's link rules into an ONLY_AFTER operation from any other step."""

    def rule_part(label: str) -> str:  # "GET /tasks" as it appears in a rule's name
        method, path = label.split(" ", 1)
        return normalize_name(f"{method} {PREFIX}{path}")

    names = []
    for target, sources in ONLY_AFTER.items():
        suffix = rule_part(target)
        allowed = [rule_part(source) + "___" for source in sources]
        for name, value in inspect.getmembers(machine):
            if getattr(value, RULE_MARKER, None) is None or not name.endswith(suffix):
                continue
            if not name.startswith("RANDOM") and not name.startswith(tuple(allowed)):
                names.append(name)
    return names


def run_walk(
    walk: str, base_url: str, app, headers, *, scenarios: int, steps: int, fixed: bool
) -> Counter:
    """Walk `scenarios` random scenarios of up to `steps` calls; return what was called.

    The server's state differs between runs, so Hypothesis may find that a choice it saw
    before now leads elsewhere (Flaky): as schemathesis's own runner does, the walk goes on
    with the scenarios left rather than stopping there. So it does when a scenario runs out
    of steps to take (every link it gathered used up): that ends the scenario, not the walk.
    """
    stats: Counter = Counter()
    machine = make_machine(walk, base_url, app, headers, stats)
    for _ in range(30):
        left = scenarios - machine.scenario
        if left <= 0:
            break
        try:
            machine.run(
                settings=settings(
                    max_examples=left,
                    stateful_step_count=steps,
                    deadline=None,
                    database=None,
                    derandomize=fixed,
                    phases=[Phase.generate],
                    suppress_health_check=list(HealthCheck),
                )
            )
        except Flaky:
            stats["restarts"] += 1
            continue
        except InvalidDefinition as exc:
            if "No progress can be made" not in str(exc):
                raise
            stats["restarts"] += 1
            continue
        break
    return stats


def run_walks(
    base_url: str, app, headers, *, scenarios: int, steps: int = STEPS, fixed: bool = True
) -> Counter:
    """Each group of flows gets its share of the scenarios (few rules each: deep walks).

    `fixed`: the same walk every run (CI must not pass or fail on luck); the long run in
    `scripts/bench fuzz` walks new ground each time instead."""
    shares = {"tasks": 0.35, "claims": 0.2, "redemptions": 0.3, "grid": 0.15}
    with app.app_context():
        prepare_world()
        db.session.remove()
    stats: Counter = Counter()
    for walk, share in shares.items():
        stats += run_walk(
            walk,
            base_url,
            app,
            headers,
            scenarios=max(1, round(scenarios * share)),
            steps=steps,
            fixed=fixed,
        )
    return stats


def reached(stats: Counter) -> set[str]:
    """The operations that answered 2xx at least once."""
    return {key[0] for key, count in stats.items() if isinstance(key, tuple) and key[1] == 2}
