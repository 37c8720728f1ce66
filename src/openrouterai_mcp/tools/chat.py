"""The chat tool: one call upstream, inside its conversation (continued or new) and the result cap."""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import Context
from mcp.types import CallToolResult

from ..identity import Caller
from ..jsonshape import as_dict, as_list
from ..progress import ProgressReporter, while_reporting
from ..resultcap import cut_text, json_length
from ..schemas import ChatArgs
from ..store import ConversationWrite
from ..threads import Prepared, Threads
from .base import AppState, caller_of, memory_of, progress_token, run_tool


async def _complete(
    ctx: Context[AppState], state: AppState, prepared: Prepared, caller: Caller, threads: Threads
) -> Any:
    def turns(result: dict[str, Any]) -> ConversationWrite | None:
        return threads.turns(caller, prepared, result)

    options: dict[str, Any] = {"caller": caller, "conversation_id": prepared.conversation_id, "turns": turns}
    token = progress_token(ctx)
    if token is None:
        return await state.chat.complete(prepared.args, **options)
    state.chat.require_key()

    async def send(progress: float, message: str) -> None:
        await ctx.report_progress(progress, None, message)

    reporter = ProgressReporter(send, interval=state.settings.progress_interval)
    return await while_reporting(reporter.run, lambda: state.chat.complete(prepared.args, reporter, **options))


def _cap_answer(result: dict[str, Any], prepared: Prepared, max_chars: int) -> dict[str, Any]:
    """Cut a long answer's content to the cap; the stored whole is read with get_conversation."""
    if json_length(result) <= max_chars:
        return result
    message = as_dict(next(iter(as_list(result.get("choices"))), None)).get("message")
    if not isinstance(message, dict) or not isinstance(as_dict(message).get("content"), str):
        return result
    conversation_id = result.get("conversation_id")
    index = Threads.answer_index(prepared)

    def rest(shown: int) -> str:
        if conversation_id is None:
            return "the answer was not stored, so the rest cannot be read; ask for a shorter answer"
        return (
            f'the whole answer is stored: call get_conversation with conversation_id "{conversation_id}", '
            f"offset {index}, limit 1, char_offset {shown} to read on"
        )

    return cut_text(result, message, "content", max_chars, rest)


async def _chat(ctx: Context[AppState], state: AppState, args: ChatArgs) -> Any:
    memory = memory_of(state)
    caller = caller_of(ctx)
    state.chat.require_key()
    # Attachments and files are read first, so the stored turns hold them (as descriptors, never base64).
    args = await state.chat.prepare(args)
    prepared = await memory.threads.prepare(caller, args)
    # The ledger row and the conversation's new turns are written together, after the answer.
    result: dict[str, Any] = await _complete(ctx, state, prepared, caller, memory.threads)
    stored = bool(result.get("stored", False))
    result["stored"] = stored
    result["conversation_id"] = prepared.conversation_id if stored else args.conversation_id
    return _cap_answer(result, prepared, state.settings.max_result_chars)


async def chat_completion(ctx: Context[AppState]) -> CallToolResult:
    """Send a conversation to any OpenRouter model and return its answer (with cost and the model that answered).

    Use it to ask another model: a cheaper or faster one for simple sub-tasks, a stronger one for hard
    ones, a vision or long-context one when needed. Model ids look like `anthropic/claude-3.5-sonnet`;
    find them with search_models. To show the model images, PDFs, audio or video, list local paths
    (inside OPENROUTER_FILE_ROOTS), URLs or data: URIs in `attachments`; image models answer with
    images when `modalities` is ["image", "text"]. Every result has a conversation_id: pass it back to
    continue that conversation (with any model) without resending its messages."""
    return await run_tool(ctx, "chat_completion", ChatArgs, lambda state, args: _chat(ctx, state, args))
