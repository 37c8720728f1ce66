"""ChatService against a mocked upstream: the body posted, streaming, progress, the Anthropic endpoint."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from chat_helpers import USER, args
from unit_helpers import make_settings
from unit_payloads import (
    ANTHROPIC_STREAM,
    OPENAI_STREAM,
    anthropic_message,
    chat_completion,
)

from openrouterai_mcp.chat import ChatService
from openrouterai_mcp.client import UpstreamClient
from openrouterai_mcp.errors import UpstreamProtocolError, ValidationFailure

# --- ChatService against a mocked upstream -------------------------------------------------------


def service(router: respx.MockRouter, **settings: Any) -> ChatService:
    configured = make_settings(**settings)
    return ChatService(configured, UpstreamClient(configured, transport=httpx.MockTransport(router.async_handler)))


class RecordingProgress:
    def __init__(self) -> None:
        self.events: list[str] = []

    def started(self) -> None:
        self.events.append("started")

    def received(self, pieces: int) -> None:
        self.events.append(f"received {pieces}")

    def keepalive(self) -> None:
        self.events.append("keepalive")


async def test_complete_posts_the_body_and_returns_the_normalised_answer(router: respx.MockRouter) -> None:
    route = router.post("/chat/completions").respond(json=chat_completion())
    result = await service(router).complete(args(model="anthropic/claude-sonnet-4.5"))
    sent = json.loads(route.calls.last.request.content)
    assert sent["model"] == "anthropic/claude-sonnet-4.5"
    assert "stream" not in sent
    assert result["id"] == "gen-1778777138-y0iwbTSBFZ0eELM0EhLt"
    assert "trimmed" not in result


async def test_complete_says_when_it_trimmed(router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(json=chat_completion())
    chat_args = args(messages=[{"role": "user", "content": "a" * 400}, USER])
    result = await service(router, context_budget_tokens=10).complete(chat_args)
    assert result["trimmed"]["removed_messages"] == 1


async def test_complete_without_a_key_is_refused_before_sending(router: respx.MockRouter) -> None:
    route = router.post("/chat/completions").respond(json=chat_completion())
    with pytest.raises(ValidationFailure, match=r"^OPENROUTER_API_KEY is not set"):
        await service(router, api_key=None).complete(args())
    assert not route.called


async def test_streamed_call_asks_for_usage_and_assembles_the_answer(router: respx.MockRouter) -> None:
    route = router.post("/chat/completions").respond(text=OPENAI_STREAM, headers={"content-type": "text/event-stream"})
    result = await service(router).complete(args(stream=True))
    sent = json.loads(route.calls.last.request.content)
    assert sent["stream"] is True
    assert sent["stream_options"] == {"include_usage": True}
    assert result["choices"][0]["message"]["content"] == "Hello"
    assert result["usage"]["total_tokens"] == 11


async def test_streamed_call_reports_progress_and_keepalives(router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(text=OPENAI_STREAM, headers={"content-type": "text/event-stream"})
    progress = RecordingProgress()
    await service(router).complete(args(), progress)
    assert progress.events == ["started", "keepalive", "keepalive", "received 1", "received 1"]


async def test_stream_cut_before_done_is_an_error(router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(
        text=OPENAI_STREAM.replace("data: [DONE]\n\n", ""), headers={"content-type": "text/event-stream"}
    )
    with pytest.raises(UpstreamProtocolError):
        await service(router).complete(args(stream=True))


async def test_anthropic_call_goes_to_v1_messages_and_comes_back_as_chat_completion(router: respx.MockRouter) -> None:
    route = router.post("http://anthropic.test/v1/messages").respond(json=anthropic_message())
    result = await service(router, api_format="anthropic", base_url="http://anthropic.test").complete(
        args(model="claude-sonnet-4-5", messages=[{"role": "system", "content": "Be brief."}, USER])
    )
    sent = json.loads(route.calls.last.request.content)
    assert sent["system"] == "Be brief."
    assert sent["max_tokens"] == 1024
    assert result["object"] == "chat.completion"
    assert result["choices"][0]["message"]["content"] == "Hello there"


async def test_anthropic_streamed_call_is_assembled(router: respx.MockRouter) -> None:
    route = router.post("http://anthropic.test/v1/messages").respond(
        text=ANTHROPIC_STREAM, headers={"content-type": "text/event-stream"}
    )
    result = await service(router, api_format="anthropic", base_url="http://anthropic.test").complete(
        args(model="claude-sonnet-4-5", stream=True)
    )
    sent = json.loads(route.calls.last.request.content)
    assert sent["stream"] is True
    assert "stream_options" not in sent
    assert result["choices"][0]["message"]["content"] == "Hello!"
