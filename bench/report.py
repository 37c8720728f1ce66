"""The report: one row per metric, a column per target, the ratios the goals use, and a verdict.

Every cell is the median over the repetitions with their spread `[min-max]` (each repetition's value
is itself a p50, p99, median or single measurement, as labelled). The goals are judged on the medians
of the project as shipped (on uvloop) against the floor on stock asyncio; the same-loop ratios
(ours/asyncio ÷ floor/asyncio, ours/uvloop ÷ floor/uvloop) are printed next to it.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

from workloads import Sample

FLOOR_ASYNCIO = "floor/asyncio"
FLOOR_UVLOOP = "floor/uvloop"
OURS_ASYNCIO = "ours/asyncio"
OURS_UVLOOP = "ours/uvloop"
COLUMNS = (FLOOR_ASYNCIO, FLOOR_UVLOOP, OURS_ASYNCIO, OURS_UVLOOP)
# What the goals judge: the project as shipped (uvloop where installed) against the stock floor.
JUDGED, REFERENCE = OURS_UVLOOP, FLOOR_ASYNCIO

# A goal takes the judged and the reference medians and says whether it is met.
Goal = Callable[[float, float], bool]


@dataclass
class Row:
    label: str
    unit: str  # "ms", "s", "MB", "" (a count)
    values: dict[str, list[float]]
    errors: dict[str, int] | None = None
    goal_text: str = ""
    goal: Goal | None = None
    ratios: bool = True
    notes: list[str] = field(default_factory=lambda: [])

    def verdict(self) -> str:
        if self.goal is None:
            return ""
        judged, reference = med(self.values.get(JUDGED, [])), med(self.values.get(REFERENCE, []))
        if judged != judged or reference != reference:
            return "n/a"
        return "PASS" if self.goal(judged, reference) else "MISS"


def med(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def values(samples: list[Sample], key: str, scale: float = 1.0) -> list[float]:
    return [sample.values[key] * scale for sample in samples if key in sample.values]


def column_values(results: dict[str, list[Sample]], key: str, scale: float = 1.0) -> dict[str, list[float]]:
    return {name: values(samples, key, scale) for name, samples in results.items()}


def errors_of(results: dict[str, list[Sample]]) -> dict[str, int]:
    return {name: sum(sample.errors for sample in samples) for name, samples in results.items()}


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def log_sample(title: str, rep: int, reps: int, name: str, sample: Sample) -> None:
    shown = ", ".join(f"{key}={_fmt_value(value, key)}" for key, value in sample.values.items())
    log(f"  {title} rep {rep + 1}/{reps} {name:<13} {shown}  errors={sample.errors}")


def _fmt_value(value: float, key: str) -> str:
    if key.endswith("_mb"):
        return f"{value:.1f}MB"
    if key == "in_flight":
        return f"{value:g}"
    return f"{value * 1000:.2f}ms"


def _num(value: float, unit: str) -> str:
    if value != value:
        return "n/a"
    if unit == "":
        return f"{value:g}"
    if unit == "MB":
        return f"{value:.1f}"
    if unit == "s":
        return f"{value:.3f}"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _cell(row_values: list[float], unit: str) -> str:
    if not row_values:
        return "n/a"
    middle = statistics.median(row_values)
    suffix = f" {unit}" if unit else ""
    if len(row_values) == 1:
        return f"{_num(middle, unit)}{suffix}"
    return f"{_num(middle, unit)}{suffix} [{_num(min(row_values), unit)}-{_num(max(row_values), unit)}]"


def _ratio(row: Row, top: str, bottom: str) -> str:
    if not row.ratios:
        return ""
    upper, lower = med(row.values.get(top, [])), med(row.values.get(bottom, []))
    if upper != upper or lower != lower or lower <= 0:
        return "n/a"
    return f"{upper / lower:.2f}x"


def print_table(rows: list[Row]) -> None:
    header = [
        "metric",
        *COLUMNS,
        "ours/uv ÷ floor/asy",
        "same loop: asy | uv",
        "goal",
        "result",
        "errors f-a/f-u/o-a/o-u",
    ]
    lines: list[list[str]] = []
    for row in rows:
        same_loop = (
            f"{_ratio(row, OURS_ASYNCIO, FLOOR_ASYNCIO)} | {_ratio(row, OURS_UVLOOP, FLOOR_UVLOOP)}"
            if row.ratios
            else ""
        )
        errors = "/".join(str(row.errors.get(name, 0)) for name in COLUMNS) if row.errors is not None else "-"
        lines.append(
            [
                row.label,
                *(_cell(row.values.get(name, []), row.unit) for name in COLUMNS),
                _ratio(row, JUDGED, REFERENCE),
                same_loop,
                row.goal_text,
                row.verdict(),
                errors,
            ]
        )
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    print("  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)))
    print("  ".join("-" * width for width in widths))
    for line in lines:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def print_goals(rows: list[Row]) -> None:
    """The goal lines alone, as ratios: what the issue's goals read."""
    print("goals (ours as shipped, on uvloop, against the floor on stock asyncio; medians):")
    for row in rows:
        if row.goal is None:
            continue
        judged, reference = med(row.values.get(JUDGED, [])), med(row.values.get(REFERENCE, []))
        ratio = f"{judged / reference:.2f}x" if reference and reference == reference else "n/a"
        measured = f"ours {_num(judged, row.unit)} vs floor {_num(reference, row.unit)} {row.unit}".rstrip()
        print(f"  {row.verdict():<4}  {row.label}: {ratio} ({measured}); goal {row.goal_text}")
