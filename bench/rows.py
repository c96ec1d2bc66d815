"""What Python-driven scenarios hand back to the report: rows of figures, and checks.

A runner (see `Scenario.runner`) measures with its own load generator, so it measures its own
reference in the same run too (usually /healthz with the same client; plain SQL for the
ledger; the 10k-entry figures for history latency) and names it in `Row.ref`: the report
divides by that row, never by a figure from another client or another run.
"""

import math
from dataclasses import dataclass, field

from bench.memory import cpu_delta

NAN = float("nan")


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Row:
    scenario: str  # the registry name, e.g. "signup_rush"
    label: str  # what this row measured, unique within the scenario
    count: int  # requests (or operations) measured
    rate: float  # per second
    p50_ms: float = NAN
    p99_ms: float = NAN
    errors: int = 0  # unexpected statuses and dropped connections
    error_detail: str = ""  # e.g. the status counts
    ref: str | None = None  # label of the row (same scenario) this one is compared with
    # CPU milliseconds per operation: API workers (or this process for in-process rows) and
    # this database's PostgreSQL backends.
    api_cpu_ms: float = NAN
    db_cpu_ms: float = NAN
    unit: str = "req"  # what `rate` counts, for the check texts
    # Targets (None: none): rate ÷ ref rate, p99, p99 ÷ ref p99.
    min_rate_ratio: float | None = None
    max_p99_ms: float | None = None
    max_p99_ratio: float | None = None
    invariants: list[Check] = field(default_factory=list)  # correctness checks of the run


def ratio(a: float, b: float) -> float:
    if a is None or b is None or math.isnan(a) or math.isnan(b) or not b:
        return NAN
    return a / b


def reference_of(row: Row, rows: list[Row]) -> Row | None:
    if row.ref is None:
        return None
    for other in rows:
        if other.scenario == row.scenario and other.label == row.ref:
            return other
    raise ValueError(f"{row.scenario}: row {row.label!r} refers to unknown row {row.ref!r}")


def no_cpu() -> dict:
    """A CPU snapshot that holds nothing: what a scenario run without a stack measures."""
    return {"api": {}, "db": {}}


def cpu_per_op(before: dict, after: dict, n: int) -> tuple[float, float]:
    """(API ms, PG ms) per operation between two `StackContext.cpu_snapshot()`s."""
    if not n:
        return NAN, NAN
    return (
        1000 * cpu_delta(before["api"], after["api"]) / n,
        1000 * cpu_delta(before["db"], after["db"]) / n,
    )


def from_load(
    scenario: str, label: str, measured: dict, *, ok: tuple[int, ...] = (200,), **kwargs
) -> Row:
    """A row from the dicts the Python load generators return (requests, rps, p50, statuses)."""
    bad = {k: v for k, v in measured["statuses"].items() if int(k) not in ok}
    return Row(
        scenario=scenario,
        label=label,
        count=measured["requests"],
        rate=measured["rps"],
        p50_ms=measured["p50_ms"],
        p99_ms=measured["p99_ms"],
        errors=sum(bad.values()),
        error_detail=", ".join(f"{v}×{k}" for k, v in bad.items()),
        **kwargs,
    )
