"""The results: a table on the terminal, the same as Markdown, and the targets checked."""

import math
from dataclasses import dataclass

from bench.memory import WorkerMemory
from bench.rows import Check, Row, reference_of
from bench.scenarios import Scenario
from bench.wrk import WrkResult

__all__ = ["Check", "Row", "ScenarioResult", "checks", "render_markdown", "render_text"]


@dataclass
class ScenarioResult:
    scenario: Scenario
    wrk: WrkResult
    # CPU milliseconds per request (all workers / this database's backends), measured run only:
    # unlike req/s this barely moves when something else loads the machine.
    api_cpu_ms: float = float("nan")
    db_cpu_ms: float = float("nan")


def _fmt(value: float, digits: int = 2) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else float("nan")


def ceiling_of(results: list[ScenarioResult]) -> ScenarioResult:
    return next(r for r in results if r.scenario.ceiling)


def scenario_rows(results: list[ScenarioResult]) -> list[list[str]]:
    top = ceiling_of(results).wrk
    rows = []
    for r in results:
        w = r.wrk
        errors = str(w.errors)
        if w.errors:
            errors += f" ({w.non_2xx} non-2xx, {w.socket_errors} socket)"
        rows.append(
            [
                r.scenario.name,
                _fmt(w.rps, 1),
                _fmt(w.p50_ms),
                _fmt(w.p99_ms),
                errors,
                _fmt(_ratio(w.rps, top.rps)),
                _fmt(_ratio(w.p99_ms, top.p99_ms), 1),
                _fmt(r.api_cpu_ms),
                _fmt(r.db_cpu_ms),
            ]
        )
    return rows


SCENARIO_HEADER = [
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "errors",
    "×healthz req/s",
    "×healthz p99",
    "API CPU ms/req",
    "PG CPU ms/req",
]
MEMORY_HEADER = ["process", "pid", "VmHWM at end MB", "max RSS (0.5 s samples) MB"]


def memory_rows(workers: list[WorkerMemory], master: WorkerMemory) -> list[list[str]]:
    rows = []
    for i, w in enumerate(workers, 1):
        hwm = _fmt(w.hwm_mb, 1) if w.hwm_mb is not None else "exited"
        rows.append([f"worker {i}", str(w.pid), hwm, _fmt(w.max_rss_mb, 1)])
    rows.append(
        ["master", str(master.pid), _fmt(master.hwm_mb or 0, 1), _fmt(master.max_rss_mb, 1)]
    )
    return rows


def checks(
    results: list[ScenarioResult],
    workers: list[WorkerMemory],
    max_worker_mb: float,
    rows: list[Row] = (),
) -> list[Check]:
    top = ceiling_of(results).wrk
    out = []
    for r in results:
        s, w = r.scenario, r.wrk
        label = f"{s.method} {s.path}"
        if s.min_throughput_ratio is not None:
            ratio = _ratio(w.rps, top.rps)
            out.append(
                Check(
                    f"{label} ≥ {s.min_throughput_ratio:.0%} of /healthz throughput",
                    ratio >= s.min_throughput_ratio,
                    f"{_fmt(w.rps, 1)} ÷ {_fmt(top.rps, 1)} = {ratio:.0%}",
                )
            )
        if s.max_p99_ms is not None:
            out.append(
                Check(
                    f"{label} p99 < {s.max_p99_ms:g} ms",
                    w.p99_ms < s.max_p99_ms,
                    f"p99 {_fmt(w.p99_ms)} ms",
                )
            )
    out += row_checks(rows)
    peak = max((w.peak_mb for w in workers), default=float("nan"))
    out.append(
        Check(
            f"every worker < {max_worker_mb:g} MB",
            bool(workers) and peak < max_worker_mb,
            f"largest peak {_fmt(peak, 1)} MB over {len(workers)} worker(s)",
        )
    )
    failed = [r.scenario.name for r in results if r.wrk.errors]
    failed += sorted({f"{r.scenario} ({r.label})" for r in rows if r.errors})
    out.append(
        Check(
            "no scenario had errors",
            not failed,
            "all answered 2xx" if not failed else "errors in: " + ", ".join(failed),
        )
    )
    return out


