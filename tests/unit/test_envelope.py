from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from openrouterai_mcp.envelope import describe_validation_error, failure, guarded, success
from openrouterai_mcp.errors import (
    ModelNotFound,
    RateLimited,
    ServerError,
    UpstreamStatusError,
    UpstreamTimeout,
    ValidationFailure,
)
from openrouterai_mcp.logs import RedactSecret
from openrouterai_mcp.schemas import ChatArgs, SearchArgs

SECRET = "sk-or-v1-envelope-secret"


def text_of(result: CallToolResult) -> str:
    assert len(result.content) == 1
    content = result.content[0]
    assert isinstance(content, TextContent)
    return content.text


def validation_message(model: Any, arguments: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(arguments)
    return describe_validation_error(caught.value).message


def test_success_is_json_with_indent_2() -> None:
    payload = {"model": "qwen/qwen3.8-27b", "valid": True}
    result = success(payload)
    assert result.is_error is False
    assert text_of(result) == json.dumps(payload, indent=2)


def test_success_keeps_non_ascii_text_readable() -> None:
    assert "héllo ✓" in text_of(success({"content": "héllo ✓"}))


def test_failure_text_is_error_category_and_message() -> None:
    result = failure(UpstreamStatusError(401, "No auth credentials found"))
    assert result.is_error is True
    assert text_of(result) == "Error: API Error - 401: No auth credentials found"


@pytest.mark.parametrize(
    ("error", "prefix"),
    [
        (ValidationFailure("messages: required"), "Error: Validation Error - "),
        (ModelNotFound("a/b"), "Error: Validation Error - Model not found: a/b"),
        (RateLimited(429, "slow down"), "Error: Rate Limit - 429: slow down"),
        (UpstreamTimeout("no answer"), "Error: API Error - "),
        (ServerError("bug"), "Error: Internal Error - bug"),
    ],
)
def test_each_error_class_has_its_category(error: ServerError, prefix: str) -> None:
    assert text_of(failure(error)).startswith(prefix)


def test_key_is_redacted_from_a_failure() -> None:
    text = text_of(failure(UpstreamStatusError(401, f"Invalid key {SECRET}"), secret=SECRET))
    assert SECRET not in text
    assert text == "Error: API Error - 401: Invalid key [redacted]"


def test_key_is_redacted_from_a_success() -> None:
    assert SECRET not in text_of(success({"echo": SECRET}, secret=SECRET))


def test_validation_error_names_the_field_and_the_problem() -> None:
    message = validation_message(ChatArgs, {"messages": [{"role": "bot", "content": "hi"}]})
    assert message == "messages[0].role: Input should be 'system', 'user' or 'assistant'"


def test_validation_error_for_a_number_out_of_range() -> None:
    message = validation_message(ChatArgs, {"messages": [{"role": "user", "content": "hi"}], "temperature": 3})
    assert message == "temperature: Input should be less than or equal to 2"


def test_validation_error_for_an_unknown_argument() -> None:
    message = validation_message(ChatArgs, {"messages": [{"role": "user", "content": "hi"}], "temprature": 1})
    assert message == "temprature: unknown argument"


def test_validation_error_for_a_missing_argument() -> None:
    assert validation_message(ChatArgs, {}) == "messages: required"


def test_validation_error_does_not_echo_the_rejected_value() -> None:
    message = validation_message(SearchArgs, {"limit": "sk-or-v1-pasted-by-mistake"})
    assert message.startswith("limit: ")
    assert "sk-or-v1-pasted-by-mistake" not in message


def test_validation_error_lists_at_most_five_problems() -> None:
    message = validation_message(SearchArgs, {f"unknown{i}": 1 for i in range(8)})
    assert message.count("unknown argument") == 5
    assert message.endswith("(and 3 more)")


async def test_guarded_turns_a_value_into_a_success() -> None:
    async def call() -> Any:
        return {"ok": True}

    result = await guarded(call, tool="t", secret=None)
    assert result.is_error is False
    assert json.loads(text_of(result)) == {"ok": True}


async def test_guarded_turns_a_server_error_into_its_envelope() -> None:
    async def call() -> Any:
        raise ModelNotFound("x/y")

    assert text_of(await guarded(call, tool="t", secret=None)) == "Error: Validation Error - Model not found: x/y"


async def test_guarded_turns_a_pydantic_error_into_a_validation_error() -> None:
    async def call() -> Any:
        return SearchArgs.model_validate({"limit": 0})

    text = text_of(await guarded(call, tool="t", secret=None))
    assert text == "Error: Validation Error - limit: Input should be greater than or equal to 1"


async def test_guarded_turns_an_unexpected_exception_into_an_internal_error_without_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def call() -> Any:
        raise RuntimeError(f"boom with {SECRET}")

    with caplog.at_level(logging.ERROR):
        result = await guarded(call, tool="search_models", secret=SECRET)
    assert result.is_error is True
    assert text_of(result) == "Error: Internal Error - RuntimeError while running search_models; see the server log"
    assert "search_models raised an unexpected exception" in caplog.text


def test_log_filter_redacts_the_key_from_log_messages() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "header was Bearer %s", (SECRET,), None)
    assert RedactSecret(SECRET).filter(record)
    assert record.getMessage() == "header was Bearer [redacted]"
