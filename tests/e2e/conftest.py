"""Fixtures for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.chat_request_schema import chat_body_problems
from tests.fake_upstream import CHAT, FakeUpstream


@pytest.fixture
def every_chat_body_sent_matches_openrouters_schema(upstream: FakeUpstream) -> Iterator[None]:
    """After the test, every chat body the server sent must be valid against OpenRouter's ChatRequest."""
    yield
    for call in upstream.calls(CHAT):
        assert chat_body_problems(call.body) == [], call.body
