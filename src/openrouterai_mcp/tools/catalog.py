"""The catalog tools: search_models, get_model_info, validate_model."""

from __future__ import annotations

import time
from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..catalog import CatalogIndex, IndexedModel, applied_filters, model_info
from ..errors import ModelNotFound, ValidationFailure
from ..schemas import ModelArgs, SearchArgs
from ..suggest import similar_ids
from .base import AppState, run_tool


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

    To pick a model, sort "price" with the needs as filters, e.g. capabilities {vision: true} and minContextLength
    100000: the first result is the cheapest that fits. maxPromptPrice 0 finds free models; routers such as
    openrouter/auto have variable prices."""
    return await run_tool(ctx, "search_models", SearchArgs, _search)


def _find(index: CatalogIndex, model_id: str) -> IndexedModel:
    """The model, or `Model not found: <id>` with the ids the caller probably meant when some are close."""
    try:
        return index.find(model_id)
    except ModelNotFound as exc:
        hints = similar_ids(model_id, [row.id for row in index.rows])
        if not hints:
            raise
        raise ValidationFailure(f"{exc.message}; did you mean {' or '.join(hints)}?") from None


async def _info(state: AppState, args: ModelArgs) -> Any:
    return model_info(_find(await state.catalog.index(), args.model))


async def get_model_info(ctx: Context[AppState]) -> CallToolResult:
    """Everything the catalog knows about one model: context length, prices, capabilities, parameters."""
    return await run_tool(ctx, "get_model_info", ModelArgs, _info)


async def _validate(state: AppState, args: ModelArgs) -> Any:
    _find(await state.catalog.index(), args.model)
    return {"model": args.model, "valid": True}


async def validate_model(ctx: Context[AppState]) -> CallToolResult:
    """Check that a model id exists before using it; an unknown id answers `Model not found: <id>`."""
    return await run_tool(ctx, "validate_model", ModelArgs, _validate)
