"""compare.py: several models at once over one chat path (a stand-in `complete`), and its arguments."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from pydantic import ValidationError
from unit_helpers import FakeTime

from openrouterai_mcp.compare import CompareArgs, compare
from openrouterai_mcp.errors import RateLimited, ServerError, UpstreamError, UpstreamStatusError, ValidationFailure
from openrouterai_mcp.images import ChatResult, InlineImage
from openrouterai_mcp.progress import AnsweredProgress
from openrouterai_mcp.schemas import ChatArgs, tool_input_schema

USER = [{"role": "user", "content": "Is 2**61-1 prime?"}]


def args(*models: str, **extra: Any) -> CompareArgs:
    return CompareArgs.model_validate({"models": list(models), "messages": USER} | extra)


def answer(model: str, content: str, cost: float | None = 0.001) -> dict[str, Any]:
    usage: dict[str, Any] = {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}
    if cost is not None:
        usage["cost"] = cost
    return {
        "id": f"gen-{model}",
        "object": "chat.completion",
        "created": 1,
        "model": f"{model}-20260101",
        "provider": "FakeProvider",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": usage,
    }


class ScriptedChat:
    """A stand-in for ChatService.complete: per-model answers or errors, and a record of each call's arguments."""

    def __init__(self, outcomes: dict[str, dict[str, Any] | ServerError]) -> None:
        self.outcomes = outcomes
        self.calls: list[ChatArgs] = []

    async def __call__(self, chat_args: ChatArgs) -> dict[str, Any]:
        self.calls.append(chat_args)
        outcome = self.outcomes[chat_args.model or ""]
        if isinstance(outcome, ServerError):
            raise outcome
        return outcome


# --- the result ---------------------------------------------------------------------------------------------


async def test_every_model_answers_in_the_order_asked_with_its_own_fields() -> None:
    chat = ScriptedChat({"a/one": answer("a/one", "yes"), "b/two": answer("b/two", "no")})
    result = await compare(args("b/two", "a/one"), chat)
    assert result["object"] == "comparison"
    assert isinstance(result["created"], int)
    assert [entry["model"] for entry in result["results"]] == ["b/two", "a/one"]
    first = result["results"][0]
    assert list(first) == [
        *("model", "ok", "id", "served_model", "provider", "content", "finish_reason", "usage", "latency_ms")
    ]
    assert first["ok"] is True
    assert first["id"] == "gen-b/two"
    assert first["served_model"] == "b/two-20260101"
    assert first["provider"] == "FakeProvider"
    assert first["content"] == "no"
    assert first["finish_reason"] == "stop"
    assert first["usage"]["cost"] == 0.001
    assert (result["succeeded"], result["failed"]) == (2, 0)


async def test_results_keep_the_order_asked_when_models_finish_in_another_order() -> None:
    finish_order = ["c/three", "b/two", "a/one"]
    turn = {"next": 0}
    changed = anyio.Condition()

    async def complete(chat_args: ChatArgs) -> dict[str, Any]:
        model = chat_args.model or ""
        async with changed:
            while finish_order[turn["next"]] != model:
                await changed.wait()
            turn["next"] += 1
            changed.notify_all()
        return answer(model, model)

    with anyio.fail_after(5):
        result = await compare(args("a/one", "b/two", "c/three"), complete)
    assert [entry["content"] for entry in result["results"]] == ["a/one", "b/two", "c/three"]


async def test_every_model_is_asked_before_any_answers() -> None:
    started: list[str] = []
    everyone_asked = anyio.Event()

    async def complete(chat_args: ChatArgs) -> dict[str, Any]:
        started.append(chat_args.model or "")
        if len(started) == 3:
            everyone_asked.set()
        await everyone_asked.wait()
        return answer(chat_args.model or "", "ok")

    with anyio.fail_after(5):
        result = await compare(args("a/one", "b/two", "c/three"), complete)
    assert result["succeeded"] == 3


async def test_each_model_gets_the_same_arguments_with_only_its_own_model() -> None:
    chat = ScriptedChat({"a/one": answer("a/one", "x"), "b/two": answer("b/two", "y")})
    given = args("a/one", "b/two", temperature=0.2, max_tokens=50, provider={"sort": "price"}, seed=7)
    await compare(given, chat)
    assert sorted(call.model or "" for call in chat.calls) == ["a/one", "b/two"]
    for call in chat.calls:
        assert call.models is None
        assert call.stream is None
        assert call.model_dump(exclude={"model", "models"}) == given.model_dump(exclude={"model", "models"})


