"""Pydantic types: tool arguments (whose JSON Schema is what `tools/list` shows) and upstream payloads.

Argument models forbid unknown fields, except `provider`, which passes further OpenRouter routing
fields on. Upstream payload models keep unknown fields, because the API grows.

`chat` holds chat_completion's arguments, `tool_args` the other tools', `upstream` the parsed payloads,
`json_schema` the generator of the schemas tools/list shows. Import the names from this package.
"""

from __future__ import annotations

from .base import ConversationId, NonEmptyStr
from .chat import ChatArgs, Message, ProviderPreferences, Reasoning, ResponseFormat
from .json_schema import tool_input_schema
from .tool_args import (
    Capabilities,
    ConversationArgs,
    GetConversationArgs,
    ListConversationsArgs,
    ModelArgs,
    NoArgs,
    SearchArgs,
    UsageArgs,
)
from .upstream import CatalogModel

__all__ = [
    "Capabilities",
    "CatalogModel",
    "ChatArgs",
    "ConversationArgs",
    "ConversationId",
    "GetConversationArgs",
    "ListConversationsArgs",
    "Message",
    "ModelArgs",
    "NoArgs",
    "NonEmptyStr",
    "ProviderPreferences",
    "Reasoning",
    "ResponseFormat",
    "SearchArgs",
    "UsageArgs",
    "tool_input_schema",
]
