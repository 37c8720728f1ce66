"""Process exit: prompt and quiet, on stdin EOF as on SIGTERM/SIGINT.

After the server loop has ended (stdin closed, lifespan exited, HTTP client closed) nothing is left
to do, yet interpreter teardown takes about 200 ms. Clients wait for that on every restart, so the
process flushes its streams and leaves at once. A signal does the same: the kernel closes every
socket, so in-flight upstream requests end with the process, and no traceback is printed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from types import FrameType


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