async def test_latency_is_measured_per_model_with_the_given_clock(fake_time: FakeTime) -> None:
    async def complete(chat_args: ChatArgs) -> dict[str, Any]:
        fake_time.advance(1.25 if chat_args.model == "slow/one" else 0.0)
        return answer(chat_args.model or "", "ok")

    result = await compare(args("slow/one", "fast/two"), complete, clock=fake_time.monotonic)
    assert [entry["latency_ms"] for entry in result["results"]] == [1250, 0]


async def test_a_trimmed_conversation_says_so_in_each_answer() -> None:
    trimmed = {"removed_messages": 3, "estimated_tokens_after": 10, "budget_tokens": 10, "note": "…"}
    chat = ScriptedChat({"a/one": answer("a/one", "x") | {"trimmed": trimmed}, "b/two": answer("b/two", "y")})
    result = await compare(args("a/one", "b/two"), chat)
    assert result["results"][0]["trimmed"] == trimmed
    assert "trimmed" not in result["results"][1]


async def test_total_cost_is_the_exact_sum_of_the_reported_costs() -> None:
    chat = ScriptedChat({"a/one": answer("a/one", "x", 0.000123), "b/two": answer("b/two", "y", 0.000246)})
    assert (await compare(args("a/one", "b/two"), chat))["total_cost"] == 0.000369


async def test_total_cost_is_null_when_no_answer_reported_a_cost() -> None:
    chat = ScriptedChat({"a/one": answer("a/one", "x", None), "b/two": answer("b/two", "y", None)})
    assert (await compare(args("a/one", "b/two"), chat))["total_cost"] is None


# --- failures -----------------------------------------------------------------------------------------------


async def test_a_failing_model_gets_its_own_error_and_the_others_still_answer() -> None:
    chat = ScriptedChat(
        {
            "a/one": answer("a/one", "x", 0.002),
            "bad/model": UpstreamStatusError(400, "bad/model is not a valid model ID"),
            "c/three": answer("c/three", "z", 0.001),
        }
    )
    result = await compare(args("a/one", "bad/model", "c/three"), chat)
    assert result["results"][1] == {
        "model": "bad/model",
        "ok": False,
        "error": "Error: API Error - 400: bad/model is not a valid model ID",
    }
    assert [entry["ok"] for entry in result["results"]] == [True, False, True]
    assert (result["succeeded"], result["failed"]) == (2, 1)
    assert result["total_cost"] == 0.003


async def test_a_rate_limited_model_keeps_its_category() -> None:
    chat = ScriptedChat({"a/one": answer("a/one", "x"), "b/two": RateLimited(429, "slow down")})
    result = await compare(args("a/one", "b/two"), chat)
    assert result["results"][1]["error"] == "Error: Rate Limit - 429: slow down"


async def test_when_every_model_fails_the_comparison_is_an_api_error_naming_each_failure() -> None:
    chat = ScriptedChat({"a/one": UpstreamStatusError(500, "boom"), "b/two": RateLimited(429, "slow down")})
    with pytest.raises(UpstreamError) as caught:
        await compare(args("a/one", "b/two"), chat)
    assert caught.value.category == "API Error"
    assert caught.value.message == (
        "all 2 models failed: a/one: API Error - 500: boom; b/two: Rate Limit - 429: slow down"
    )


async def test_when_every_model_fails_alike_upstream_it_is_still_all_n_models_failed() -> None:
    chat = ScriptedChat({"a/one": UpstreamStatusError(503, "down"), "b/two": UpstreamStatusError(503, "down")})
    with pytest.raises(UpstreamError, match=r"^all 2 models failed: a/one: API Error - 503: down; b/two"):
        await compare(args("a/one", "b/two"), chat)


async def test_when_every_model_is_refused_alike_before_sending_that_refusal_is_the_answer() -> None:
    refusal = ValidationFailure("messages: the conversation is too long")
    chat = ScriptedChat({"a/one": refusal, "b/two": ValidationFailure("messages: the conversation is too long")})
    with pytest.raises(ValidationFailure, match=r"^messages: the conversation is too long$"):
        await compare(args("a/one", "b/two"), chat)


async def test_on_answer_is_called_once_as_each_model_finishes_answer_or_error() -> None:
    calls: list[int] = []
    chat = ScriptedChat({"a/one": answer("a/one", "x"), "b/two": UpstreamStatusError(500, "boom")})

    async def on_answer() -> None:
        calls.append(len(calls) + 1)

    await compare(args("a/one", "b/two"), chat, on_answer=on_answer)
    assert calls == [1, 2]


