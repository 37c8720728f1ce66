"""Chat arguments for the chat unit tests: one user message, and the body built from it."""

from __future__ import annotations

from typing import Any

from unit_helpers import make_settings

from openrouterai_mcp.chat import build_body
from openrouterai_mcp.schemas import ChatArgs

USER = {"role": "user", "content": "Say ok"}


def args(**fields: Any) -> ChatArgs:
    return ChatArgs.model_validate({"messages": [USER]} | fields)


def body_for(chat_args: ChatArgs | None = None, **settings: Any) -> dict[str, Any]:
    body, _trim = build_body(chat_args or args(), make_settings(**settings))
    return body
