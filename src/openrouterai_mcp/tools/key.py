"""The get_key_info tool."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..errors import UpstreamProtocolError, ValidationFailure
from ..jsonshape import as_dict
from ..schemas import NoArgs
from .base import AppState, run_tool


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
    return await run_tool(ctx, "get_key_info", NoArgs, _key_info)
