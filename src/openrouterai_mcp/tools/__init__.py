"""The tool registry: name -> function, argument model, read-only hint, output schema.

One module per tool family. `output=` is optional: without it a tool declares `{"type": "object"}`.
"""

from __future__ import annotations

from ..compare import CompareArgs
from ..schemas import (
    ChatArgs,
    ConversationArgs,
    GetConversationArgs,
    ListConversationsArgs,
    ModelArgs,
    NoArgs,
    SearchArgs,
    UsageArgs,
)
from .base import AppState, ToolSpec
from .catalog import get_model_info, search_models, validate_model
from .chat import chat_completion
from .compare import compare_models
from .conversations import delete_conversation, get_conversation, list_conversations
from .key import get_key_info
from .memory_outputs import DELETE_CONVERSATION, GET_CONVERSATION, GET_USAGE, LIST_CONVERSATIONS
from .outputs import CHAT_COMPLETION, COMPARE_MODELS, KEY_INFO, MODEL_INFO, SEARCH_MODELS, VALIDATE_MODEL
from .usage import get_usage

__all__ = ["TOOLS", "AppState", "ToolSpec"]

TOOLS: dict[str, ToolSpec] = {
    "chat_completion": ToolSpec(chat_completion, ChatArgs, read_only=False, output=CHAT_COMPLETION),
    "search_models": ToolSpec(search_models, SearchArgs, read_only=True, output=SEARCH_MODELS),
    "get_model_info": ToolSpec(get_model_info, ModelArgs, read_only=True, output=MODEL_INFO),
    "validate_model": ToolSpec(validate_model, ModelArgs, read_only=True, output=VALIDATE_MODEL),
    "get_key_info": ToolSpec(get_key_info, NoArgs, read_only=True, output=KEY_INFO),
    "compare_models": ToolSpec(compare_models, CompareArgs, read_only=False, output=COMPARE_MODELS),
    "list_conversations": ToolSpec(
        list_conversations, ListConversationsArgs, read_only=True, output=LIST_CONVERSATIONS
    ),
    "get_conversation": ToolSpec(get_conversation, GetConversationArgs, read_only=True, output=GET_CONVERSATION),
    "delete_conversation": ToolSpec(delete_conversation, ConversationArgs, read_only=False, output=DELETE_CONVERSATION),
    "get_usage": ToolSpec(get_usage, UsageArgs, read_only=True, output=GET_USAGE),
}
