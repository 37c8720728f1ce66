"""The "floor": the least an MCP server can do for the same two tools, to compare the project against.

A bare `MCPServer` with one shared `httpx.AsyncClient`: `chat_completion` posts to the upstream and
returns its JSON text; `search_models` fetches the catalog once and filters it with a naive linear
scan on every call. No validation beyond the SDK's, no retries, no rate limiting, no caching layer.

Run by bench/run.py as `.venv/bin/python bench/floor_server.py`, with the same environment as the
project (OPENROUTER_API_KEY, OPENROUTER_BASE_URL), and BENCH_FLOOR_UVLOOP=1 to run it on uvloop.
"""

from __future__ import annotations

import json
import os
from typing import Any

import anyio
import httpx
from mcp.server.mcpserver import MCPServer

BASE_URL = os.environ.get("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1").rstrip("/") + "/"
API_KEY = os.environ.get("OPENROUTER_API_KEY", "")

mcp = MCPServer("floor", log_level="WARNING")
_client: httpx.AsyncClient | None = None
_catalog: list[dict[str, Any]] | None = None
_catalog_lock: anyio.Lock | None = None


def client() -> httpx.AsyncClient:
    global _client
    if _client is None:
        _client = httpx.AsyncClient(base_url=BASE_URL, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=60)
    return _client


async def catalog() -> list[dict[str, Any]]:
    global _catalog, _catalog_lock
    if _catalog is None:
        if _catalog_lock is None:
            _catalog_lock = anyio.Lock()
        async with _catalog_lock:
            if _catalog is None:
                response = await client().get("models")
                response.raise_for_status()
                _catalog = response.json()["data"]
    return _catalog


def _per_thousand(value: Any) -> float | None:
    try:
        price = float(value)
    except (TypeError, ValueError):
        return None
    return None if price < 0 else price * 1000


def naive_search(models: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    """A linear filter over the raw catalog entries, recomputing everything on every call."""
    query = (args.get("query") or "").lower() or None
    provider = (args.get("provider") or "").lower() or None
    caps = args.get("capabilities") or {}
    limit = args.get("limit") or 10
    matches: list[dict[str, Any]] = []
    count = 0
    for model in models:
        text = f"{model.get('id', '')}\n{model.get('name') or ''}\n{model.get('description') or ''}".lower()
        if query and query not in text:
            continue
        if provider and model.get("id", "").split("/", 1)[0].lower() != provider:
            continue
        context = model.get("context_length")
        if args.get("minContextLength") is not None and (context is None or context < args["minContextLength"]):
            continue
        if args.get("maxContextLength") is not None and (context is None or context > args["maxContextLength"]):
            continue
        pricing = model.get("pricing") or {}
        prompt = _per_thousand(pricing.get("prompt"))
        completion = _per_thousand(pricing.get("completion"))
        if args.get("maxPromptPrice") is not None and (prompt is None or prompt > args["maxPromptPrice"]):
            continue
        if args.get("maxCompletionPrice") is not None and (
            completion is None or completion > args["maxCompletionPrice"]
        ):
            continue
        params = model.get("supported_parameters") or []
        inputs = (model.get("architecture") or {}).get("input_modalities") or []
        have = {
            "functions": "tools" in params,
            "tools": "tools" in params,
            "vision": "image" in inputs,
            "json_mode": "response_format" in params or "structured_outputs" in params,
        }
        if any(on and not have.get(name) for name, on in caps.items()):
            continue
        count += 1
        if len(matches) < limit:
            matches.append(
                {
                    "id": model.get("id"),
                    "name": model.get("name"),
                    "description": model.get("description"),
                    "context_length": context,
                    "pricing": {"prompt": prompt, "completion": completion},
                    "capabilities": have,
                }
            )
    return {"object": "list", "data": matches, "metadata": {"total_models": len(models), "filtered_count": count}}


@mcp.tool()
async def chat_completion(messages: list[dict[str, Any]], model: str = "x") -> str:
    """Send a conversation to a model and return the upstream's JSON answer."""
    response = await client().post("chat/completions", json={"model": model, "messages": messages})
    response.raise_for_status()
    return response.text


@mcp.tool()
async def search_models(
    query: str | None = None,
    provider: str | None = None,
    minContextLength: int | None = None,
    maxContextLength: int | None = None,
    maxPromptPrice: float | None = None,
    maxCompletionPrice: float | None = None,
    capabilities: dict[str, bool] | None = None,
    limit: int = 10,
) -> str:
    """Search the model catalog (fetched once) with a naive linear filter."""
    args = {
        "query": query,
        "provider": provider,
        "minContextLength": minContextLength,
        "maxContextLength": maxContextLength,
        "maxPromptPrice": maxPromptPrice,
        "maxCompletionPrice": maxCompletionPrice,
        "capabilities": capabilities,
        "limit": limit,
    }
    return json.dumps(naive_search(await catalog(), args), indent=2)


if __name__ == "__main__":
    # BENCH_FLOOR_UVLOOP=1: the same floor on uvloop, through anyio's backend option (what `mcp.run()` does
    # otherwise is `anyio.run(mcp.run_stdio_async)` on stock asyncio).
    if os.environ.get("BENCH_FLOOR_UVLOOP") == "1":
        anyio.run(mcp.run_stdio_async, backend_options={"use_uvloop": True})
    else:
        mcp.run()
