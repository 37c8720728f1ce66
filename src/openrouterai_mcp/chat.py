"""Chat completions: defaults, provider routing, trimming, the upstream call, and the normalised result.

Knows nothing of MCP. Progress is reported through a `ProgressSink` that only counts; whoever owns
the MCP request decides when to send notifications.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import anyio.to_thread

from .client import UpstreamClient
from .errors import ValidationFailure
from .identity import LOCAL_CALLER, Caller
from .images import ImageSaver, has_images
from .jsonshape import as_dict
from .parts import TextPart
from .providers import anthropic, openai
from .schemas import ChatArgs, Message
from .settings import Settings
from .sse import sse_events

FALLBACK_MODEL = "openrouter/auto"
ArgsT = TypeVar("ArgsT", bound=ChatArgs)
CHARS_PER_TOKEN = 4
# Trimming counts each non-text part (image, file, audio, video) as this many tokens, whatever its size;
# the length of a data: URI never counts as text.
NON_TEXT_PART_TOKENS = 1000


class CallLedger(Protocol):
    """Budgets and the ledger around each upstream call (see accounting.Accountant)."""

    async def admit(self, caller: Caller, body: dict[str, Any], conversation_id: str | None) -> Any: ...
    async def settle(
        self, ticket: Any, result: dict[str, Any] | None, error: BaseException | None, conversation: Any = None
    ) -> bool: ...


class ProgressSink(Protocol):
    def started(self) -> None: ...
    def received(self, pieces: int) -> None: ...
    def keepalive(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Trim:
    """What trimming removed, reported in the result."""

    removed_messages: int
    estimated_tokens: int
    budget_tokens: int

    def as_result(self) -> dict[str, Any]:
        return {
            "removed_messages": self.removed_messages,
            "estimated_tokens_after": self.estimated_tokens,
            "budget_tokens": self.budget_tokens,
            "note": "The conversation was longer than the context budget; the oldest messages were removed "
            "(the first system message was kept, first).",
        }


def _tokens(messages: list[Message]) -> int:
    characters = 0
    parts = 0
    for message in messages:
        content = message.content
        if isinstance(content, str):
            characters += len(content)
            continue
        for part in content:
            if isinstance(part, TextPart):
                characters += len(part.text)
            else:
                parts += 1
    return -(-characters // CHARS_PER_TOKEN) + parts * NON_TEXT_PART_TOKENS


def trim_messages(messages: list[Message], budget_tokens: int) -> tuple[list[Message], Trim | None]:
    """Drop the oldest messages until the estimate fits, keeping the first system message first.

    The last message is never dropped; when it alone does not fit, the call is refused.
    """
    if _tokens(messages) <= budget_tokens:
        return messages, None
    system_index = next((i for i, message in enumerate(messages) if message.role == "system"), None)
    system = [messages[system_index]] if system_index is not None else []
    rest = [message for i, message in enumerate(messages) if i != system_index]
    while len(rest) > 1 and _tokens(system + rest) > budget_tokens:
        rest.pop(0)
    kept = system + rest
    estimate = _tokens(kept)
    if estimate > budget_tokens:
        raise ValidationFailure(
            f"messages: the conversation is about {estimate} tokens (at {CHARS_PER_TOKEN} characters per token) "
            f"even after removing every older message, more than the {budget_tokens}-token context budget; "
            "shorten the last message (or the system message)"
        )
    return kept, Trim(len(messages) - len(kept), estimate, budget_tokens)


def _price_text(value: float | str) -> str:
    return value if isinstance(value, str) else format(Decimal(str(value)).normalize(), "f")


def provider_object(settings: Settings, given: dict[str, Any] | None) -> dict[str, Any] | None:
    """Environment defaults overridden field by field by the call's `provider`; None when empty."""
    merged = settings.provider_defaults() | (given or {})
    max_price = as_dict(merged.get("max_price"))
    if max_price:
        # OpenRouter's schema types these as strings; numbers are written without exponent.
        merged["max_price"] = {key: _price_text(value) for key, value in max_price.items() if value is not None}
    return merged or None


def build_body(args: ChatArgs, settings: Settings) -> tuple[dict[str, Any], Trim | None]:
    """The OpenAI-shaped request body (the Anthropic wire converts it) and what trimming did."""
    messages, trim = trim_messages(args.messages, settings.context_budget_tokens)
    body: dict[str, Any] = {}
    model = args.model or (None if args.models else settings.default_model or FALLBACK_MODEL)
    if model is not None:
        body["model"] = model
    if args.models:
        body["models"] = args.models
    body["messages"] = [
        {"role": message.role, "content": message.content}
        if isinstance(message.content, str)
        else message.model_dump(exclude_none=True)
        for message in messages
    ]
    temperature = args.temperature if args.temperature is not None else settings.default_temperature
    body["temperature"] = 1 if temperature is None else temperature
    max_tokens = args.max_tokens or settings.max_tokens
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    passed = args.model_dump(
        exclude_none=True,
        by_alias=True,
        include={
            "top_p",
            "frequency_penalty",
            "presence_penalty",
            "stop",
            "response_format",
            "reasoning",
            "seed",
            "top_k",
            "repetition_penalty",
            "modalities",
        },
    )
    body.update(passed)
    if settings.is_openrouter:
        if args.image_config is not None:
            body["image_config"] = args.image_config  # OpenRouter's own field; OpenAI would refuse it
        provider = provider_object(settings, args.provider.model_dump(exclude_none=True) if args.provider else None)
        if provider is not None:
            body["provider"] = provider
        body["usage"] = {"include": True}
    return body, trim


