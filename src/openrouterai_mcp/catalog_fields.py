"""What one catalog entry says, read from the real fields: prices per 1K tokens, capability flags,
modalities and the creation time. Unknown stays None, never invented; a negative price ("-1", router
models) is "variable".
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .jsonshape import as_list
from .schemas import CatalogModel

THOUSAND = Decimal(1000)
VARIABLE_PRICE = "variable"


def price_per_thousand(value: Any) -> Decimal | None:
    """USD per 1K tokens from a per-token price string; None when unknown or variable (negative)."""
    if value is None:
        return None
    try:
        per_token = Decimal(str(value))
    except InvalidOperation:
        return None
    if not per_token.is_finite() or per_token < 0:
        return None
    return per_token * THOUSAND


def format_price(value: Any) -> str | None:
    """`"$X/1K tokens"`, `"variable"` for router models, or None when the catalog gives no price."""
    if value is None:
        return None
    per_thousand = price_per_thousand(value)
    if per_thousand is None:
        return VARIABLE_PRICE if _is_negative(value) else None
    text = format(per_thousand.normalize(), "f")
    return f"${text}/1K tokens"


def _is_negative(value: Any) -> bool:
    try:
        return Decimal(str(value)) < 0
    except InvalidOperation:
        return False


def derive_capabilities(model: CatalogModel) -> dict[str, bool | None]:
    """Capability flags from the real catalog fields; None where the endpoint does not say."""
    params = model.supported_parameters
    inputs = modalities_of(model, "input_modalities")
    outputs = modalities_of(model, "output_modalities")
    tools = None if params is None else "tools" in params
    json_mode = None if params is None else ("response_format" in params or "structured_outputs" in params)
    return {
        "functions": tools,
        "tools": tools,
        "vision": None if inputs is None else "image" in inputs,
        "json_mode": json_mode,
        "audio_input": None if inputs is None else "audio" in inputs,
        "file_input": None if inputs is None else "file" in inputs,
        "video_input": None if inputs is None else "video" in inputs,
        "image_output": None if outputs is None else "image" in outputs,
        "reasoning": None if params is None else "reasoning" in params,
    }


def modalities_of(model: CatalogModel, key: str) -> list[str] | None:
    value = (model.architecture or {}).get(key)
    return [str(item) for item in as_list(value)] if isinstance(value, list) else None


def created_of(model: CatalogModel) -> int | None:
    if model.created is not None:
        return int(model.created)
    if model.created_at:
        try:
            return int(datetime.fromisoformat(model.created_at.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return None
    return None
