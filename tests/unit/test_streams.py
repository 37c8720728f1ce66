"""SSE parsing and stream assembly: OpenAI and Anthropic streams become one completion."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from unit_payloads import (
    ANTHROPIC_STREAM,
    OPENAI_STREAM,
    sse,
)

from openrouterai_mcp.errors import UpstreamError, UpstreamProtocolError
from openrouterai_mcp.providers import anthropic, openai
from openrouterai_mcp.sse import SseEvent, sse_events

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
