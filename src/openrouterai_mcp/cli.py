"""The command line: `openrouterai-mcp` serves MCP over stdio (flags and subcommands are added here)."""

from __future__ import annotations

import contextlib


def main() -> None:
    """Console entry point: read the settings, serve MCP over stdio until stdin closes or a signal arrives."""
    import logging

    from .lifecycle import exit_now, exit_on_signals
    from .logs import configure
    from .server import create_server
    from .settings import ConfigError, Settings, load_settings

    config_error: str | None = None
    try:
        settings = load_settings()
    except ConfigError as exc:
        # Start anyway, so the assistant can show the user what is wrong on the first call.
        config_error = str(exc)
        settings = Settings.model_construct()
    configure(settings.log_level, settings.api_key.get_secret_value() if settings.api_key else None)
    if config_error:
        logging.getLogger("openrouterai_mcp").error("invalid configuration: %s", config_error)
    server = create_server(settings, config_error=config_error)
    exit_on_signals()
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    exit_now(0)
