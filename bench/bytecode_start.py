"""Cold start with and without cached bytecode: time from spawn to the `initialize` answer.

    uv run python bench/bytecode_start.py [runs]

Variants: the installed console script with its bytecode present; with `PYTHONDONTWRITEBYTECODE=1` and
no cached bytecode for the project and its dependencies (what a read-only container without compiled
bytecode pays on every start); and the same environment after `uv`'s compile-bytecode step. The
bytecode is moved aside into a temporary directory and put back afterwards. Prints medians in ms.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("openrouterai-mcp")
SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
}


def start_once(env: dict[str, str]) -> float:
    started = time.perf_counter()
    with subprocess.Popen(
        [str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    ) as process:
        assert process.stdin and process.stdout
        process.stdin.write((json.dumps(INITIALIZE) + "\n").encode())
        process.stdin.flush()
        process.stdout.readline()
        elapsed = time.perf_counter() - started
        process.stdin.close()
        process.wait(10)
    return elapsed * 1000


def median(env: dict[str, str], runs: int) -> float:
    start_once(env)  # warm the OS file cache
    return statistics.median(start_once(env) for _ in range(runs))


def caches(root: Path) -> list[Path]:
    return [path for path in root.rglob("__pycache__") if path.is_dir()]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    source = Path(__file__).resolve().parents[1] / "src"
    roots = [SITE, source]
    cached = median(base, runs)
    no_write = base | {"PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory() as aside:
        moved: list[tuple[Path, Path]] = []
        for number, path in enumerate(path for root in roots for path in caches(root)):
            target = Path(aside) / str(number)
            shutil.move(str(path), target)
            moved.append((path, target))
        try:
            uncached = median(no_write, runs)
        finally:
            for original, target in moved:
                shutil.move(str(target), original)
    compiled = median(no_write, runs)
    print(f"bytecode cached (normal install):                     {cached:7.0f} ms")
    print(f"PYTHONDONTWRITEBYTECODE=1, no cached bytecode:          {uncached:7.0f} ms")
    print(f"PYTHONDONTWRITEBYTECODE=1, compiled at install (uv):    {compiled:7.0f} ms")


if __name__ == "__main__":
    main()
