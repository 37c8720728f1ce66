"""The command line: `openrouterai-mcp` serves MCP over stdio, or over HTTP with `--transport http` (the team
server); `--help`, `--version` and `check` do not serve.

`--help` lists every environment variable, grouped, one line each, generated from `Settings` (its field
descriptions and `SETTING_GROUPS`), so the list cannot drift from the code. Options and subcommands are
declared in `build_parser()`; with no argument at all the parser is skipped (the common, start-up-critical
case of a client launching the server).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__

DESCRIPTION = """\
MCP server for OpenRouter.ai and any OpenAI- or Anthropic-compatible API: chat with any model,
search and compare the catalog. Without a command it serves MCP over stdio (what MCP clients launch)."""


def settings_help() -> str:
    """Every variable with its meaning and default, grouped; generated from the Settings fields."""
    from .settings import Settings, grouped_fields, variable_names

    lines = [
        "environment variables (also read from .env in the working directory; an empty value means unset;",
        "where two names are given, the first wins):",
    ]
    groups = grouped_fields()
    labels = {name: _label(variable_names(name)) for _title, names in groups for name in names}
    width = max(len(label) for label in labels.values())
    for title, names in groups:
        lines += ["", f"{title}:"]
        for name in names:
            field = Settings.model_fields[name]
            default = field.default
            shown_default = "" if default is None or name == "api_key" else f" [default: {_plain(default)}]"
            lines.append(f"  {labels[name]:<{width}}  {field.description or ''}{shown_default}")
    return "\n".join(lines)


def _label(variables: list[str]) -> str:
    return variables[0] + (f" (or {', '.join(variables[1:])})" if len(variables) > 1 else "")


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"  # the words the docs use, e.g. OPENROUTER_HISTORY=off
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openrouterai-mcp",
        description=DESCRIPTION,
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"openrouterai-mcp {__version__}")
    # Transport flags (team server, SPEC §10); each overrides its OPENROUTER_MCP_* variable.
    parser.add_argument("--transport", choices=["stdio", "http"], help="stdio (default) or http (the team server)")
    parser.add_argument("--host", help="HTTP listen address (default 127.0.0.1; other than loopback needs tokens)")
    parser.add_argument("--port", type=int, help="HTTP port (default 8000; 0 picks a free one)")
    commands = parser.add_subparsers(dest="command", title="commands")
    commands.add_parser(
        "check",
        help="show the effective configuration, probe the model list and the key, and say what works",
        description="Print the effective configuration (each value's source, the key masked), fetch the "
        "model list and the key info, and give a verdict. Exit status 0 when all is well, 1 otherwise.",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command: str | None = None
    overrides: dict[str, Any] = {}
    if arguments:
        parsed = build_parser().parse_args(arguments)
        command = parsed.command
        given = {"mcp_transport": parsed.transport, "mcp_host": parsed.host, "mcp_port": parsed.port}
        overrides = {name: value for name, value in given.items() if value is not None}
    if command == "check":
        from .check import run_check

        sys.exit(run_check(sys.stdout))
    serve(overrides)


def serve(overrides: dict[str, Any] | None = None) -> None:
    """Read the settings (flags in `overrides` win), serve MCP until stdin closes (stdio) or a signal arrives."""
    import logging

    from .lifecycle import exit_now, exit_on_signals, run, starting_up

    starting_up()
    from .logs import configure
    from .settings import ConfigError, Settings, load_settings, requested_transport
    from .stdio import serve_stdio

    overrides = overrides or {}
    config_error: str | None = None
    try:
        settings = load_settings(**overrides)
    except ConfigError as exc:
        if overrides.get("mcp_transport", requested_transport()) == "http":
            # A team server is started by an operator, who reads stderr: refuse rather than serve broken.
            sys.stderr.write(f"openrouterai-mcp: invalid configuration: {exc}\n")
            exit_now(2)
        # Over stdio start anyway, so the assistant can show the user what is wrong on the first call.
        config_error = str(exc)
        settings = Settings.model_construct(**overrides)
    configure(settings.log_level, settings.api_key.get_secret_value() if settings.api_key else None)
    if config_error:
        logging.getLogger("openrouterai_mcp").error("invalid configuration: %s", config_error)
    if settings.mcp_transport == "http":
        # Imported only here: the stdio start path never loads the HTTP stack.
        from .http_server import serve as serve_http

        serve_http(settings, config_error=config_error)
        return
    from .server import create_server

    server = create_server(settings, config_error=config_error)
    exit_on_signals()
    with contextlib.suppress(KeyboardInterrupt):
        run(lambda: serve_stdio(server), use_uvloop=settings.uvloop)
    exit_now(0)
