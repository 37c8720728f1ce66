"""The compare_models tool: the fan-out is `compare.py`; here only progress and the envelope."""

from __future__ import annotations

import functools
from typing import Any, cast

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..compare import CompareArgs, compare
from ..progress import AnsweredProgress, while_reporting
from .base import AppState, caller_of, memory_of, progress_token, run_tool


async def _compare(ctx: Context[AppState], state: AppState, args: CompareArgs) -> Any:
    state.chat.require_key()
    caller = caller_of(ctx)
    # A comparison made once a budget is reached is refused as a whole, with the budget's own words.
    await memory_of(state).accountant.check(caller)
    # Files and data: URIs are read and checked once, not once per model (the copies share them).
    args = await state.chat.prepare(args)
    conversation_id = args.conversation_id
    if conversation_id is not None:
        # Every model gets the stored thread first; a comparison is not appended to it (which answer would be?).
        args = cast(CompareArgs, (await memory_of(state).threads.prepare(caller, args)).args)
    complete = functools.partial(state.chat.complete, caller=caller, conversation_id=conversation_id)
    if progress_token(ctx) is None:
        return await compare(args, complete)

    async def send(progress: float, message: str) -> None:
        await ctx.report_progress(progress, None, message)

    reporter = AnsweredProgress(send, total=len(args.models), interval=state.settings.progress_interval)
    return await while_reporting(reporter.run, lambda: compare(args, complete, on_answer=reporter.answered))


async def compare_models(ctx: Context[AppState]) -> CallToolResult:
    """Ask 2 to 8 models the same conversation at once; the answers come back side by side with cost and latency.

    Use it for a second opinion, to pick the best of several answers, or to check a claim against other models.
    Takes chat_completion's arguments, with `models` instead of `model`."""
    return await run_tool(ctx, "compare_models", CompareArgs, lambda state, args: _compare(ctx, state, args))
