"""bench/ scripts run with bench/ first on the import path, so no module there may shadow the standard library
(a `bench/http.py` once made the floor server's `import httpx` fail, and with it the whole benchmark)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_bench_has_modules() -> None:
    assert (BENCH / "run.py").is_file()
    assert (BENCH / "floor_server.py").is_file()


def test_no_bench_module_shadows_the_standard_library() -> None:
    shadowing = sorted(path.name for path in BENCH.glob("*.py") if path.stem in sys.stdlib_module_names)
    assert shadowing == []
