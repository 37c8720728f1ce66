from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from unit_helpers import FakeTime

from openrouterai_mcp.ratelimit import RateLimiter, parse_reset, parse_retry_after


def limiter(fake_time: FakeTime, *, rate: float = 10.0, burst: int = 5, max_wait: float = 60.0) -> RateLimiter:
    return RateLimiter(
        rate=rate,
        burst=burst,
        max_wait=max_wait,
        clock=fake_time.monotonic,
        epoch=fake_time.epoch,
        sleep=fake_time.sleep,
    )


async def test_bucket_lets_a_burst_through_without_waiting(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time, burst=5)
    for _ in range(5):
        await bucket.acquire()
    assert fake_time.sleeps == []


async def test_bucket_waits_for_a_refill_once_the_burst_is_spent(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time, rate=2.0, burst=1)
    await bucket.acquire()
    await bucket.acquire()
    assert sum(fake_time.sleeps) == pytest.approx(0.5)


async def test_bucket_refills_with_elapsed_time(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time, rate=2.0, burst=1)
    await bucket.acquire()
    fake_time.advance(0.5)
    await bucket.acquire()
    assert fake_time.sleeps == []


async def test_remaining_zero_with_reset_in_seconds_pauses_until_the_reset(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time)
    bucket.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "5"})
    await bucket.acquire()
    assert sum(fake_time.sleeps) == pytest.approx(5.0)


async def test_remaining_zero_with_reset_in_epoch_seconds_pauses_until_the_reset(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time)
    reset = int(fake_time.epoch()) + 7
    bucket.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    await bucket.acquire()
    assert sum(fake_time.sleeps) == pytest.approx(7.0)


async def test_remaining_zero_with_reset_in_epoch_milliseconds_pauses_until_the_reset(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time)
    reset_ms = int(fake_time.epoch() * 1000) + 3_000
    bucket.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset_ms)})
    await bucket.acquire()
    assert sum(fake_time.sleeps) == pytest.approx(3.0)


async def test_upstream_pause_is_capped_by_max_wait(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time, max_wait=10.0)
    bucket.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "3600"})
    await bucket.acquire()
    assert sum(fake_time.sleeps) == pytest.approx(10.0)


async def test_remaining_above_zero_does_not_pause(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time)
    bucket.observe({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "30"})
    await bucket.acquire()
    assert fake_time.sleeps == []


async def test_remaining_zero_without_a_usable_reset_backs_off_one_second(fake_time: FakeTime) -> None:
    bucket = limiter(fake_time)
    bucket.observe({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "soon"})
    await bucket.acquire()
    assert sum(fake_time.sleeps) == pytest.approx(1.0)


def test_pause_for_reports_the_capped_pause(fake_time: FakeTime) -> None:
    assert limiter(fake_time, max_wait=4.0).pause_for(100.0) == 4.0


def test_reset_already_past_means_no_wait() -> None:
    assert parse_reset("1700000000", now_epoch=1_700_000_100.0) == 0.0


def test_negative_reset_is_ignored() -> None:
    assert parse_reset("-3", now_epoch=1_700_000_000.0) is None


def test_retry_after_in_seconds_is_parsed() -> None:
    assert parse_retry_after("120", now_epoch=1_700_000_000.0) == 120.0


def test_retry_after_as_http_date_is_the_time_until_that_date() -> None:
    now = 1_700_000_000.0
    moment = datetime.fromtimestamp(now + 30, tz=timezone.utc)
    assert parse_retry_after(format_datetime(moment, usegmt=True), now_epoch=now) == pytest.approx(30.0)


def test_retry_after_date_in_the_past_means_no_wait() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now_epoch=1_700_000_000.0) == 0.0


@pytest.mark.parametrize("value", ["soon", "-5", "nan", ""])
def test_unusable_retry_after_is_ignored(value: str) -> None:
    assert parse_retry_after(value, now_epoch=1_700_000_000.0) is None
