"""Helpers shared by the unit tests (kept out of conftest.py so test modules can import them)."""

from __future__ import annotations

from typing import Any

from unit_payloads import BASE_URL, SECRET

from openrouterai_mcp.settings import Settings


class FakeTime:
    """A monotonic clock, a wall clock and a sleep that only advances them (and records each wait)."""

    def __init__(self, start: float = 1000.0, epoch_start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.epoch_offset = epoch_start - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def epoch(self) -> float:
        return self.now + self.epoch_offset

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def make_settings(**overrides: Any) -> Settings:
    """Settings for an OpenRouter-like upstream on a test host; no retries unless asked (retries sleep)."""
    values: dict[str, Any] = {"api_key": SECRET, "base_url": BASE_URL, "max_retries": 0}
    values.update(overrides)
    return Settings(**values)
