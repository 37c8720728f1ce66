"""The Anthropic request conversion, and Anthropic and OpenAI answers mapped to one chat completion."""

from __future__ import annotations

from typing import Any

import pytest
from chat_helpers import USER, args
from unit_helpers import make_settings
from unit_payloads import (
    anthropic_message,
    chat_completion,
)

from openrouterai_mcp.chat import ChatService
from openrouterai_mcp.client import UpstreamClient
from openrouterai_mcp.errors import UpstreamError, UpstreamProtocolError, UpstreamStatusError, ValidationFailure
from openrouterai_mcp.providers import anthropic, openai
from openrouterai_mcp.schemas import ChatArgs

# --- Anthropic request conversion ----------------------------------------------------------------


def anthropic_body(chat_args: ChatArgs, **settings: Any) -> dict[str, Any]:
    service = ChatService(
        make_settings(api_format="anthropic", **settings), UpstreamClient(make_settings(api_format="anthropic"))
    )
    body, _trim = service.wire_body(chat_args, stream=False)
    return body


def test_anthropic_request_moves_system_messages_to_system() -> None:
    body = anthropic_body(args(model="claude-sonnet-4-5", messages=[{"role": "system", "content": "Be brief."}, USER]))
    assert body["system"] == "Be brief."
    assert body["messages"] == [USER]


def test_anthropic_request_joins_several_system_messages() -> None:
    body = anthropic.request_body(
        {"messages": [{"role": "system", "content": "A"}, {"role": "system", "content": "B"}, USER]}, None
    )
    assert body["system"] == "A\n\nB"


def test_anthropic_request_sends_stop_as_stop_sequences() -> None:
    assert anthropic_body(args(model="claude-sonnet-4-5", stop="END"))["stop_sequences"] == ["END"]
    assert anthropic_body(args(model="claude-sonnet-4-5", stop=["A", "B"]))["stop_sequences"] == ["A", "B"]


def test_anthropic_request_always_sets_max_tokens_1024_by_default() -> None:
    assert anthropic_body(args(model="claude-sonnet-4-5"))["max_tokens"] == 1024


def test_anthropic_request_max_tokens_from_environment_and_call() -> None:
    assert anthropic_body(args(model="claude-sonnet-4-5"), max_tokens=300)["max_tokens"] == 300
    assert anthropic_body(args(model="claude-sonnet-4-5", max_tokens=20), max_tokens=300)["max_tokens"] == 20


def test_anthropic_request_does_not_send_openrouter_only_fields() -> None:
    body = anthropic_body(
        args(model="claude-sonnet-4-5", provider={"sort": "price"}, models=["b/two"], seed=3, frequency_penalty=1),
        provider_allow_fallbacks=False,
    )
    assert set(body) == {"model", "messages", "temperature", "max_tokens"}


def test_anthropic_request_needs_a_model() -> None:
    with pytest.raises(ValidationFailure, match="model: required with API_FORMAT=anthropic"):
        anthropic_body(args())


def test_anthropic_request_uses_default_model() -> None:
    assert anthropic_body(args(), default_model="claude-haiku-4-5")["model"] == "claude-haiku-4-5"


def test_anthropic_messages_path_depends_on_whether_the_endpoint_ends_in_v1() -> None:
    assert anthropic.api_path("https://api.anthropic.com", "messages") == "v1/messages"
    assert anthropic.api_path("https://gateway.test/anthropic/v1", "messages") == "messages"


# --- Anthropic response mapping ------------------------------------------------------------------


def test_anthropic_answer_becomes_a_chat_completion() -> None:
    result = anthropic.completion_result(anthropic_message())
    assert result["id"] == "msg_01XFDUDYJgAACzvnptvVoYEL"
    assert result["object"] == "chat.completion"
    assert result["model"] == "claude-sonnet-4-5-20250929"
    assert result["choices"][0]["message"] == {"role": "assistant", "content": "Hello there", "tool_calls": None}
    assert result["choices"][0]["finish_reason"] == "stop"
    assert result["usage"] == {"prompt_tokens": 12, "completion_tokens": 6, "total_tokens": 18}


def test_anthropic_max_tokens_stop_is_length() -> None:
    assert anthropic.completion_result(anthropic_message(stop_reason="max_tokens"))["choices"][0]["finish_reason"] == (
        "length"
    )


def test_anthropic_tool_use_becomes_tool_calls() -> None:
    payload = anthropic_message(
        content=[{"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Paris"}}],
        stop_reason="tool_use",
    )
    choice = anthropic.completion_result(payload)["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"] == [
        {"id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    ]


def test_anthropic_error_body_raises_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="Overloaded"):
        anthropic.completion_result({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})


# --- OpenAI response mapping ---------------------------------------------------------------------


def test_openai_answer_keeps_the_real_id_model_provider_and_usage() -> None:
    result = openai.completion_result(chat_completion(), {})
    assert result["id"] == "gen-1778777138-y0iwbTSBFZ0eELM0EhLt"
    assert result["model"] == "anthropic/claude-4.5-sonnet-20250929"
    assert result["provider"] == "Google"
    assert result["usage"]["cost"] == 0.000117
    assert result["choices"][0]["message"]["content"] == "ok"
    assert result["choices"][0]["finish_reason"] == "stop"


def test_openai_answer_drops_reasoning_signatures() -> None:
    message = openai.completion_result(chat_completion(), {})["choices"][0]["message"]
    assert "reasoning_details" not in message
    assert message["reasoning"] == "The user wants one word."
    assert message["tool_calls"] is None


def test_openai_error_body_with_a_200_raises_its_status() -> None:
    with pytest.raises(UpstreamStatusError, match=r"^402: Insufficient credits$"):
        openai.completion_result({"error": {"code": 402, "message": "Insufficient credits"}}, {})


def test_openai_answer_without_choices_is_a_protocol_error() -> None:
    with pytest.raises(UpstreamProtocolError):
        openai.completion_result({"id": "gen-1", "choices": []}, {})
