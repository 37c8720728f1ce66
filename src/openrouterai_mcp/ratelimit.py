"""A client-side token bucket, also fed by the upstream's `x-ratelimit-*` headers.

The bucket spaces requests out locally (`rate` per second, up to `burst` at once). When the upstream
says `x-ratelimit-remaining: 0`, every request waits until the announced reset; a `429` with
`Retry-After` does the same. Every wait is capped by `max_wait`, so the limiter never stalls forever.
The clock and the sleep are injected so tests never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

import anyio

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Values above these are absolute times rather than a number of seconds to wait.
_EPOCH_MILLISECONDS = 1e12
_EPOCH_SECONDS = 1e9


def parse_reset(value: str, now_epoch: float) -> float | None:
    """Seconds to wait until an `x-ratelimit-reset` value (seconds to wait, epoch seconds or epoch ms)."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    if number != number or number < 0:  # NaN or negative
        return None
    if number >= _EPOCH_MILLISECONDS:
        return max(0.0, number / 1000.0 - now_epoch)
    if number >= _EPOCH_SECONDS:
        return max(0.0, number - now_epoch)
    return number


def parse_retry_after(value: str, now_epoch: float) -> float | None:
    """Seconds to wait for a `Retry-After` value: delta seconds or an HTTP date."""
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        # Imported here: the email package costs ~5 ms at start-up and HTTP dates are rare.
        from email.utils import parsedate_to_datetime

        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, moment.timestamp() - now_epoch)
    if seconds != seconds or seconds < 0:
        return None
    return seconds


class RateLimiter:
    """Token bucket plus an upstream-imposed pause. Safe for concurrent use within one event loop."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        max_wait: float,
        clock: Clock = time.monotonic,
        epoch: Clock = time.time,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._max_wait = max_wait
        self._clock = clock
        self._epoch = epoch
        self._sleep = sleep
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = 0.0

    def _refill(self, now: float) -> None:
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    async def acquire(self) -> None:
        """Wait until a request may go out, then take a token."""
        while True:
            now = self._clock()
            self._refill(now)
            pause = self._paused_until - now
            if pause <= 0 and self._tokens >= 1:
                self._tokens -= 1
                return
            wait = max(pause, (1 - self._tokens) / self._rate if self._tokens < 1 else 0.0)
            # The pause part was capped when it was set; the token part is at most 1/rate.
            await self._sleep(max(wait, 0.001))

    def pause_for(self, seconds: float) -> float:
        """Hold every request for `seconds` (capped); returns the pause actually applied."""
        seconds = min(max(seconds, 0.0), self._max_wait)
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        return seconds

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from an answer's `x-ratelimit-*` headers: remaining 0 pauses until the reset."""
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is None:
            return
        try:
            left = float(remaining)
        except ValueError:
            return
        if left > 0:
            return
        reset = headers.get("x-ratelimit-reset")
        wait = parse_reset(reset, self._epoch()) if reset is not None else None
        # No usable reset: back off for a second rather than hammering or stalling.
        self.pause_for(1.0 if wait is None else wait)
