"""The tool registry: name -> function, argument model, read-only hint. One module per tool family."""

from __future__ import annotations

from ..compare import CompareArgs
from ..schemas import ChatArgs, ModelArgs, NoArgs, SearchArgs
from .base import AppState, ToolSpec
from .catalog import get_model_info, search_models, validate_model
from .chat import chat_completion
from .compare import compare_models
from .key import get_key_info

__all__ = ["TOOLS", "AppState", "ToolSpec"]

TOOLS: dict[str, ToolSpec] = {
    "chat_completion": ToolSpec(chat_completion, ChatArgs, read_only=False),
    "search_models": ToolSpec(search_models, SearchArgs, read_only=True),
    "get_model_info": ToolSpec(get_model_info, ModelArgs, read_only=True),
    "validate_model": ToolSpec(validate_model, ModelArgs, read_only=True),
    "get_key_info": ToolSpec(get_key_info, NoArgs, read_only=True),
    "compare_models": ToolSpec(compare_models, CompareArgs, read_only=False),
}
