"""Cold-start budget: where the stdio server's start-up time goes, from `python -X importtime`.

Run from the repository root:  uv run python bench/coldstart.py  [--runs N]

Imports what the stdio server imports before it answers `initialize` (the console script's module
and the server factory) in fresh interpreters, and the floor's imports (`mcp.server.mcpserver`,
`httpx`) likewise, then prints, as medians over the runs:
- the total import time of each, and the difference (what our start-up adds to the floor's);
- the top 15 modules of ours by self time (the module's own body, children excluded);
- the top 15 dependencies (top-level packages, summed self time), marking the ones the floor does
  not import at all;
- the time to build the server (`create_server`: settings, tool schemas) after the imports.
Bytecode caches are written by one discarded run first. The machine may be shared: re-run and compare.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = REPO / ".venv" / "bin" / "python"
OURS = "import openrouterai_mcp.cli, openrouterai_mcp.server"
FLOOR = "import mcp.server.mcpserver, httpx"
BUILD = (
    "import time; t = time.perf_counter(); "
    "from openrouterai_mcp.server import create_server; from openrouterai_mcp.settings import Settings; "
    "t = time.perf_counter(); create_server(Settings()); print(time.perf_counter() - t)"
)
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")
TOP = 15


def clean_env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "OPENROUTER_", "API_"))}
    return env


def importtime(code: str) -> dict[str, tuple[int, int]]:
    """module -> (self µs, cumulative µs) of one fresh interpreter running `code`."""
    done = subprocess.run(
        [str(PYTHON if PYTHON.exists() else sys.executable), "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=clean_env(),
        cwd=REPO,
        check=True,
    )
    modules: dict[str, tuple[int, int]] = {}
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        if match:
            modules[match.group(4)] = (int(match.group(1)), int(match.group(2)))
    return modules


def medians(runs: list[dict[str, tuple[int, int]]]) -> dict[str, tuple[float, float]]:
    names = set().union(*runs)
    return {
        name: (
            statistics.median(run.get(name, (0, 0))[0] for run in runs),
            statistics.median(run.get(name, (0, 0))[1] for run in runs),
        )
        for name in names
    }


def total_ms(run: dict[str, tuple[int, int]]) -> float:
    """Sum of self times: every import's own cost, once."""
    return sum(own for own, _cumulative in run.values()) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="fresh interpreters per measurement (default 7)")
    runs = max(1, parser.parse_args().runs)
    importtime(OURS)  # writes the bytecode caches
    ours_runs: list[dict[str, tuple[int, int]]] = []
    floor_runs: list[dict[str, tuple[int, int]]] = []
    for _ in range(runs):  # interleaved, so machine load hits both alike
        ours_runs.append(importtime(OURS))
        floor_runs.append(importtime(FLOOR))
    ours, floor = medians(ours_runs), medians(floor_runs)
    ours_total = statistics.median(total_ms(run) for run in ours_runs)
    floor_total = statistics.median(total_ms(run) for run in floor_runs)
    spread = [total_ms(run) for run in ours_runs]
    print(f"cold-start import budget, median of {runs} fresh interpreters (python -X importtime)")
    print(f"  ours : {OURS:<55} {ours_total:7.1f} ms  [{min(spread):.1f}-{max(spread):.1f}]")
    print(f"  floor: {FLOOR:<55} {floor_total:7.1f} ms")
    print(f"  ours adds {ours_total - floor_total:+.1f} ms ({ours_total / floor_total:.2f}x the floor's imports)")

    print(f"\ntop {TOP} modules of ours (self ms, cumulative ms):")
    mine = sorted(((own, cum, name) for name, (own, cum) in ours.items() if name.startswith("openrouterai_mcp")))
    for own, cum, name in reversed(mine[-TOP:]):
        print(f"  {own / 1000:7.2f}  {cum / 1000:8.2f}  {name}")
    print(f"  {sum(own for own, _c, _n in mine) / 1000:7.2f}  (all {len(mine)} modules of ours)")

    packages: dict[str, float] = defaultdict(float)
    for name, (own, _cum) in ours.items():
        top = name.split(".", 1)[0]
        if top != "openrouterai_mcp":
            packages[top] += own
    floor_packages = {name.split(".", 1)[0] for name in floor}
    print(f"\ntop {TOP} dependencies (top-level packages incl. the standard library, summed self ms):")
    for own, top in sorted(((own, top) for top, own in packages.items()), reverse=True)[:TOP]:
        mark = "" if top in floor_packages else "   <- not imported by the floor"
        print(f"  {own / 1000:7.2f}  {top}{mark}")
    extra = sorted(top for top in packages if top not in floor_packages)
    extra_ms = sum(packages[top] for top in extra) / 1000
    print(f"  packages the floor does not import: {extra_ms:.1f} ms in all: {', '.join(extra) or 'none'}")

    builds: list[float] = []
    for _ in range(runs):
        done = subprocess.run(
            [str(PYTHON), "-c", BUILD], capture_output=True, text=True, env=clean_env(), cwd=REPO, check=True
        )
        builds.append(float(done.stdout.strip()) * 1000)
    print(f"\ncreate_server(Settings()) after the imports: {statistics.median(builds):.1f} ms")


if __name__ == "__main__":
    main()
