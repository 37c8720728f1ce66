"""The team server: MCP over Streamable HTTP at `/mcp` (SPEC §10). Imported only for `--transport http`.

Layers, outermost first:
- `BearerAuth` (ASGI): every `/mcp` request needs `Authorization: Bearer <token>` from the tokens file,
  else 401 with `WWW-Authenticate: Bearer`. The caller it finds travels in the request's ASGI scope to
  `tools.base.caller_of`. Without a tokens file the server is loopback-only and single-user: the SDK's
  Host/Origin check (421/403) stops DNS rebinding, and the caller is the local user.
- The request-body cap (413), then the SDK's Streamable HTTP session manager, stateless (any replica
  answers any request), answering in SSE when the call carries a progress token (`response_mode.py`).
- `CallLimits` (MCP middleware): the per-user concurrent-call cap, and cancellation across POSTs.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import signal
import socket
import sys
from collections.abc import Generator

import uvicorn
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__
from .call_limits import CallLimits
from .identity import LOCAL_CALLER
from .lifecycle import collecting, exit_now, exit_on_signals, loop_options
from .response_mode import PerRequestSessionManager, response_mode
from .server import create_server
from .settings import Settings
from .tokens import TOKENS_VARIABLE, TokensFileError, TokenTable, load_tokens
from .tools.base import CALLER_SCOPE_KEY

logger = logging.getLogger("openrouterai_mcp")

MCP_PATH = "/mcp"
HEALTH_PATH = "/healthz"
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


class StartupError(Exception):
    """The team server cannot start as configured; the message says why."""


def is_loopback(host: str) -> bool:
    name = host.strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _unauthorized(reason: str, error: str | None = None) -> Response:
    # RFC 6750 §3.1: a request without bearer credentials gets the bare challenge, a wrong token an error code.
    challenge = f'Bearer realm="openrouterai-mcp", error="{error}"' if error else 'Bearer realm="openrouterai-mcp"'
    return JSONResponse(
        {"error": error or "unauthorized", "error_description": reason},
        status_code=401,
        headers={"WWW-Authenticate": challenge},
    )


class BearerAuth:
    """Authenticates each MCP request and records its caller in the ASGI scope (never in a global)."""

    def __init__(self, app: ASGIApp, tokens: TokenTable | None) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path == MCP_PATH or path.startswith(MCP_PATH + "/")):
            await self.app(scope, receive, send)  # /healthz, and 404 for anything else
            return
        if self.tokens is None:
            scope[CALLER_SCOPE_KEY] = LOCAL_CALLER
            await self.app(scope, receive, send)
            return
        header = Request(scope).headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            reason = "this server needs an Authorization: Bearer <token> header"
            response = _unauthorized(reason)
        else:
            caller = self.tokens.caller_for(token.strip())
            if caller is not None:
                scope[CALLER_SCOPE_KEY] = caller
                await self.app(scope, receive, send)
                return
            reason = "the bearer token is not valid"
            response = _unauthorized(reason, "invalid_token")
        client = scope.get("client")
        # Never the header itself: a wrong token may be a right one for another server.
        logger.warning("refused a request from %s: %s", client[0] if client else "?", reason)
        await response(scope, receive, send)


def _security(tokens: TokenTable | None, host: str) -> TransportSecuritySettings:
    if tokens is not None:
        # Behind a reverse proxy the Host is whatever name the team uses; the bearer token, which a
        # rebinding web page cannot know, is the protection.
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    # The loopback names, and the address the server is bound to (which may be another 127.x.y.z).
    bound = f"[{host.strip('[]')}]" if ":" in host else host
    names = dict.fromkeys((*_LOOPBACK_NAMES, bound))
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*names, *(f"{name}:*" for name in names)],
        allowed_origins=[
            f"{scheme}://{name}{port}" for scheme in ("http", "https") for name in names for port in ("", ":*")
        ],
    )


def load_users(settings: Settings) -> TokenTable | None:
    """The tokens file's users, or None; refuses a non-loopback host without one."""
    tokens: TokenTable | None = None
    if settings.mcp_tokens_file:
        try:
            tokens = load_tokens(settings.mcp_tokens_file)
        except TokensFileError as exc:
            raise StartupError(str(exc)) from None
    elif not is_loopback(settings.mcp_host):
        raise StartupError(
            f"refusing to listen on {settings.mcp_host}: without {TOKENS_VARIABLE} anyone who can reach the "
            f"server could use it. Set {TOKENS_VARIABLE} (see docs/team-server.md) or listen on 127.0.0.1"
        )
    return tokens


def create_app(settings: Settings, tokens: TokenTable | None, *, config_error: str | None = None) -> ASGIApp:
    """The whole team server as one ASGI app."""
    server = create_server(settings, config_error=config_error)
    server.middleware.append(CallLimits(settings.mcp_max_concurrent_per_user))
    manager = PerRequestSessionManager(
        app=server._lowlevel_server,  # pyright: ignore[reportPrivateUsage]
        stateless=True,
        security_settings=_security(tokens, settings.mcp_host),
        max_request_body_size=(limit := int(settings.mcp_max_body_mb * 1024 * 1024)),
    )

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    app = Starlette(
        routes=[
            Route(MCP_PATH, endpoint=response_mode(StreamableHTTPASGIApp(manager), limit)),
            Route(HEALTH_PATH, endpoint=healthz, methods=["GET"]),
        ],
        lifespan=lambda _app: manager.run(),
    )
    return BearerAuth(app, tokens)


class _Uvicorn(uvicorn.Server):
    """uvicorn, minus re-raising SIGTERM after its graceful stop (which would make the exit status -15)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None]:
        previous = {signum: signal.signal(signum, self.handle_exit) for signum in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def serve(settings: Settings, *, config_error: str | None = None) -> None:
    """Run the team server until SIGTERM/SIGINT; in-flight calls get the grace period; exit 0."""
    try:
        tokens = load_users(settings)
        sock = _bind(settings.mcp_host, settings.mcp_port)
    except StartupError as exc:
        sys.stderr.write(f"openrouterai-mcp: {exc}\n")
        exit_now(2)
        return
    # sse-starlette otherwise ends every open SSE response on SIGTERM, killing in-flight calls; uvicorn's
    # graceful shutdown (bounded by the grace period) is what should end them.
    from sse_starlette.sse import AppStatus

    AppStatus.disable_automatic_graceful_drain()
    app = create_app(settings, tokens, config_error=config_error)
    config = uvicorn.Config(
        app,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=math.ceil(settings.mcp_shutdown_grace),
        lifespan="on",
        # OPENROUTER_UVLOOP, as over stdio: uvloop where installed unless turned off.
        loop="uvloop" if loop_options(settings.uvloop) else "asyncio",
        access_log=False,
        server_header=False,
    )
    # Until uvicorn takes SIGTERM over (nothing is in flight yet), and after it hands it back: exit 0 at once.
    exit_on_signals()
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    users = f"{len(tokens.users)} users" if tokens else "loopback only, no tokens file"
    sys.stderr.write(f"openrouterai-mcp {__version__} serving MCP at http://{shown}:{port}{MCP_PATH} ({users})\n")
    sys.stderr.flush()
    server = _Uvicorn(config)
    collecting()
    server.run(sockets=[sock])
    exit_now(0 if server.started else 1)
