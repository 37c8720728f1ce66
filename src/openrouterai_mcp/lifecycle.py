"""The process's life: which event loop runs the server, and a prompt, quiet exit.

The server runs on uvloop where it is installed (Linux, macOS), unless OPENROUTER_UVLOOP=off; it
behaves the same on either loop (see docs/performance.md for what uvloop changes).

Exit: prompt and quiet, on stdin EOF as on SIGTERM/SIGINT. After the server loop has ended (stdin
closed, lifespan exited, HTTP client closed) nothing is left to do, yet interpreter teardown takes
about 200 ms. Clients wait for that on every restart, so the process flushes its streams and leaves
at once. A signal does the same: the kernel closes every socket, so in-flight upstream requests end
with the process, and no traceback is printed.

Garbage collection: everything made while starting (imported modules, schemas, the server) lives as long
as the process, yet the cyclic GC walked it again and again: during the imports (about 8% of the time to
`initialize`) and then in every full collection (one chat call in ~100 paused 35-50 ms). So the console
script starts with the collector off (`starting_up`) and `collecting` freezes what start-up made
(`gc.freeze`: never walked again) and turns it back on, before serving: collections then walk only what
calls made. Start-up leaves about 2,000 cyclic objects (well under 1 MB) that a collection would have freed.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from types import FrameType
from typing import Any

import anyio


def starting_up() -> None:
    """The cyclic GC off while the server's modules are imported and it is built (see `collecting`)."""
    gc.disable()


def collecting() -> None:
    """Freeze what start-up made out of the cyclic GC, and collect from now on."""
    gc.freeze()
    gc.enable()


def exit_now(status: int) -> None:
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    logging.getLogger("openrouterai_mcp").info("received %s, exiting", signal.Signals(signum).name)
    exit_now(0)


def exit_on_signals() -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _on_signal)


def loop_options(use_uvloop: bool) -> dict[str, Any]:
    """anyio's asyncio backend options: uvloop when asked for and installed, else the stock loop.

    uvloop is imported only here (never on Windows, where no wheel exists and the dependency's platform
    marker leaves it out); when it is missing the server runs on asyncio without a word.
    """
    if not use_uvloop or sys.platform == "win32":
        return {}
    try:
        import uvloop  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError:
        return {}
    return {"use_uvloop": True}


def loop_name() -> str:
    """`uvloop` or `asyncio`: the event loop this coroutine actually runs on."""
    import asyncio

    return "uvloop" if type(asyncio.get_running_loop()).__module__.startswith("uvloop") else "asyncio"


def run(main: Callable[[], Awaitable[None]], *, use_uvloop: bool) -> None:
    """Run the server's main coroutine on the chosen event loop (stdio and HTTP alike)."""

    async def logged() -> None:
        logging.getLogger("openrouterai_mcp").debug("event loop: %s", loop_name())
        await main()

    collecting()
    anyio.run(logged, backend="asyncio", backend_options=loop_options(use_uvloop))
