"""What every tool shares: the per-run state, argument parsing, and the guarded run.

The tools: validate the raw arguments, call the catalog or the chat service, wrap the answer.

Arguments are validated here against the same pydantic models whose JSON Schema `tools/list`
shows, so a schema violation reads `Error: Validation Error - <field>: <problem>` rather than the
SDK's generic wording, and nothing invalid ever reaches the upstream.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel, ValidationError

from ..accounting import Accountant
from ..catalog import Catalog
from ..chat import ChatService
from ..client import UpstreamClient
from ..envelope import describe_validation_error, guarded
from ..errors import ServerError, ValidationFailure
from ..identity import LOCAL_CALLER, Caller
from ..jsonshape import as_dict
from ..resultcap import fit
from ..settings import Settings
from ..store.handle import StoreHandle
from ..threads import Threads
from .outputs import DEFAULT_OUTPUT_SCHEMA

ArgsT = TypeVar("ArgsT", bound=BaseModel)

# Fields that are objects or arrays: some clients send them as JSON text, which is accepted.
_STRUCTURED_FIELDS = frozenset(
    {
        "messages",
        "provider",
        "response_format",
        "reasoning",
        "models",
        "capabilities",
        "attachments",
        "modalities",
        "image_config",
        "supported_parameters",
    }
)


@dataclass
class Memory:
    """The store (opened on first use), the ledger/budgets around chat calls, and conversations."""

    handle: StoreHandle
    accountant: Accountant
    threads: Threads
    history: bool = field(default=True)


@dataclass
class AppState:
    """Everything a tool call needs, built once per server run by the lifespan."""

    settings: Settings
    client: UpstreamClient
    catalog: Catalog
    chat: ChatService
    config_error: str | None = None
    memory: Memory | None = None

    @property
    def secret(self) -> str | None:
        return self.settings.api_key.get_secret_value() if self.settings.api_key else None


def _raw_arguments(ctx: Context[AppState]) -> Any:
    params = ctx.request_context.params or {}
    return params.get("arguments") or {}


def progress_token(ctx: Context[AppState]) -> Any:
    meta: Mapping[str, Any] | None = ctx.request_context.meta
    if not meta:
        return None
    return meta.get("progress_token", meta.get("progressToken"))


def parse_arguments(model: type[ArgsT], raw: Any) -> ArgsT:
    if not isinstance(raw, dict):
        raise ValidationFailure("arguments: expected an object")
    arguments = dict(as_dict(raw))
    for name in _STRUCTURED_FIELDS & arguments.keys():
        value = arguments[name]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                arguments[name] = json.loads(value)
    try:
        return model.model_validate(arguments)
    except ValidationError as exc:
        raise describe_validation_error(exc, model) from None


async def run_tool(
    ctx: Context[AppState],
    tool: str,
    model: type[ArgsT],
    body: Callable[[AppState, ArgsT], Awaitable[Any]],
) -> CallToolResult:
    state = ctx.request_context.lifespan_context

    async def call() -> Any:
        if state.config_error is not None:
            raise ValidationFailure(f"invalid configuration: {state.config_error}")
        return fit(await body(state, parse_arguments(model, _raw_arguments(ctx))), state.settings.max_result_chars)

    return await guarded(call, tool=tool, secret=state.secret)


@dataclass(frozen=True)
class ToolSpec:
    """One registry entry. `output` is the tool's outputSchema; the default accepts any object."""

    function: Callable[[Context[AppState]], Awaitable[CallToolResult]]
    arguments: type[BaseModel]
    read_only: bool
    output: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_OUTPUT_SCHEMA))


def memory_of(state: AppState) -> Memory:
    if state.memory is None:
        raise ServerError("the store is not configured for this server")
    return state.memory


# The key under which the HTTP transport puts the authenticated `Caller` in the request's ASGI scope.
CALLER_SCOPE_KEY = "openrouterai_mcp.caller"


def caller_in_request(request: Any) -> Caller | None:
    """The `Caller` the HTTP transport put in this request's ASGI scope, if any."""
    scope: Any = getattr(request, "scope", None)
    if not isinstance(scope, dict):
        return None
    caller = cast("dict[str, Any]", scope).get(CALLER_SCOPE_KEY)
    return caller if isinstance(caller, Caller) else None


def caller_of(ctx: Context[AppState]) -> Caller:
    """The caller of this request: over HTTP the user of the bearer token, over stdio the local user."""
    return caller_in_request(ctx.request_context.request) or LOCAL_CALLER
