"""The one place where results and errors become `{isError, content: [{type: "text", text}]}`.

Success: `text` is the payload as JSON (indent 2), and `structuredContent` is that same payload
(the object, not a re-parse of the text); a chat result with generated images adds one MCP image
block per image after the text (the first block is always the JSON text).
Failure: `Error: <Category> - <message>`, the category from the error class (`errors.py`).
`guarded` is the only `except Exception` in the server: it logs the traceback to stderr and answers
`Error: Internal Error - …`, so no tool call can take the server down. Every text leaving here has
the API key blanked out, whatever produced it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.types import CallToolResult, ContentBlock, ImageContent, TextContent
from pydantic import BaseModel, ValidationError

from .errors import ServerError, ValidationFailure
from .images import ChatResult
from .jsonshape import as_dict
from .resultcap import json_text
from .suggest import argument_names, similar_name

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
# Shorter "keys" are test placeholders; blanking them would mangle ordinary words.
MIN_SECRET_LENGTH = 8
_MAX_LISTED_PROBLEMS = 5


def _redact(text: str, secret: str | None) -> str:
    if secret and len(secret) >= MIN_SECRET_LENGTH and secret in text:
        return text.replace(secret, REDACTED)
    return text


def success(payload: Any, *, secret: str | None = None) -> CallToolResult:
    """The payload as indented JSON text, and the same payload as `structuredContent` (when an object).

    Generated images (a `ChatResult`'s) follow the text as one image block each."""
    serialised = json_text(payload)
    text = _redact(serialised, secret)
    structured: dict[str, Any] | None = as_dict(payload) if isinstance(payload, dict) else None
    if structured is not None and text is not serialised:
        # Rare: the key was echoed somewhere in the payload. Keep both views identical and redacted.
        structured = json.loads(text)
    content: list[ContentBlock] = [TextContent(type="text", text=text)]
    if isinstance(payload, ChatResult) and payload.images:
        content += [ImageContent(type="image", data=image.data, mime_type=image.mime_type) for image in payload.images]
    return CallToolResult(content=content, structured_content=structured, is_error=False)


def failure(error: ServerError, *, secret: str | None = None) -> CallToolResult:
    text = _redact(f"Error: {error.category} - {error.message}", secret)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, str) and part.startswith("<") and part.endswith(">"):
            continue  # a union tag (schemas.py), not a place in the arguments
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "arguments"


def describe_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> ValidationFailure:
    """`<field>: <problem>` for each problem (the first few), without echoing the rejected values.

    Given the arguments' `model`, an unknown argument close to a real one adds `; did you mean <name>?`."""
    problems: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        if error["type"] == "extra_forbidden":
            problem = "unknown argument" + _did_you_mean(model, error["loc"])
        elif error["type"] == "missing":
            problem = "required"
        else:
            problem = error["msg"].removeprefix("Value error, ")
        problems.append(f"{_location(error['loc'])}: {problem}")
    shown = "; ".join(problems[:_MAX_LISTED_PROBLEMS])
    if len(problems) > _MAX_LISTED_PROBLEMS:
        shown += f" (and {len(problems) - _MAX_LISTED_PROBLEMS} more)"
    return ValidationFailure(shown)


def _did_you_mean(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> str:
    if model is None or not loc or not isinstance(loc[-1], str):
        return ""
    meant = similar_name(loc[-1], argument_names(model, loc[:-1]))
    return f"; did you mean {meant}?" if meant else ""


async def guarded(call: Callable[[], Awaitable[Any]], *, tool: str, secret: str | None) -> CallToolResult:
    """Run a tool body: its value becomes a success envelope, any failure an error envelope."""
    try:
        return success(await call(), secret=secret)
    except ServerError as exc:
        logger.info("%s failed: %s", tool, exc.message.replace(secret, REDACTED) if secret else exc.message)
        return failure(exc, secret=secret)
    except ValidationError as exc:
        return failure(describe_validation_error(exc), secret=secret)
    except Exception as exc:
        logger.exception("%s raised an unexpected exception", tool)
        return failure(ServerError(f"{type(exc).__name__} while running {tool}; see the server log"), secret=secret)
