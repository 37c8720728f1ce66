"""Progress notifications for a long chat call: strictly increasing, throttled, with keep-alive beats.

The chat code only counts (`started`, `received`, `keepalive`); `run` sends a notification when
something new arrived (at most every `min_gap` seconds) and at least every `interval` seconds of
silence, so a client that resets its timeout on progress never gives up on a thinking model.
`AnsweredProgress` is the same machinery for a fan-out (`compare_models`): one notification as
each model finishes, heartbeats in between. `while_reporting` runs a call with its reporter beside it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import anyio

from .errors import ServerError

logger = logging.getLogger(__name__)

Send = Callable[[float, str], Awaitable[None]]
T = TypeVar("T")


async def while_reporting(report: Callable[[], Coroutine[Any, Any, None]], work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` with `report` beside it until the work ends. A `ServerError` of the work comes out as itself
    (not inside the task group's exception group), so the tool turns it into its error result."""
    failure: ServerError | None = None
    outcome: list[T] = []
    async with anyio.create_task_group() as group:
        group.start_soon(report)
        try:
            outcome.append(await work())
        except ServerError as exc:
            failure = exc
        finally:
            group.cancel_scope.cancel()
    if failure is not None:
        raise failure
    return outcome[0]


class ProgressReporter:
    def __init__(
        self,
        send: Send,
        *,
        interval: float,
        min_gap: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        self._send = send
        self._interval = interval
        self._min_gap = min(min_gap, interval)
        self._clock = clock
        self._sleep = sleep
        self._started_at = clock()
        self._last_sent = self._started_at
        self._pieces = 0
        self._streaming = False
        self._dirty = True  # the first beat says the request is on its way
        self.sent = 0

    def started(self) -> None:
        self._streaming = True
        self._dirty = True

    def received(self, pieces: int) -> None:
        self._pieces += pieces
        self._dirty = True

    def keepalive(self) -> None:
        """The upstream is alive but silent (e.g. `: OPENROUTER PROCESSING`); the timer covers it."""

    def _message(self, now: float) -> str:
        elapsed = now - self._started_at
        if self._pieces:
            noun = "token" if self._pieces == 1 else "tokens"
            return f"{self._pieces} {noun} received ({elapsed:.0f} s)"
        if self._streaming or self.sent > 1:
            return f"waiting for the model's first token ({elapsed:.0f} s)"
        return "request sent to the model"

    async def beat_if_due(self) -> None:
        now = self._clock()
        since = now - self._last_sent
        if (self._dirty and since >= self._min_gap) or since >= self._interval or self.sent == 0:
            await self._beat(now)

    async def _beat(self, now: float) -> None:
        self.sent += 1
        self._dirty = False
        self._last_sent = now
        await self._send(float(self.sent), self._message(now))

    async def run(self) -> None:
        """Send beats until cancelled; a failure to send stops the beats, never the call."""
        try:
            while True:
                await self.beat_if_due()
                await self._sleep(self._min_gap)
        except Exception:
            logger.warning("progress notifications stopped: the client could not be told", exc_info=True)


class AnsweredProgress(ProgressReporter):
    """Progress of several calls at once: `N of M models answered`, sent as each one finishes."""

    def __init__(
        self,
        send: Send,
        *,
        total: int,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    ) -> None:
        super().__init__(send, interval=interval, clock=clock, sleep=sleep)
        self._total = total
        self._answered = 0
        # Several tasks send here (each finishing model, and the heartbeats): one at a time, numbered
        # inside the lock, so the values reach the client strictly increasing.
        self._lock = anyio.Lock()

    async def answered(self) -> None:
        """One more call finished (answer or error): tell the client now, unthrottled."""
        self._answered += 1
        try:
            await self._beat(self._clock())
        except Exception:
            logger.warning("a progress notification could not be sent", exc_info=True)

    async def _beat(self, now: float) -> None:
        async with self._lock:
            await super()._beat(now)

    def _message(self, now: float) -> str:
        return f"{self._answered} of {self._total} models answered"
