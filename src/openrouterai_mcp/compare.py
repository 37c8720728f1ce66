"""Several models at once: the same conversation and parameters, every model called concurrently.

Each model goes through the one chat path (`ChatService.complete`, passed in as `complete`), so
defaults, provider defaults, trimming, retries, the limiter and whatever else guards a chat call
apply to each model alike. Knows nothing of MCP: progress is an `on_answer` callback.

The answers come back in the order the models were asked, each with its own result or its own
error. An answer's generated images appear in its entry as descriptors (as in a chat result); their
image blocks follow the JSON text in the order of the results. The comparison fails as a whole only
when every model failed: with that error itself when all failed alike before reaching the upstream
(a missing key, a refused argument), else with `all N models failed: …`. A cancel cancels every
model's task, which closes its upstream request.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import anyio
from pydantic import Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from .errors import ServerError, UpstreamError
from .images import ChatResult, InlineImage
from .jsonshape import as_dict, as_list
from .schemas import ChatArgs, NonEmptyStr

MIN_MODELS = 2
MAX_MODELS = 8

Complete = Callable[[ChatArgs], Awaitable[dict[str, Any]]]
OnAnswer = Callable[[], Awaitable[None]]


class CompareArgs(ChatArgs):
    """`chat_completion`'s arguments with `models` (2..8) instead of `model`, `models` and `stream`.

    Derived from `ChatArgs`, so every chat argument (and its validation) is a compare argument too.
    """

    models: list[NonEmptyStr] = Field(  # pyright: ignore[reportIncompatibleVariableOverride]
        min_length=MIN_MODELS,
        max_length=MAX_MODELS,
        description="2 to 8 distinct model ids to ask, e.g. ['openai/gpt-4o', 'anthropic/claude-sonnet-4.5'].",
    )
    model: SkipJsonSchema[None] = None  # pyright: ignore[reportIncompatibleVariableOverride]
    stream: SkipJsonSchema[None] = None  # pyright: ignore[reportIncompatibleVariableOverride]

    @field_validator("model", "stream", mode="before")
    @classmethod
    def _not_here(cls, value: object, info: ValidationInfo) -> None:
        # Only reached when the caller gave the field: a clear word rather than "Input should be None".
        if info.field_name == "model":
            raise ValueError("unknown argument; compare_models takes the models to ask in `models`")
        raise ValueError(
            "unknown argument; compare_models returns each model's whole answer (with a progressToken it "
            "reports progress as each model answers)"
        )

    @field_validator("models")
    @classmethod
    def _distinct(cls, models: list[str]) -> list[str]:
        seen: set[str] = set()
        for model in models:
            if model in seen:
                raise ValueError(f"each model may be listed once; {model} is listed twice")
            seen.add(model)
        return models

    def for_model(self, model: str) -> ChatArgs:
        """The chat arguments for one of the models: everything else exactly as given."""
        return self.model_copy(update={"model": model, "models": None, "stream": None})


def _answer(model: str, result: dict[str, Any], latency: float) -> dict[str, Any]:
    choice = as_dict(next(iter(as_list(result.get("choices"))), None))
    message = as_dict(choice.get("message"))
    entry: dict[str, Any] = {
        "model": model,
        "ok": True,
        "id": result.get("id"),
        "served_model": result.get("model"),
        "provider": result.get("provider"),
        "content": message.get("content"),
        "finish_reason": choice.get("finish_reason"),
        "usage": result.get("usage"),
        "latency_ms": round(latency * 1000),
    }
    if message.get("images"):
        entry["images"] = message["images"]
    if "trimmed" in result:
        entry["trimmed"] = result["trimmed"]
    return entry


def _total_cost(results: list[dict[str, Any]]) -> float | None:
    """The sum of the costs the upstream reported; None when no answer reported one."""
    costs = [as_dict(entry.get("usage")).get("cost") for entry in results if entry["ok"]]
    known = [Decimal(str(cost)) for cost in costs if isinstance(cost, int | float) and not isinstance(cost, bool)]
    return float(sum(known, Decimal(0))) if known else None


def _all_failed(models: list[str], failures: list[ServerError]) -> ServerError:
    first = failures[0]
    alike = all(type(exc) is type(first) and exc.message == first.message for exc in failures)
    if alike and not isinstance(first, UpstreamError):
        # Nothing reached the upstream and every model was refused for the same reason: say just that.
        return first
    reasons = "; ".join(f"{model}: {exc.category} - {exc.message}" for model, exc in zip(models, failures, strict=True))
    return UpstreamError(f"all {len(models)} models failed: {reasons}")


async def compare(
    args: CompareArgs,
    complete: Complete,
    *,
    on_answer: OnAnswer | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """Ask every model of `args.models` concurrently; the comparison in SPEC §8's shape."""
    models = args.models
    results: list[dict[str, Any]] = [{} for _ in models]
    failures: list[ServerError | None] = [None for _ in models]
    inline: list[list[InlineImage]] = [[] for _ in models]

    async def ask(position: int, model: str) -> None:
        started = clock()
        try:
            result = await complete(args.for_model(model))
        except ServerError as exc:
            failures[position] = exc
            results[position] = {"model": model, "ok": False, "error": f"Error: {exc.category} - {exc.message}"}
        else:
            results[position] = _answer(model, result, clock() - started)
            if isinstance(result, ChatResult):
                inline[position] = result.images
        if on_answer is not None:
            await on_answer()

    async with anyio.create_task_group() as group:
        for position, model in enumerate(models):
            group.start_soon(ask, position, model)

    failed = [exc for exc in failures if exc is not None]
    if len(failed) == len(models):
        raise _all_failed(models, failed)
    comparison: dict[str, Any] = {
        "object": "comparison",
        "created": int(time.time()),
        "results": results,
        "succeeded": len(models) - len(failed),
        "failed": len(failed),
        "total_cost": _total_cost(results),
    }
    images = [image for answer_images in inline for image in answer_images]
    return ChatResult(comparison, images) if images else comparison
