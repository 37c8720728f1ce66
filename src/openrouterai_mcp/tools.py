"""The tools: validate the raw arguments, call the catalog or the chat service, wrap the answer.

Arguments are validated here against the same pydantic models whose JSON Schema `tools/list`
shows, so a schema violation reads `Error: Validation Error - <field>: <problem>` rather than the
SDK's generic wording, and nothing invalid ever reaches the upstream.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult
from pydantic import BaseModel

from .catalog import Catalog, applied_filters, model_info
from .chat import ChatService
from .client import UpstreamClient
from .envelope import guarded
from .errors import ServerError, UpstreamProtocolError, ValidationFailure
from .jsonshape import as_dict
from .progress import ProgressReporter
from .schemas import ChatArgs, ModelArgs, NoArgs, SearchArgs
from .settings import Settings

ArgsT = TypeVar("ArgsT", bound=BaseModel)

# Fields that are objects or arrays: some clients send them as JSON text, which is accepted.
_STRUCTURED_FIELDS = frozenset({"messages", "provider", "response_format", "reasoning", "models", "capabilities"})


@dataclass
class AppState:
    """Everything a tool call needs, built once per server run by the lifespan."""

    settings: Settings
    client: UpstreamClient
    catalog: Catalog
    chat: ChatService
    config_error: str | None = None

    @property
    def secret(self) -> str | None:
        return self.settings.api_key.get_secret_value() if self.settings.api_key else None


def _raw_arguments(ctx: Context[AppState]) -> Any:
    params = ctx.request_context.params or {}
    return params.get("arguments") or {}


def _progress_token(ctx: Context[AppState]) -> Any:
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
    return model.model_validate(arguments)


async def _run(
    ctx: Context[AppState],
    tool: str,
    model: type[ArgsT],
    body: Callable[[AppState, ArgsT], Awaitable[Any]],
) -> CallToolResult:
    state = ctx.request_context.lifespan_context

    async def call() -> Any:
        if state.config_error is not None:
            raise ValidationFailure(f"invalid configuration: {state.config_error}")
        return await body(state, parse_arguments(model, _raw_arguments(ctx)))

    return await guarded(call, tool=tool, secret=state.secret)


async def _chat(ctx: Context[AppState], state: AppState, args: ChatArgs) -> Any:
    token = _progress_token(ctx)
    if token is None:
        return await state.chat.complete(args)
    state.chat.require_key()

    async def send(progress: float, message: str) -> None:
        await ctx.report_progress(progress, None, message)

    reporter = ProgressReporter(send, interval=state.settings.progress_interval)
    outcome: dict[str, Any] | ServerError | None = None
    async with anyio.create_task_group() as group:
        group.start_soon(reporter.run)
        try:
            outcome = await state.chat.complete(args, reporter)
        except ServerError as exc:
            outcome = exc
        finally:
            group.cancel_scope.cancel()
    if isinstance(outcome, ServerError):
        raise outcome
    return outcome


async def chat_completion(ctx: Context[AppState]) -> CallToolResult:
    """Send a conversation to any OpenRouter model and return its answer (with cost and the model that answered).

    Use it to ask another model: a cheaper or faster one for simple sub-tasks, a stronger one for hard
    ones, a vision or long-context one when needed. Model ids look like `anthropic/claude-3.5-sonnet`;
    find them with search_models."""
    return await _run(ctx, "chat_completion", ChatArgs, lambda state, args: _chat(ctx, state, args))


async def _search(state: AppState, args: SearchArgs) -> Any:
    index = await state.catalog.index()
    matches, count = index.search(args)
    now = time.time()
    return {
        "id": f"search-{int(now * 1000)}",
        "object": "list",
        "created": int(now),
        "data": matches,
        "metadata": {
            "total_models": len(index.rows),
            "filtered_count": count,
            "applied_filters": applied_filters(args),
        },
    }


async def search_models(ctx: Context[AppState]) -> CallToolResult:
    """Search the model catalog by text, provider, context length, price (USD per 1K tokens) and capabilities.

    Use it to pick a model: e.g. capabilities {vision: true} with minContextLength 100000, or
    maxPromptPrice 0 for free models. Router models such as openrouter/auto have variable prices."""
    return await _run(ctx, "search_models", SearchArgs, _search)


async def _info(state: AppState, args: ModelArgs) -> Any:
    return model_info((await state.catalog.index()).find(args.model))


async def get_model_info(ctx: Context[AppState]) -> CallToolResult:
    """Everything the catalog knows about one model: context length, prices, capabilities, parameters."""
    return await _run(ctx, "get_model_info", ModelArgs, _info)


async def _validate(state: AppState, args: ModelArgs) -> Any:
    (await state.catalog.index()).find(args.model)
    return {"model": args.model, "valid": True}


async def validate_model(ctx: Context[AppState]) -> CallToolResult:
    """Check that a model id exists before using it; an unknown id answers `Model not found: <id>`."""
    return await _run(ctx, "validate_model", ModelArgs, _validate)


async def _key_info(state: AppState, _: NoArgs) -> Any:
    if not state.settings.is_openrouter:
        raise ValidationFailure("get_key_info works with OpenRouter only; API_ENDPOINT points at another API")
    state.chat.require_key()
    payload, _headers = await state.client.request_json("GET", "key")
    body = as_dict(payload)
    info = as_dict(body.get("data", body))
    if not info:
        raise UpstreamProtocolError("the key endpoint answered without a data object")
    known = {
        "label": info.get("label"),
        "limit": info.get("limit"),
        "limit_remaining": info.get("limit_remaining"),
        "limit_reset": info.get("limit_reset"),
        "is_free_tier": info.get("is_free_tier"),
        "usage": {
            "total": info.get("usage"),
            "daily": info.get("usage_daily"),
            "weekly": info.get("usage_weekly"),
            "monthly": info.get("usage_monthly"),
        },
    }
    consumed = {"label", "limit", "limit_remaining", "limit_reset", "is_free_tier", "usage"}
    consumed |= {"usage_daily", "usage_weekly", "usage_monthly"}
    return known | {key: value for key, value in info.items() if key not in consumed}


async def get_key_info(ctx: Context[AppState]) -> CallToolResult:
    """Credit left on the OpenRouter API key: limit, remaining, usage (total/daily/weekly/monthly), free tier."""
    return await _run(ctx, "get_key_info", NoArgs, _key_info)


@dataclass(frozen=True)
class ToolSpec:
    function: Callable[[Context[AppState]], Awaitable[CallToolResult]]
    arguments: type[BaseModel]
    read_only: bool


TOOLS: dict[str, ToolSpec] = {
    "chat_completion": ToolSpec(chat_completion, ChatArgs, read_only=False),
    "search_models": ToolSpec(search_models, SearchArgs, read_only=True),
    "get_model_info": ToolSpec(get_model_info, ModelArgs, read_only=True),
    "validate_model": ToolSpec(validate_model, ModelArgs, read_only=True),
    "get_key_info": ToolSpec(get_key_info, NoArgs, read_only=True),
}
