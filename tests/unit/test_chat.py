from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError
from unit_helpers import make_settings
from unit_payloads import (
    ANTHROPIC_STREAM,
    OPENAI_STREAM,
    anthropic_message,
    chat_completion,
    sse,
)

from openrouterai_mcp.chat import ChatService, build_body, trim_messages
from openrouterai_mcp.client import UpstreamClient
from openrouterai_mcp.errors import UpstreamError, UpstreamProtocolError, UpstreamStatusError, ValidationFailure
from openrouterai_mcp.providers import anthropic, openai
from openrouterai_mcp.schemas import ChatArgs, Message
from openrouterai_mcp.sse import SseEvent, sse_events

USER = {"role": "user", "content": "Say ok"}


def args(**fields: Any) -> ChatArgs:
    return ChatArgs.model_validate({"messages": [USER]} | fields)


def body_for(chat_args: ChatArgs | None = None, **settings: Any) -> dict[str, Any]:
    body, _trim = build_body(chat_args or args(), make_settings(**settings))
    return body


# --- build_body: defaults ------------------------------------------------------------------------


def test_model_falls_back_to_openrouter_auto() -> None:
    assert body_for()["model"] == "openrouter/auto"


def test_model_falls_back_to_the_configured_default_model() -> None:
    assert body_for(default_model="openai/gpt-4o-mini")["model"] == "openai/gpt-4o-mini"


def test_model_given_in_the_call_wins_and_keeps_its_suffix() -> None:
    assert body_for(args(model="qwen/qwen3.8-27b:nitro"), default_model="x/y")["model"] == "qwen/qwen3.8-27b:nitro"


def test_temperature_defaults_to_one() -> None:
    assert body_for()["temperature"] == 1


def test_temperature_defaults_to_default_temperature_when_set() -> None:
    assert body_for(default_temperature=0.2)["temperature"] == 0.2


def test_temperature_zero_from_the_call_is_kept() -> None:
    assert body_for(args(temperature=0), default_temperature=0.7)["temperature"] == 0


def test_max_tokens_comes_from_the_environment_default() -> None:
    assert body_for(max_tokens=777)["max_tokens"] == 777


def test_max_tokens_from_the_call_overrides_the_environment() -> None:
    assert body_for(args(max_tokens=50), max_tokens=777)["max_tokens"] == 50


def test_max_tokens_is_left_out_when_nobody_sets_it() -> None:
    assert "max_tokens" not in body_for()


def test_usage_accounting_is_always_requested() -> None:
    assert body_for()["usage"] == {"include": True}


def test_openrouter_extras_are_not_sent_to_a_foreign_api_endpoint() -> None:
    body = body_for(base_url=None, api_endpoint="https://api.openai.test/v1", provider_sort="price")
    assert "usage" not in body
    assert "provider" not in body


def test_messages_are_sent_in_order() -> None:
    messages = [{"role": "system", "content": "Be brief."}, USER]
    assert body_for(args(messages=messages))["messages"] == messages


def test_models_fallback_list_is_sent_without_a_model() -> None:
    body = body_for(args(models=["a/one", "b/two"]), default_model="x/y")
    assert body["models"] == ["a/one", "b/two"]
    assert "model" not in body


def test_models_fallback_list_is_sent_with_an_explicit_model() -> None:
    body = body_for(args(model="a/one", models=["b/two"]))
    assert body["model"] == "a/one"
    assert body["models"] == ["b/two"]


def test_gateway_sampling_fields_are_passed_on() -> None:
    body = body_for(
        args(
            top_p=0.9,
            frequency_penalty=-0.5,
            presence_penalty=1.5,
            stop=["END"],
            seed=7,
            top_k=40,
            repetition_penalty=1.1,
            reasoning={"effort": "low"},
        )
    )
    assert {key: body[key] for key in ("top_p", "frequency_penalty", "presence_penalty", "stop", "seed")} == {
        "top_p": 0.9,
        "frequency_penalty": -0.5,
        "presence_penalty": 1.5,
        "stop": ["END"],
        "seed": 7,
    }
    assert body["top_k"] == 40
    assert body["repetition_penalty"] == 1.1
    assert body["reasoning"] == {"effort": "low"}


def test_response_format_json_schema_is_sent_with_its_schema_key() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    body = body_for(
        args(response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema, "strict": True}})
    )
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "x", "schema": schema, "strict": True},
    }


def test_stream_flag_is_not_part_of_the_built_body() -> None:
    assert "stream" not in body_for(args(stream=True))


# --- build_body: provider routing ----------------------------------------------------------------


def test_provider_is_left_out_when_nothing_asks_for_routing() -> None:
    assert "provider" not in body_for()


def test_environment_provider_defaults_are_sent() -> None:
    body = body_for(provider_sort="price", provider_order=["openai", "google"], provider_allow_fallbacks=False)
    assert body["provider"] == {"sort": "price", "order": ["openai", "google"], "allow_fallbacks": False}