def row_checks(rows: list[Row]) -> list[Check]:
    """Each Python-driven row's targets, then its correctness checks."""
    out = []
    for r in rows:
        ref = reference_of(r, rows)
        name = f"{r.scenario}: {r.label}"
        if r.min_rate_ratio is not None:
            got = _ratio(r.rate, ref.rate if ref else float("nan"))
            out.append(
                Check(
                    f"{name} ≥ {r.min_rate_ratio:.0%} of {r.ref} {r.unit}/s",
                    got >= r.min_rate_ratio,
                    f"{_fmt(r.rate, 1)} ÷ {_fmt(ref.rate if ref else None, 1)} = {_fmt(got)}",
                )
            )
        if r.max_p99_ms is not None:
            out.append(Check(f"{name} p99 < {r.max_p99_ms:g} ms", r.p99_ms < r.max_p99_ms, _p99(r)))
        if r.max_p99_ratio is not None:
            got = _ratio(r.p99_ms, ref.p99_ms if ref else float("nan"))
            out.append(
                Check(
                    f"{name} p99 ≤ {r.max_p99_ratio:g} × {r.ref} p99",
                    got <= r.max_p99_ratio,
                    f"{_fmt(r.p99_ms)} ÷ {_fmt(ref.p99_ms if ref else None)} ms = {_fmt(got)}",
                )
            )
        out += [Check(f"{r.scenario}: {c.name}", c.passed, c.detail) for c in r.invariants]
    return out


def _p99(r: Row) -> str:
    return f"p99 {_fmt(r.p99_ms)} ms"


PY_HEADER = [
    "scenario",
    "measured",
    "n",
    "per s",
    "p50 ms",
    "p99 ms",
    "errors",
    "compared with",
    "× per s",
    "× p99",
    "API CPU ms/op",
    "PG CPU ms/op",
]


def python_rows(rows: list[Row]) -> list[list[str]]:
    out = []
    for r in rows:
        ref = reference_of(r, rows)
        errors = str(r.errors) + (f" ({r.error_detail})" if r.error_detail else "")
        out.append(
            [
                r.scenario,
                r.label,
                str(r.count),
                _fmt(r.rate, 1),
                _fmt(r.p50_ms),
                _fmt(r.p99_ms),
                errors,
                r.ref or "",
                _fmt(_ratio(r.rate, ref.rate)) if ref else "",
                _fmt(_ratio(r.p99_ms, ref.p99_ms)) if ref else "",
                _fmt(r.api_cpu_ms),
                _fmt(r.db_cpu_ms),
            ]
        )
    return out


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=False)]

    def line(cells):
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        )

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def md_table(header: list[str], rows: list[list[str]]) -> str:
    align = ["---"] + ["---:"] * (len(header) - 1)
    return "\n".join("| " + " | ".join(r) + " |" for r in [header, align, *rows])


def render_text(results, workers, master, check_list, rows: list[Row] = ()) -> str:
    parts = [text_table(SCENARIO_HEADER, scenario_rows(results)), ""]
    if rows:
        parts += [
            "Python-driven scenarios (each compared with its own reference, same run):",
            text_table(PY_HEADER, python_rows(rows)),
            "",
        ]
    parts += [
        "gunicorn worker memory (peak resident set):",
        text_table(MEMORY_HEADER, memory_rows(workers, master)),
        "",
        "targets:",
    ]
    parts += [f"  {'PASS' if c.passed else 'FAIL'}  {c.name}  ({c.detail})" for c in check_list]
    return "\n".join(parts)


def _scenarios_of(rows: list[Row]) -> list[Scenario]:
    from bench.scenarios import SCENARIOS

    names = {r.scenario for r in rows}
    return [s for s in SCENARIOS if s.name in names]


def render_markdown(
    results, workers, master, check_list, settings: dict[str, str], rows: list[Row] = ()
) -> str:
    parts = ["# Benchmark results (scripts/bench)", ""]
    parts += [f"- **{k}**: {v}" for k, v in settings.items()]
    parts += [
        "",
        "Absolute req/s swing a lot between runs on a shared 2-core machine (wrk shares the",
        "cores with the server); compare the ratios against /healthz measured in the same run.",
        "CPU ms/req (all gunicorn workers; this database's PostgreSQL backends) is the cost",
        "of one request and moves least when something else loads the machine.",
        "",
        "## Scenarios",
        "",
        md_table(SCENARIO_HEADER, scenario_rows(results)),
        "",
    ]
    parts += [f"- `{r.scenario.name}`: {r.scenario.description}" for r in results]
    if rows:
        parts += [
            "",
            "## Python-driven scenarios",
            "",
            "Each drives the API (or the ledger) with its own client and measures its",
            "reference with the same client in the same run: `compared with` names that row,",
            "`× per s` and `× p99` divide by it.",
            "",
            md_table(PY_HEADER, python_rows(rows)),
            "",
        ]
        for sc in _scenarios_of(rows):
            parts.append(f"- `{sc.name}`: {sc.description}")
    parts += [
        "",
        "## gunicorn worker memory",
        "",
        md_table(MEMORY_HEADER, memory_rows(workers, master)),
        "",
        "## Targets",
        "",
    ]
    parts += [f"- **{'PASS' if c.passed else 'FAIL'}** {c.name} ({c.detail})" for c in check_list]
    return "\n".join(parts) + "\n"