async def test_cancelling_a_comparison_cancels_every_model_call() -> None:
    started: list[str] = []
    cancelled: list[str] = []

    async def complete(chat_args: ChatArgs) -> dict[str, Any]:
        started.append(chat_args.model or "")
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.append(chat_args.model or "")
            raise
        raise AssertionError("unreachable")

    with anyio.move_on_after(5) as scope:
        async with anyio.create_task_group() as group:
            group.start_soon(compare, args("a/one", "b/two", "c/three"), complete)
            while len(started) < 3:
                await anyio.lowlevel.checkpoint()
            group.cancel_scope.cancel()
    assert not scope.cancelled_caught
    assert sorted(cancelled) == ["a/one", "b/two", "c/three"]


# --- arguments ------------------------------------------------------------------------------------------------


def test_compare_arguments_are_chat_arguments_with_models_instead_of_model_models_and_stream() -> None:
    schema = tool_input_schema(CompareArgs)
    chat_fields = set(ChatArgs.model_fields) - {"model", "models", "stream"}
    assert set(schema["properties"]) == chat_fields | {"models"}
    assert schema["required"] == ["messages", "models"]
    assert schema["properties"]["models"]["minItems"] == 2
    assert schema["properties"]["models"]["maxItems"] == 8
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        ({"models": ["a/one"]}, "models"),
        ({"models": [f"m/{n}" for n in range(9)]}, "models"),
        ({"models": ["a/one", "a/one"]}, "a/one is listed twice"),
        ({"models": ["a/one", "b/two"], "model": "a/one"}, "compare_models takes the models to ask in `models`"),
        ({"models": ["a/one", "b/two"], "stream": True}, "returns each model's whole answer"),
        ({"models": ["a/one", "b/two"], "temperature": 3}, "temperature"),
        ({"messages": USER}, "models"),
    ],
)
def test_bad_compare_arguments_are_refused(arguments: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        CompareArgs.model_validate({"messages": USER} | arguments)


# --- progress -------------------------------------------------------------------------------------------------


async def test_answered_progress_tells_each_finish_at_once_with_strictly_increasing_values(fake_time: FakeTime) -> None:
    sent: list[tuple[float, str]] = []

    async def send(progress: float, message: str) -> None:
        sent.append((progress, message))

    reporter = AnsweredProgress(send, total=3, interval=2.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    await reporter.beat_if_due()
    await reporter.answered()
    await reporter.answered()
    fake_time.advance(2.0)
    await reporter.beat_if_due()
    await reporter.answered()
    assert sent == [
        (1.0, "0 of 3 models answered"),
        (2.0, "1 of 3 models answered"),
        (3.0, "2 of 3 models answered"),
        (4.0, "2 of 3 models answered"),
        (5.0, "3 of 3 models answered"),
    ]


async def test_answered_progress_that_cannot_be_sent_never_fails_the_comparison(fake_time: FakeTime) -> None:
    async def send(progress: float, message: str) -> None:
        raise anyio.BrokenResourceError

    reporter = AnsweredProgress(send, total=2, interval=2.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    await reporter.answered()
    assert reporter.sent == 1


# --- generated images -----------------------------------------------------------------------------------------


def drawn(model: str, *images: InlineImage) -> ChatResult:
    """What ChatService.complete returns for an answer with images: descriptors in the JSON, the bytes beside."""
    payload = answer(model, "Here it is.")
    payload["choices"][0]["message"]["images"] = [
        {"type": "image", "mime_type": image.mime_type, "bytes": len(image.data)} for image in images
    ]
    return ChatResult(payload, list(images))


async def test_each_models_generated_images_are_in_its_entry_and_their_blocks_follow_in_the_order_asked() -> None:
    first, second, third = (
        InlineImage("image/png", "AAAA"),
        InlineImage("image/jpeg", "BBBB"),
        InlineImage("image/png", "CC"),
    )
    chat = ScriptedChat(
        {
            "a/one": drawn("a/one", first, second),
            "b/two": answer("b/two", "no pictures"),
            "c/three": drawn("c/three", third),
        }
    )
    result = await compare(args("c/three", "b/two", "a/one"), chat)
    assert isinstance(result, ChatResult)
    assert result.images == [third, first, second]
    entries = {entry["model"]: entry for entry in result["results"]}
    assert entries["a/one"]["images"] == [
        {"type": "image", "mime_type": "image/png", "bytes": 4},
        {"type": "image", "mime_type": "image/jpeg", "bytes": 4},
    ]
    assert "images" not in entries["b/two"]
    assert entries["c/three"]["images"] == [{"type": "image", "mime_type": "image/png", "bytes": 2}]


async def test_a_comparison_without_images_is_a_plain_result() -> None:
    chat = ScriptedChat({"a/one": answer("a/one", "yes"), "b/two": answer("b/two", "no")})
    result = await compare(args("a/one", "b/two"), chat)
    assert not isinstance(result, ChatResult)
    assert all("images" not in entry for entry in result["results"])