def test_call_provider_overrides_environment_field_by_field() -> None:
    body = body_for(
        args(provider={"sort": "latency", "ignore": ["Azure"]}),
        provider_sort="price",
        provider_order=["openai"],
        provider_data_collection="deny",
    )
    assert body["provider"] == {"sort": "latency", "order": ["openai"], "data_collection": "deny", "ignore": ["Azure"]}


def test_call_provider_false_overrides_environment_true() -> None:
    body = body_for(
        args(provider={"allow_fallbacks": False, "require_parameters": False}),
        provider_allow_fallbacks=True,
        provider_require_parameters=True,
    )
    assert body["provider"] == {"allow_fallbacks": False, "require_parameters": False}


def test_unknown_provider_fields_are_passed_on() -> None:
    body = body_for(args(provider={"zdr": True, "enforce_distillable_text": True}))
    assert body["provider"] == {"zdr": True, "enforce_distillable_text": True}


def test_provider_max_price_numbers_are_sent_as_plain_decimal_strings() -> None:
    body = body_for(args(provider={"max_price": {"prompt": 1e-7, "completion": 2}}))
    assert body["provider"]["max_price"] == {"prompt": "0.0000001", "completion": "2"}


# --- trimming ------------------------------------------------------------------------------------


def msg(role: str, content: str) -> Message:
    return Message.model_validate({"role": role, "content": content})


def test_conversation_within_the_budget_is_not_trimmed() -> None:
    messages = [msg("user", "x" * 40)]
    kept, trim = trim_messages(messages, budget_tokens=10)
    assert kept == messages
    assert trim is None


def test_trimming_drops_the_oldest_messages_and_keeps_the_system_message_first() -> None:
    messages = [
        msg("system", "s" * 8),
        msg("user", "a" * 40),
        msg("assistant", "b" * 40),
        msg("user", "c" * 8),
    ]
    kept, trim = trim_messages(messages, budget_tokens=5)
    assert [message.content for message in kept] == ["s" * 8, "c" * 8]
    assert kept[0].role == "system"
    assert trim is not None
    assert trim.removed_messages == 2
    assert trim.estimated_tokens == 4


def test_trimming_keeps_a_late_first_system_message_at_the_front() -> None:
    messages = [msg("user", "a" * 40), msg("system", "rules"), msg("user", "b" * 40), msg("user", "last")]
    kept, _trim = trim_messages(messages, budget_tokens=5)
    assert [message.content for message in kept] == ["rules", "last"]


def test_trimming_keeps_as_many_recent_messages_as_fit() -> None:
    messages = [msg("user", "a" * 40), msg("assistant", "b" * 8), msg("user", "c" * 8)]
    kept, trim = trim_messages(messages, budget_tokens=4)
    assert [message.content for message in kept] == ["b" * 8, "c" * 8]
    assert trim is not None and trim.removed_messages == 1


def test_single_message_larger_than_the_budget_is_refused() -> None:
    with pytest.raises(ValidationFailure, match=r"messages: .*context budget"):
        trim_messages([msg("system", "s"), msg("user", "x" * 100)], budget_tokens=10)


def test_build_body_reports_what_trimming_did() -> None:
    chat_args = args(messages=[{"role": "user", "content": "a" * 400}, {"role": "user", "content": "hi"}])
    body, trim = build_body(chat_args, make_settings(context_budget_tokens=10))
    assert body["messages"] == [{"role": "user", "content": "hi"}]
    assert trim is not None
    assert trim.as_result()["removed_messages"] == 1


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


# --- SSE and stream assembly ---------------------------------------------------------------------


async def lines_of(text: str) -> AsyncIterator[str]:
    for line in text.split("\n"):
        yield line


async def events_of(text: str) -> list[SseEvent]:
    return [event async for event in sse_events(lines_of(text))]


async def assemble(assembler: Any, text: str) -> dict[str, Any]:
    for event in await events_of(text):
        assembler.feed(event)
        if assembler.done:
            break
    return assembler.result()


async def test_sse_comments_are_delivered_as_keepalives() -> None:
    events = await events_of(": OPENROUTER PROCESSING\n\ndata: {}\n\n")
    assert events == [SseEvent(comment="OPENROUTER PROCESSING"), SseEvent(data="{}")]


async def test_sse_multi_line_data_is_joined_and_event_names_kept() -> None:
    events = await events_of("event: message_start\r\ndata: a\r\ndata: b\r\n\r\n")
    assert events == [SseEvent(data="a\nb", event="message_start")]


async def test_sse_unterminated_last_event_is_delivered() -> None:
    assert await events_of("data: [DONE]") == [SseEvent(data="[DONE]")]


async def test_openai_stream_is_assembled_into_one_completion() -> None:
    result = await assemble(openai.OpenAIStream({}), OPENAI_STREAM)
    assert result["id"] == "gen-1765226419-AGrw"
    assert result["model"] == "anthropic/claude-sonnet-4.5"
    assert result["provider"] == "Google"
    assert result["choices"] == [
        {
            "index": 0,
            "finish_reason": "stop",
            "native_finish_reason": "end_turn",
            "message": {"role": "assistant", "content": "Hello", "tool_calls": None},
        }
    ]


async def test_openai_stream_usage_comes_from_the_last_chunk() -> None:
    result = await assemble(openai.OpenAIStream({}), OPENAI_STREAM)
    assert result["usage"] == {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11, "cost": 0.000057}


