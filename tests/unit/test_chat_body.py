"""The request body of a chat call (build_body): defaults, provider routing, trimming, reasoning."""

from __future__ import annotations

import pytest
from chat_helpers import USER, args, body_for
from pydantic import ValidationError
from unit_helpers import make_settings

from openrouterai_mcp.chat import build_body, trim_messages
from openrouterai_mcp.errors import ValidationFailure
from openrouterai_mcp.schemas import Message

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


# --- reasoning -----------------------------------------------------------------------------------


@pytest.mark.parametrize("effort", ["max", "xhigh", "ultra-2027"])
def test_any_reasoning_effort_is_passed_on_for_the_upstream_to_judge(effort: str) -> None:
    assert body_for(args(reasoning={"effort": effort}))["reasoning"] == {"effort": effort}


def test_an_empty_reasoning_effort_is_refused() -> None:
    with pytest.raises(ValidationError, match="effort"):
        args(reasoning={"effort": ""})
