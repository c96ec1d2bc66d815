"""The long fuzz: the stateless and the stateful schemathesis runs with a budget CI cannot spend.

    scripts/bench fuzz              # about 10 minutes (--quick: about 2)
    FUZZ_EXAMPLES=100 FUZZ_SCENARIOS=300 scripts/bench fuzz   # more

Against the harness's stack (gunicorn + PostgreSQL + Redis + the WeChat emulator, seed-demo).
Stateless: every operation of schemas/openapi.json, as a resident and as the admin, with
FUZZ_EXAMPLES generated requests each. Stateful: the walk of tests/contract/fuzzing.py
(tasks, claims, redemptions, wishes and reports, each step sent as the person who would call
it) for FUZZ_SCENARIOS scenarios. A finding is a 5xx or a contract violation (status code,
content type, headers, body); the report rows count the calls and every finding.
"""

import os
import time
from collections import Counter

EXAMPLES, QUICK_EXAMPLES = 40, 5  # per operation and role
SCENARIOS, QUICK_SCENARIOS = 150, 20


def _headers_for(ctx):
    tokens: dict[str, str] = {}

    def headers(identity: str) -> dict:
        if identity not in tokens:
            tokens[identity] = ctx.login(identity)
        return {"Authorization": f"Bearer {tokens[identity]}"}

    return headers


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def stateless(ctx, headers, examples: int, say) -> dict:
    """Every operation, as a resident and as the admin, `examples` requests each."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    from tests.contract.fuzzing import CONTRACT, EXCLUDED

    schema = schemathesis.openapi.from_path(str(CONTRACT))
    counts: Counter = Counter()
    findings: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]

    def fuzz_as(operation, role):
        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            response = case.call(base_url=ctx.base_url, headers=headers(role))
            counts["calls"] += 1
            counts["5xx"] += response.status_code >= 500
            case.validate_response(response, excluded_checks=EXCLUDED)

        return fuzz

    for n, operation in enumerate(operations, start=1):
        for role in ("resident-1", "admin"):
            try:
                fuzz_as(operation, role)()
            except (Exception, BaseExceptionGroup) as exc:  # a finding: keep going, report it
                findings.append(f"{operation.label} as {role}: {_first_line(exc)}")
        if n % 20 == 0:
            say(f"    stateless: {n}/{len(operations)} operations, {counts['calls']:,} calls")
    return {"operations": len(operations), "calls": counts["calls"], "5xx": counts["5xx"],
            "findings": findings}  # fmt: skip


def stateful(ctx, headers, scenarios: int) -> dict:
    """The walk of the flows, `scenarios` scenarios of up to 50 steps."""
    from tests.contract.fuzzing import MUST_REACH, reached, run_walks

    app = ctx.app()
    findings: list[str] = []
    stats: Counter = Counter()
    try:
        stats = run_walks(ctx.base_url, app, headers, scenarios=scenarios, fixed=False)
    except (Exception, BaseExceptionGroup) as exc:  # a finding ends the walk: report it
        findings.append(_first_line(exc))
    if os.environ.get("FUZZ_DEBUG"):
        print(sorted((str(k), v) for k, v in stats.items()))
    five = sum(n for key, n in stats.items() if isinstance(key, tuple) and key[1:] == (5,))
    missed = [op for op in MUST_REACH if op not in reached(stats)]
    # Why a missed operation was refused, e.g. ("POST /redemptions", 409, "window_closed"): 3.
    refused = [(key, n) for key, n in stats.most_common() if key[0] == "refused"]
    why = [f"{key[1:]}×{n}" for key, n in refused if key[1] in missed]
    return {"calls": stats["calls"], "5xx": five, "findings": findings, "missed": missed,
            "why": why[:8]}  # fmt: skip


def bench_rows(ctx, opts) -> list:
    """scripts/bench's runner: a row for each fuzz, with its checks."""
    from bench.rows import Check, Row

    examples = int(os.environ.get("FUZZ_EXAMPLES") or (QUICK_EXAMPLES if opts.quick else EXAMPLES))
    scenarios = int(
        os.environ.get("FUZZ_SCENARIOS") or (QUICK_SCENARIOS if opts.quick else SCENARIOS)
    )
    headers = _headers_for(ctx)
    rows = []
    started = time.perf_counter()
    opts.say(f"  stateless fuzz: {examples} examples per operation and role")
    flat = stateless(ctx, headers, examples, opts.say)
    took = time.perf_counter() - started
    label = f"stateless: {flat['operations']} operations × 2 roles × {examples} examples"
    detail = "; ".join(flat["findings"][:5])
    row = Row(scenario="fuzz", label=label, count=flat["calls"], rate=flat["calls"] / took,
              errors=flat["5xx"], error_detail=detail, unit="call")  # fmt: skip
    row.invariants.append(
        Check("no 5xx and no contract violation (stateless)", not flat["findings"],
              f"{flat['calls']:,} calls, {flat['5xx']} 5xx, {len(flat['findings'])} findings")
    )  # fmt: skip
    rows.append(row)
    started = time.perf_counter()
    opts.say(f"  stateful fuzz: {scenarios} scenarios")
    walk = stateful(ctx, headers, scenarios)
    took = time.perf_counter() - started
    row = Row(scenario="fuzz", label=f"stateful: {scenarios} scenarios of up to 50 steps",
              count=walk["calls"], rate=walk["calls"] / took, errors=walk["5xx"],
              error_detail="; ".join(walk["findings"][:5]), unit="call")  # fmt: skip
    row.invariants += [
        Check("no 5xx and no contract violation (stateful)", not walk["findings"],
              f"{walk['calls']:,} calls, {walk['5xx']} 5xx, {len(walk['findings'])} findings"),
        Check("the walk reached every flow's far end", not walk["missed"],
              f"missed: {', '.join(walk['missed'])}; refused: {walk['why']}"
              if walk["missed"] else "all reached"),
    ]  # fmt: skip
    rows.append(row)
    return rows