async def test_openai_stream_later_usage_replaces_earlier_running_totals() -> None:
    text = sse(
        'data: {"id":"gen-3","model":"m","choices":[{"index":0,"delta":{"content":"a"}}],'
        '"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}',
        'data: {"id":"gen-3","model":"m","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}],'
        '"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}',
        "data: [DONE]",
    )
    result = await assemble(openai.OpenAIStream({}), text)
    assert result["usage"] == {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}


async def test_openai_stream_counts_content_pieces_not_comments() -> None:
    stream = openai.OpenAIStream({})
    counts = [stream.feed(event) for event in await events_of(OPENAI_STREAM)]
    assert sum(counts) == 2
    assert stream.deltas == 2


async def test_openai_stream_assembles_tool_call_fragments() -> None:
    chunk = '{{"id":"gen-2","model":"m","choices":[{{"index":0,"delta":{{"tool_calls":[{}]}}}}]}}'
    text = sse(
        "data: "
        + chunk.format('{"index":0,"id":"call_1","type":"function","function":{"name":"get_","arguments":""}}'),
        "data: " + chunk.format('{"index":0,"function":{"name":"weather","arguments":"{\\"city\\":"}}'),
        "data: " + chunk.format('{"index":0,"function":{"arguments":"\\"Paris\\"}"}}'),
        "data: [DONE]",
    )
    result = await assemble(openai.OpenAIStream({}), text)
    assert result["choices"][0]["message"]["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
    ]


async def test_openai_stream_mid_stream_error_chunk_raises_with_its_message() -> None:
    text = sse(
        'data: {"id":"gen-1","model":"minimax/minimax-m2:free","choices":[{"index":0,"delta":{"content":"Hi"}}]}',
        'data: {"id":"gen-1","error":{"code":400,"message":"Token limit reached"},"choices":[{"index":0,'
        '"delta":{"content":""},"finish_reason":"error"}]}',
        "data: [DONE]",
    )
    with pytest.raises(UpstreamError, match=r"^400: Token limit reached \(the stream failed after 1 pieces"):
        await assemble(openai.OpenAIStream({}), text)


async def test_openai_stream_without_done_is_a_protocol_error() -> None:
    text = OPENAI_STREAM.replace("data: [DONE]\n\n", "")
    with pytest.raises(UpstreamProtocolError, match=r"without \[DONE\] after 2 pieces"):
        await assemble(openai.OpenAIStream({}), text)


async def test_openai_stream_with_a_broken_json_event_is_a_protocol_error() -> None:
    with pytest.raises(UpstreamProtocolError, match="not valid JSON"):
        await assemble(openai.OpenAIStream({}), sse('data: {"id": "gen-1", "choi'))


async def test_anthropic_stream_is_assembled_into_one_completion() -> None:
    result = await assemble(anthropic.AnthropicStream(), ANTHROPIC_STREAM)
    assert result["id"] == "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY"
    assert result["model"] == "claude-sonnet-4-5-20250929"
    assert result["choices"][0]["message"]["content"] == "Hello!"
    assert result["choices"][0]["finish_reason"] == "stop"
    assert result["usage"] == {"prompt_tokens": 25, "completion_tokens": 15, "total_tokens": 40}


async def test_anthropic_stream_without_message_stop_is_a_protocol_error() -> None:
    text = ANTHROPIC_STREAM.replace('event: message_stop\ndata: {"type":"message_stop"}\n\n', "")
    with pytest.raises(UpstreamProtocolError, match="without message_stop after 2 pieces"):
        await assemble(anthropic.AnthropicStream(), text)


async def test_anthropic_stream_error_event_raises_with_its_message() -> None:
    text = ANTHROPIC_STREAM.replace(
        'event: message_stop\ndata: {"type":"message_stop"}',
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
    )
    with pytest.raises(UpstreamError, match=r"^Overloaded \(the stream failed after 2 pieces"):
        await assemble(anthropic.AnthropicStream(), text)


async def test_anthropic_stream_assembles_tool_use_input() -> None:
    text = sse(
        'data: {"type":"message_start","message":{"id":"msg_2","model":"claude","usage":{"input_tokens":5}}}',
        'data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_9",'
        '"name":"lookup","input":{}}}',
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"q\\":"}}',
        'data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\\"x\\"}"}}',
        'data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":7}}',
        'data: {"type":"message_stop"}',
    )
    choice = (await assemble(anthropic.AnthropicStream(), text))["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"] == [
        {"id": "toolu_9", "type": "function", "function": {"name": "lookup", "arguments": '{"q": "x"}'}}
    ]


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


@pytest.mark.parametrize("effort", ["max", "xhigh", "ultra-2027"])
def test_any_reasoning_effort_is_passed_on_for_the_upstream_to_judge(effort: str) -> None:
    assert body_for(args(reasoning={"effort": effort}))["reasoning"] == {"effort": effort}


def test_an_empty_reasoning_effort_is_refused() -> None:
    with pytest.raises(ValidationError, match="effort"):
        args(reasoning={"effort": ""})