class ChatService:
    def __init__(self, settings: Settings, client: UpstreamClient, ledger: CallLedger | None = None) -> None:
        self._settings = settings
        self._client = client
        self._ledger = ledger
        self._anthropic = settings.api_format == "anthropic"
        self._path = anthropic.api_path(settings.resolved_base_url, "messages") if self._anthropic else openai.CHAT_PATH
        self._images = ImageSaver(settings)

    def require_key(self) -> None:
        if self._settings.api_key is None:
            raise ValidationFailure(
                "OPENROUTER_API_KEY is not set (API_KEY is accepted too); add it to the server's env in your "
                "MCP client config. The model catalog tools work without it."
            )

    async def prepare(self, args: ArgsT) -> ArgsT:
        """Arguments ready for `wire_body`: files read, data: URIs checked, attachments added (idempotent).

        Text-only arguments come back at once, without importing the content machinery."""
        if not args.has_media():
            return args
        from .content import resolve_content  # multimodal calls only: keeps it off the start path

        return await resolve_content(args, self._settings)

    def wire_body(self, args: ChatArgs, *, stream: bool) -> tuple[dict[str, Any], Trim | None]:
        """The exact body sent upstream for these (prepared) arguments."""
        body, trim = build_body(args, self._settings)
        if self._anthropic:
            if "model" not in body or (body["model"] == FALLBACK_MODEL and not args.model):
                raise ValidationFailure("model: required with API_FORMAT=anthropic (or set DEFAULT_MODEL)")
            body = anthropic.request_body(body, self._settings.max_tokens)
        if stream:
            body["stream"] = True
            if not self._anthropic:
                body["stream_options"] = {"include_usage": True}
        else:
            body.pop("stream", None)
        return body, trim

    async def complete(
        self,
        args: ChatArgs,
        progress: ProgressSink | None = None,
        *,
        caller: Caller = LOCAL_CALLER,
        conversation_id: str | None = None,
        turns: Callable[[dict[str, Any]], Any] | None = None,
    ) -> dict[str, Any]:
        """One upstream call: budgets checked before it, a ledger row written after it.

        With a ledger, the result carries `stored`: whether its ledger row was written, together with what
        `turns(result)` gives to append to the conversation (one transaction: one write per call)."""
        self.require_key()
        args = await self.prepare(args)
        stream = bool(args.stream) or progress is not None
        body, trim = self.wire_body(args, stream=stream)
        sent: Any = body
        if args.media_resolved:
            from .jsonbody import splice  # multimodal calls only

            sent = await anyio.to_thread.run_sync(splice, body, args.vouched_strings) or body
        if self._ledger is None:
            return await self._call(sent, trim, stream, progress)
        ticket = await self._ledger.admit(caller, body, conversation_id)
        try:
            result = await self._call(sent, trim, stream, progress)
        except BaseException as exc:
            await self._ledger.settle(ticket, None, exc)
            raise
        result["stored"] = await self._ledger.settle(ticket, result, None, turns(result) if turns else None)
        return result

    async def _call(self, sent: Any, trim: Trim | None, stream: bool, progress: ProgressSink | None) -> dict[str, Any]:
        if stream:
            result = await self._streamed(sent, progress)
        else:
            payload, headers = await self._client.request_json("POST", self._path, body=sent, idempotent=False)
            result = (
                anthropic.completion_result(payload) if self._anthropic else openai.completion_result(payload, headers)
            )
        if trim is not None:
            result["trimmed"] = trim.as_result()
        if has_images(result):
            result = await self._images.extract(result)
        return result

    async def _streamed(self, body: Any, progress: ProgressSink | None) -> dict[str, Any]:
        async with self._client.stream("POST", self._path, body=body) as response:
            if progress is not None:
                progress.started()
            assembler: anthropic.AnthropicStream | openai.OpenAIStream = (
                anthropic.AnthropicStream() if self._anthropic else openai.OpenAIStream(response.headers)
            )
            async for event in sse_events(self._client.iter_lines(response)):
                if event.comment is not None:
                    if progress is not None:
                        progress.keepalive()
                    continue
                pieces = assembler.feed(event)
                if progress is not None and pieces:
                    progress.received(pieces)
                if assembler.done:
                    break
            return assembler.result()
