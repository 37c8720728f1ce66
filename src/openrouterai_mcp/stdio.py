"""Serving MCP over stdin/stdout with the event loop's own pipe I/O instead of worker threads.

The SDK's stdio transport reads each line, writes each message and flushes it through `anyio.wrap_file`,
that is, three hand-offs to a worker thread per request; on a busy server those hand-offs cost more
than the rest of a call. When stdin and stdout are pipes or sockets (as every MCP client starts a
server), the same transport (`mcp.server.stdio.stdio_server`, given explicit streams) is fed by
non-blocking pipe transports of the running loop (asyncio or uvloop) instead. Anything else (a
terminal, a file, Windows) is served by the SDK's transport unchanged.

What the SDK's transport guarantees is kept: the wire moves to private descriptors while serving, fd 0
reads the null device and fd 1 writes to stderr, so a stray `print` or a child process never reaches
the protocol stream; lines are decoded as UTF-8 with replacement; every message is on the wire before
the next is written (the write buffer is drained to empty), so nothing is lost when the process exits.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server

if TYPE_CHECKING:
    from anyio import AsyncFile

logger = logging.getLogger(__name__)
# A JSON-RPC line may be large (the SDK reads lines without a limit): this only sizes the read buffer.
_LINE_LIMIT = 1 << 30


class PipeLines:
    """`async for line in PipeLines(reader)`: stdin's lines as text, as `anyio.wrap_file` would yield them."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> PipeLines:
        return self

    async def __anext__(self) -> str:
        line = await self._reader.readline()
        if not line:
            raise StopAsyncIteration
        return line.decode("utf-8", errors="replace")


class PipeWriter:
    """`write` and `flush` as the SDK's transport calls them; `flush` waits until the pipe took everything."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, text: str) -> None:
        self._writer.write(text.encode("utf-8"))

    async def flush(self) -> None:
        await self._writer.drain()


def _is_pipe_or_socket(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def loop_pipes_usable() -> bool:
    return sys.platform != "win32" and _is_pipe_or_socket(0) and _is_pipe_or_socket(1)


def _divert_standard_fds() -> tuple[int, int]:
    """Move the wire to private descriptors; fd 0 then reads /dev/null and fd 1 writes to stderr."""
    import fcntl

    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return wire_in, wire_out


@asynccontextmanager
async def loop_pipes() -> AsyncGenerator[tuple[PipeLines, PipeWriter]]:
    loop = asyncio.get_running_loop()
    wire_in, wire_out = _divert_standard_fds()
    reader = asyncio.StreamReader(limit=_LINE_LIMIT)
    read_transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(wire_in, "rb", buffering=0)
    )
    write_transport, write_protocol = await loop.connect_write_pipe(
        lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), os.fdopen(wire_out, "wb", buffering=0)
    )
    # drain() returns only once the buffer is empty: each message is wholly on the wire before the next.
    write_transport.set_write_buffer_limits(high=0)
    writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
    try:
        yield PipeLines(reader), PipeWriter(writer)
    finally:
        read_transport.close()
        write_transport.close()


async def serve_stdio(server: MCPServer[Any]) -> None:
    """Serve `server` over stdio until stdin closes: on the loop's pipes when possible, else as the SDK does."""
    if not loop_pipes_usable():
        logger.debug("stdio transport: the SDK's (stdin or stdout is not a pipe or socket)")
        await server.run_stdio_async()
        return
    logger.debug("stdio transport: event-loop pipes")
    lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]  # what run_stdio_async runs
    async with loop_pipes() as (lines, out):
        # The SDK's transport only iterates stdin's lines and calls stdout's write and flush: duck-typed.
        stdin, stdout = cast("AsyncFile[str]", lines), cast("AsyncFile[str]", out)
        async with stdio_server(stdin=stdin, stdout=stdout) as (read, write):
            await lowlevel.run(read, write, lowlevel.create_initialization_options())
