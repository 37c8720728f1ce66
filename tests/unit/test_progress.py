from __future__ import annotations

import anyio
import pytest
from unit_helpers import FakeTime

from openrouterai_mcp.progress import ProgressReporter


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []

    async def __call__(self, progress: float, message: str) -> None:
        self.sent.append((progress, message))

    @property
    def values(self) -> list[float]:
        return [progress for progress, _ in self.sent]


def reporter(fake_time: FakeTime, send: Recorder, *, interval: float = 2.0, min_gap: float = 0.2) -> ProgressReporter:
    return ProgressReporter(send, interval=interval, min_gap=min_gap, clock=fake_time.monotonic, sleep=fake_time.sleep)


async def test_first_beat_is_sent_at_once(fake_time: FakeTime) -> None:
    send = Recorder()
    await reporter(fake_time, send).beat_if_due()
    assert send.sent == [(1.0, "request sent to the model")]


async def test_no_beat_during_a_short_silence(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send, interval=2.0)
    await beats.beat_if_due()
    fake_time.advance(1.9)
    await beats.beat_if_due()
    assert len(send.sent) == 1


async def test_heartbeat_after_an_interval_of_silence(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send, interval=2.0)
    await beats.beat_if_due()
    fake_time.advance(2.0)
    await beats.beat_if_due()
    assert send.values == [1.0, 2.0]


async def test_new_output_is_throttled_to_the_minimum_gap(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send, min_gap=0.2)
    await beats.beat_if_due()
    fake_time.advance(0.1)
    beats.received(3)
    await beats.beat_if_due()
    assert len(send.sent) == 1
    fake_time.advance(0.1)
    await beats.beat_if_due()
    assert send.sent[-1] == (2.0, "3 tokens received (0 s)")


async def test_many_pieces_in_quick_succession_give_few_notifications(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send, min_gap=0.2)
    for _ in range(100):  # one piece every 10 ms for a second
        beats.received(1)
        await beats.beat_if_due()
        fake_time.advance(0.01)
    # At most one notification per 0.2 s of the 1 s burst, instead of one per piece.
    assert 5 <= len(send.sent) <= 6


async def test_one_piece_reads_as_one_token_in_the_singular(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send)
    await beats.beat_if_due()
    fake_time.advance(1.0)
    beats.received(1)
    await beats.beat_if_due()
    assert send.sent[-1] == (2.0, "1 token received (1 s)")


async def test_a_silence_before_the_stream_starts_says_how_long_it_has_waited(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send, interval=2.0)
    for _ in range(3):
        await beats.beat_if_due()
        fake_time.advance(1.5)
    assert [message for _value, message in send.sent] == [
        "request sent to the model",
        "waiting for the model's first token (3 s)",
    ]


async def test_started_stream_says_it_waits_for_the_first_token(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send)
    await beats.beat_if_due()
    fake_time.advance(0.5)
    beats.started()
    await beats.beat_if_due()
    assert send.sent[-1] == (2.0, "waiting for the model's first token (0 s)")


async def test_run_sends_strictly_increasing_progress_with_heartbeats(fake_time: FakeTime) -> None:
    send = Recorder()
    beats = reporter(fake_time, send, interval=2.0, min_gap=0.2)
    steps = 0

    async def sleep(seconds: float) -> None:
        nonlocal steps
        steps += 1
        fake_time.advance(seconds)
        if steps == 25:
            beats.received(4)
        if steps >= 60:  # 12 s of fake time
            scope.cancel()
        await anyio.lowlevel.checkpoint()

    beats._sleep = sleep  # pyright: ignore[reportPrivateUsage]
    with anyio.CancelScope() as scope:
        await beats.run()
    assert send.values == [float(n) for n in range(1, len(send.values) + 1)]
    # t=0 first beat, t=2 and t=4 heartbeats, t=5 new tokens, then heartbeats at 7, 9 and 11.
    assert len(send.sent) == 7
    assert send.sent[3][1] == "4 tokens received (5 s)"


async def test_run_stops_quietly_when_the_client_cannot_be_told(
    fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(progress: float, message: str) -> None:
        raise RuntimeError("stream closed")

    beats = ProgressReporter(broken, interval=2.0, clock=fake_time.monotonic, sleep=fake_time.sleep)
    await beats.run()  # returns instead of raising into the chat call
    assert "progress notifications stopped" in caplog.text
