"""Property: whatever arguments a client sends, every tool answers with an envelope and never raises."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.types import TextContent
from unit_helpers import make_settings
from unit_payloads import OPENAI_STREAM, SECRET, catalog_payload, chat_completion, key_info

from openrouterai_mcp.compare import CompareArgs
from openrouterai_mcp.schemas import ChatArgs, ModelArgs, SearchArgs
from openrouterai_mcp.server import create_server


def upstream(request: httpx.Request) -> httpx.Response:
    """An OpenRouter look-alike that answers every endpoint the tools use."""
    path = request.url.path
    if path.endswith("/models"):
        return httpx.Response(200, json=catalog_payload())
    if path.endswith("/key"):
        return httpx.Response(200, json=key_info())
    if path.endswith("/chat/completions"):
        if json.loads(request.content).get("stream"):
            return httpx.Response(200, text=OPENAI_STREAM, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=chat_completion())
    return httpx.Response(404, json={"error": {"message": "Not Found", "code": 404}})


# JSON as it can arrive over the wire (no NaN or Infinity: JSON has none).
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
model_ids = st.sampled_from(
    ["qwen/qwen3.8-27b", "openrouter/auto", "qwen/qwen3.8-27b:nitro", "nobody/nothing", "", " ", "A/B:free"]
) | st.text(max_size=40)
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["system", "user", "assistant", "tool", ""]), "content": st.text(max_size=50)}
    ),
    max_size=4,
)
special_values: dict[str, st.SearchStrategy[Any]] = {
    "messages": messages | json_values,
    "model": model_ids | json_values,
    "temperature": st.floats(min_value=-1, max_value=3) | json_values,
    "max_tokens": st.integers(min_value=-5, max_value=10_000) | json_values,
    "limit": st.integers(min_value=-5, max_value=60) | json_values,
    "provider": st.dictionaries(
        st.sampled_from(["sort", "order", "allow_fallbacks", "data_collection", "max_price", "zdr", "x"]),
        json_values,
        max_size=3,
    )
    | json_values,
    "capabilities": st.dictionaries(
        st.sampled_from(["functions", "tools", "vision", "json_mode", "audio"]), json_values, max_size=3
    )
    | json_values,
}


def noisy_arguments(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Known and unknown names with values of any JSON type."""
    known = st.sampled_from(fields) if fields else st.nothing()
    entries = st.one_of(
        known.flatmap(lambda name: st.tuples(st.just(name), special_values.get(name, json_values))),
        st.tuples(st.text(max_size=12), json_values),
    )
    return st.lists(entries, max_size=6).map(dict)


valid_messages = st.lists(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "user", "assistant"]), "content": st.text(max_size=50)}),
    min_size=1,
    max_size=4,
)
plausible_provider = st.fixed_dictionaries(
    {},
    optional={
        "sort": st.sampled_from(["price", "throughput", "latency"]),
        "order": st.lists(st.sampled_from(["openai", "google", "anthropic"]), max_size=3),
        "allow_fallbacks": st.booleans(),
        "require_parameters": st.booleans(),
        "data_collection": st.sampled_from(["allow", "deny"]),
        "max_price": st.fixed_dictionaries(
            {}, optional={"prompt": st.floats(0, 10), "completion": st.text(max_size=5)}
        ),
        "zdr": st.booleans(),
    },
)
plausible: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "chat_completion": st.fixed_dictionaries(
        {"messages": valid_messages},
        optional={
            "model": model_ids,
            "temperature": st.floats(0, 2),
            "max_tokens": st.integers(1, 5000),
            "provider": plausible_provider,
            "stream": st.booleans(),
            "top_p": st.floats(0, 1),
            "stop": st.text(max_size=5) | st.lists(st.text(max_size=5), max_size=3),
            "seed": st.integers(-(2**31), 2**31),
            "models": st.lists(model_ids.filter(bool), min_size=1, max_size=3),
            "response_format": st.sampled_from([{"type": "text"}, {"type": "json_object"}]),
        },
    ),
    "search_models": st.fixed_dictionaries(
        {},
        optional={
            "query": st.text(max_size=10) | st.sampled_from(["qwen", "AUTO", "free"]),
            "provider": st.sampled_from(["qwen", "anthropic", "openrouter", "nobody"]),
            "minContextLength": st.integers(0, 3_000_000),
            "maxContextLength": st.integers(0, 3_000_000),
            "maxPromptPrice": st.floats(0, 1),
            "maxCompletionPrice": st.floats(0, 1),
            "capabilities": st.fixed_dictionaries(
                {}, optional={name: st.booleans() for name in ("functions", "tools", "vision", "json_mode")}
            ),
            "limit": st.integers(1, 50),
            "sort": st.sampled_from(["price", "context", "newest"]),
            "supported_parameters": st.lists(st.sampled_from(["tools", "reasoning", "top_p", "x"]), max_size=3),
        },
    ),
    "compare_models": st.fixed_dictionaries(
        {"messages": valid_messages, "models": st.lists(model_ids.filter(bool), min_size=2, max_size=4, unique=True)},
        optional={"temperature": st.floats(0, 2), "max_tokens": st.integers(1, 5000), "provider": plausible_provider},
    ),
    "get_model_info": st.fixed_dictionaries({"model": model_ids}),
    "validate_model": st.fixed_dictionaries({"model": model_ids}),
    "get_key_info": st.just({}),
}


def arguments_for(tool: str, fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return plausible[tool] | noisy_arguments(fields)


TOOLS: dict[str, list[str]] = {
    "chat_completion": list(ChatArgs.model_fields),
    "search_models": list(SearchArgs.model_fields),
    "get_model_info": list(ModelArgs.model_fields),
    "validate_model": list(ModelArgs.model_fields),
    "get_key_info": [],
    "compare_models": list(CompareArgs.model_fields),
}


@pytest.mark.parametrize("tool", list(TOOLS))
def test_any_arguments_produce_an_envelope_never_an_exception(tool: str) -> None:
    server = create_server(make_settings(), transport=httpx.MockTransport(upstream))
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(Client(server)) as client:

        @settings(
            max_examples=50,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(arguments=arguments_for(tool, TOOLS[tool]))
        def check(arguments: dict[str, Any]) -> None:
            result = portal.call(client.call_tool, tool, arguments)
            assert isinstance(result.is_error, bool)
            assert len(result.content) == 1
            content = result.content[0]
            assert isinstance(content, TextContent)
            assert SECRET not in content.text
            if result.is_error:
                assert content.text.startswith("Error: ")
                assert not content.text.startswith("Error: Internal Error"), content.text
            else:
                json.loads(content.text)

        check()


@settings(max_examples=300, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=6))
def test_the_envelope_text_is_json_with_indent_2_however_often_and_in_whatever_order_results_are_written(
    values: list[Any],
) -> None:
    from openrouterai_mcp.resultcap import json_length, json_text

    for value in [*values, *reversed(values)]:
        expected = json.dumps(value, indent=2, ensure_ascii=False)
        assert json_text(value) == expected
        assert json_length(value) == len(expected)


def test_a_result_changed_after_it_was_measured_is_written_as_it_now_is() -> None:
    from openrouterai_mcp.resultcap import json_length, json_text

    result: dict[str, Any] = {"choices": [{"message": {"content": "first"}}], "stored": True}
    before = json_length(result)
    result["choices"][0]["message"]["content"] = "second, longer"
    result["stored"] = 1  # same compact digits as nothing else: true and 1 must not be confused
    assert json_text(result) == json.dumps(result, indent=2, ensure_ascii=False)
    assert json_length(result) != before
