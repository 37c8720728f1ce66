"""The MCP server: lifespan (one HTTP client per run) and tool registration."""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, EmptyResult, SetLevelRequestParams, ToolAnnotations

from . import __version__, providers
from .accounting import Accountant, catalog_prices
from .catalog import Catalog
from .chat import FALLBACK_MODEL, ChatService
from .client import UpstreamClient
from .settings import Settings
from .store.handle import StoreHandle
from .threads import Threads
from .tools import TOOLS, AppState
from .tools.base import Memory
from .tools.published import committed_schemas, input_schema

SERVER_NAME = "openrouterai"


def chat_description(settings: Settings, base: str) -> str:
    """The chat tool's description: its docstring, the default model, and the operator's DESCRIPTION."""
    default_model = settings.default_model or (None if settings.api_format == "anthropic" else FALLBACK_MODEL)
    text = base
    if default_model:
        text += f"\n\nDefault model: {default_model}"
    if settings.description:
        text += f"\n\n{settings.description}"
    return text


def _tools(settings: Settings) -> list[Tool]:
    """The registry's tools. Every tool function has the same signature, `(ctx) -> CallToolResult`, so the SDK's
    metadata (a pydantic model of the signature, ~0.5 ms each to build) is built once and shared."""
    tools: list[Tool] = []
    schemas = committed_schemas()
    template: Tool | None = None
    for name, spec in TOOLS.items():
        doc = " ".join(line.strip() for line in (spec.function.__doc__ or "").split("\n") if line.strip())
        description = chat_description(settings, doc) if name == "chat_completion" else doc
        if template is None:
            template = Tool.from_function(spec.function, name=name)
        tool = template.model_copy(
            update={
                "fn": spec.function,
                "name": name,
                "description": description,
                "annotations": ToolAnnotations(read_only_hint=spec.read_only, open_world_hint=True),
                # The functions read their arguments from the request and validate them against this model,
                # so the published schema and the validation are one and the same.
                "parameters": input_schema(name, spec.arguments, schemas),
                # Published, not validated server-side: the envelope builds structuredContent from the same
                # payload as the text, and clients validate it against this schema.
                "fn_metadata": template.fn_metadata.model_copy(update={"output_schema": dict(spec.output)}),
            }
        )
        tools.append(tool)
    return tools


def build_state(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    config_error: str | None = None,
    clock: Callable[[], float] = time.time,
) -> AppState:
    client = UpstreamClient(settings, transport=transport)
    models_path = providers.models_path(settings)

    async def fetch_models() -> Any:
        payload, _headers = await client.request_json("GET", models_path)
        return payload

    catalog = Catalog(fetch_models, ttl=settings.catalog_ttl, models_url=client.url_for(models_path))
    handle = StoreHandle.for_settings(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        history_days=settings.history_days,
        clock=clock,
    )
    accountant = Accountant(settings, handle, catalog_prices(catalog), clock=clock)
    memory = Memory(handle, accountant, Threads(handle, history=settings.history, clock=clock), settings.history)
    return AppState(settings, client, catalog, ChatService(settings, client, accountant), config_error, memory)


def create_server(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    config_error: str | None = None,
    clock: Callable[[], float] = time.time,
) -> MCPServer[AppState]:
    """A ready-to-run server; `transport` lets tests route the upstream to a mock, `clock` sets the time."""

    @asynccontextmanager
    async def lifespan(_server: MCPServer[AppState]) -> AsyncGenerator[AppState]:
        state = build_state(settings, transport=transport, config_error=config_error, clock=clock)
        try:
            yield state
        finally:
            try:
                await state.client.aclose()
            finally:
                if state.memory is not None:
                    await state.memory.handle.aclose()

    server = MCPServer(
        SERVER_NAME,
        version=__version__,
        instructions="Chat with any model on OpenRouter (or a configured OpenAI/Anthropic-compatible API), "
        "and search its model catalog to pick the right model for each sub-task.",
        tools=_tools(settings),
        lifespan=lifespan,
        log_level=settings.log_level,
        subscriptions=False,
    )
    _serve_only_tools(server)
    return server


# Methods the SDK serves by default for features this server does not have. Left in, `initialize`
# would declare `prompts` and `resources` capabilities, and `prompts/get` would fail with code 0.
_UNSERVED_METHODS = (
    "prompts/list",
    "prompts/get",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
)


async def _refuse_unknown_tools(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """An unknown tool name is a JSON-RPC error -32602 (as the MCP spec shows), not an `isError` result."""
    if ctx.method == "tools/call" and ctx.params is not None:
        name = ctx.params.get("name")
        if isinstance(name, str) and name not in TOOLS:
            raise MCPError(code=INVALID_PARAMS, message=f"Unknown tool: {name}")
    return await call_next(ctx)


async def _set_logging_level(ctx: ServerRequestContext[Any, Any], params: SetLevelRequestParams) -> EmptyResult:
    # Accepted so clients may set it; the server sends no log notifications (its log goes to stderr).
    del ctx, params
    return EmptyResult()


def _serve_only_tools(server: MCPServer[AppState]) -> None:
    """Declare and answer exactly what the server has: tools and logging/setLevel (no prompts, no resources)."""
    lowlevel = server._lowlevel_server  # pyright: ignore[reportPrivateUsage]
    for method in _UNSERVED_METHODS:
        lowlevel._request_handlers.pop(method, None)  # pyright: ignore[reportPrivateUsage]
    lowlevel.add_request_handler("logging/setLevel", SetLevelRequestParams, _set_logging_level)
    server.middleware.append(_refuse_unknown_tools)
