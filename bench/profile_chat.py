"""Profile the stdio server under a chat workload with pyinstrument (a dev dependency).

Run from the repository root:  uv run python bench/profile_chat.py  [--calls N] [--burst N] [--loop asyncio|uvloop]

Starts the loopback upstream, then the project's server in a child process exactly as the console
script runs it (settings, create_server, the chosen event loop, the stdio transport), but inside a pyinstrument
sampling profiler that stops when stdin closes. The parent drives it over stdio like the benchmark
does: `--calls` sequential chat_completion calls, then a burst of `--burst` concurrent ones. The
profile (the server's frames only, the benchmark's client is in another process) goes to stdout, as a
call tree and as the top functions by self time;
`--html FILE` writes pyinstrument's HTML view as well.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

from harness import REPO, Session, Target, server_env
from upstream import UpstreamControl
from workloads import CHAT_ARGS

_CHILD = r"""
import sys
from pyinstrument import Profiler
from pyinstrument.renderers import ConsoleRenderer
from openrouterai_mcp.lifecycle import run
from openrouterai_mcp.logs import configure
from openrouterai_mcp.server import create_server
from openrouterai_mcp.settings import load_settings
from openrouterai_mcp.stdio import serve_stdio

settings = load_settings()
configure(settings.log_level, None)
server = create_server(settings)
profiler = Profiler(interval=0.0002, async_mode="disabled")
profiler.start()
run(lambda: serve_stdio(server), use_uvloop=settings.uvloop)
profiler.stop()
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write(profiler.output_text(unicode=True, color=False, show_all=False))
    flat = profiler.output(ConsoleRenderer(unicode=True, flat=True, flat_time="self"))
    lines = [line for line in flat.splitlines() if line[:1].isdigit()]
    out.write("\nTop 40 functions by self time (seconds):\n" + "\n".join(lines[:40]) + "\n")
    ours = [line for line in lines if any(name in line for name in ("openrouterai_mcp/", "tenacity/", "pydantic"))]
    out.write("\nOur code, tenacity and pydantic, by self time (seconds):\n" + "\n".join(ours[:40]) + "\n")
if len(sys.argv) > 2:
    with open(sys.argv[2], "w", encoding="utf-8") as out:
        out.write(profiler.output_html())
"""


async def drive(options: argparse.Namespace) -> str:
    upstream = await UpstreamControl.start()
    workdir = tempfile.mkdtemp(prefix="openrouterai-mcp-profile-")
    report = Path(workdir) / "profile.txt"
    argv = [str(REPO / ".venv" / "bin" / "python"), "-c", _CHILD, str(report)]
    if options.html:
        argv.append(options.html)
    env = {"OPENROUTER_UVLOOP": "on" if options.loop == "uvloop" else "off"}
    session = Session(Target("ours", argv, env), server_env(upstream.base_url), workdir)
    try:
        await session.spawn()
        await session.initialize()
        for _ in range(options.calls):
            await session.call_tool("chat_completion", CHAT_ARGS)
        if options.burst:
            await upstream.set_delay(0.2)
            await asyncio.gather(*(session.call_tool("chat_completion", CHAT_ARGS) for _ in range(options.burst)))
        # Rendering the profile takes a while after stdin closes: wait for it rather than for a prompt exit.
        assert session.proc is not None and session.proc.stdin is not None
        session.proc.stdin.close()
        await asyncio.wait_for(session.proc.wait(), 300)
    finally:
        await session.kill()
        await upstream.stop()
    for line in session.target.stderr_sample:
        print(line, file=sys.stderr)
    return report.read_text(encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=500, help="sequential chat calls (default 500)")
    parser.add_argument("--burst", type=int, default=64, help="concurrent chat calls afterwards (default 64)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    options = parser.parse_args()
    if options.html:
        options.html = os.path.abspath(options.html)
    print(asyncio.run(drive(options)))


if __name__ == "__main__":
    main()
