"""The chat tool."""

from __future__ import annotations

from typing import Any

import anyio
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..errors import ServerError
from ..progress import ProgressReporter
from ..schemas import ChatArgs
from .base import AppState, progress_token, run_tool


async def _chat(ctx: Context[AppState], state: AppState, args: ChatArgs) -> Any:
    token = progress_token(ctx)
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
    find them with search_models. To show the model images, PDFs, audio or video, list local paths
    (inside OPENROUTER_FILE_ROOTS), URLs or data: URIs in `attachments`; image models answer with
    images when `modalities` is ["image", "text"]."""
    return await run_tool(ctx, "chat_completion", ChatArgs, lambda state, args: _chat(ctx, state, args))
