from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from unit_helpers import FakeTime, make_settings
from unit_payloads import BASE_URL, SECRET, chat_completion

from openrouterai_mcp.client import UpstreamClient
from openrouterai_mcp.errors import (
    RateLimited,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from openrouterai_mcp.ratelimit import RateLimiter

CHAT_BODY = {"model": "openrouter/auto", "messages": [{"role": "user", "content": "hi"}]}


def upstream(router: respx.MockRouter, fake_time: FakeTime, **overrides: Any) -> UpstreamClient:
    """A client on the mock router whose retry waits and limiter pauses only advance the fake clock."""
    settings = make_settings(**({"max_retries": 3} | overrides))
    limiter = RateLimiter(
        rate=settings.rate_limit_per_second,
        burst=settings.rate_limit_burst,
        max_wait=settings.max_rate_limit_wait,
        clock=fake_time.monotonic,
        epoch=fake_time.epoch,
        sleep=fake_time.sleep,
    )
    return UpstreamClient(
        settings, transport=httpx.MockTransport(router.async_handler), sleep=fake_time.sleep, limiter=limiter
    )


@pytest.fixture
def models_route(router: respx.MockRouter) -> respx.Route:
    return router.get("/models")


@pytest.fixture
def chat_route(router: respx.MockRouter) -> respx.Route:
    return router.post("/chat/completions")


async def test_requests_carry_the_bearer_key_and_attribution_headers(
    router: respx.MockRouter, fake_time: FakeTime, models_route: respx.Route
) -> None:
    models_route.respond(json={"data": []})
    client = upstream(router, fake_time, app_url="https://example.test/app", app_title="My App")
    await client.request_json("GET", "models")
    headers = models_route.calls.last.request.headers
    assert headers["Authorization"] == f"Bearer {SECRET}"
    assert headers["HTTP-Referer"] == "https://example.test/app"
    assert headers["X-Title"] == "My App"
    assert headers["X-OpenRouter-Title"] == "My App"
    await client.aclose()


async def test_requests_go_under_the_configured_base_url(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(json=chat_completion())
    client = upstream(router, fake_time)
    await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    request = chat_route.calls.last.request
    assert str(request.url) == f"{BASE_URL}/chat/completions"
    assert json.loads(request.content) == CHAT_BODY
    await client.aclose()


async def test_a_cookie_the_upstream_sets_is_never_sent_back(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(json=chat_completion(), headers={"Set-Cookie": "__cf_bm=alice-session; Path=/; HttpOnly"})
    client = upstream(router, fake_time)
    await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert chat_route.call_count == 2
    assert "cookie" not in chat_route.calls.last.request.headers
    assert chat_route.calls.last.response.headers["set-cookie"].startswith("__cf_bm=")
    await client.aclose()


async def test_no_authorization_header_is_sent_without_a_key(
    router: respx.MockRouter, fake_time: FakeTime, models_route: respx.Route
) -> None:
    models_route.respond(json={"data": []})
    client = upstream(router, fake_time, api_key=None)
    await client.request_json("GET", "models")
    headers = models_route.calls.last.request.headers
    assert "Authorization" not in headers
    assert headers["X-Title"] == "openrouterai-mcp"
    await client.aclose()


async def test_openai_organization_is_sent_when_configured(
    router: respx.MockRouter, fake_time: FakeTime, models_route: respx.Route
) -> None:
    models_route.respond(json={"data": []})
    client = upstream(router, fake_time, openai_organization="org-42")
    await client.request_json("GET", "models")
    assert models_route.calls.last.request.headers["OpenAI-Organization"] == "org-42"
    await client.aclose()


async def test_anthropic_format_sends_x_api_key_and_version_and_no_bearer(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.post("/v1/messages").respond(json={"ok": True})
    client = upstream(router, fake_time, api_format="anthropic", base_url=BASE_URL, anthropic_version="2023-06-01")
    await client.request_json("POST", "v1/messages", body={})
    headers = route.calls.last.request.headers
    assert headers["x-api-key"] == SECRET
    assert headers["anthropic-version"] == "2023-06-01"
    assert "Authorization" not in headers
    await client.aclose()


@pytest.mark.parametrize("status", [429, 502, 503, 504])
async def test_retryable_status_is_retried_until_success(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route, status: int
) -> None:
    chat_route.side_effect = [
        httpx.Response(status, json={"error": {"message": "busy"}}),
        httpx.Response(200, json=chat_completion()),
    ]
    client = upstream(router, fake_time)
    payload, _ = await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert payload["id"] == chat_completion()["id"]
    assert chat_route.call_count == 2
    assert len(fake_time.sleeps) >= 1
    await client.aclose()


async def test_connect_error_is_retried_even_for_a_post(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [httpx.ConnectError("connection refused"), httpx.Response(200, json=chat_completion())]
    client = upstream(router, fake_time)
    payload, _ = await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert payload["model"] == "anthropic/claude-4.5-sonnet-20250929"
    assert chat_route.call_count == 2
    await client.aclose()


async def test_backoff_waits_grow_between_attempts(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [httpx.Response(503)] * 3 + [httpx.Response(200, json=chat_completion())]
    client = upstream(router, fake_time)
    await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert len(fake_time.sleeps) == 3
    assert 0.5 <= fake_time.sleeps[0] <= 1.0
    assert fake_time.sleeps[2] > fake_time.sleeps[0]
    await client.aclose()


async def test_retry_after_seconds_is_honoured(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": {"message": "slow down", "code": 429}}),
        httpx.Response(200, json=chat_completion()),
    ]
    client = upstream(router, fake_time)
    await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert fake_time.sleeps == [7.0]
    await client.aclose()


async def test_retry_after_is_capped_by_max_rate_limit_wait(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(200, json=chat_completion()),
    ]
    client = upstream(router, fake_time, max_rate_limit_wait=10.0)
    await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert fake_time.sleeps == [10.0]
    await client.aclose()


async def test_retry_after_beyond_the_retry_budget_is_not_waited_for(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(429, headers={"Retry-After": "45"}, json={"error": {"message": "slow down", "code": 429}})
    client = upstream(router, fake_time, retry_budget=30.0)
    with pytest.raises(RateLimited, match="429: slow down"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert chat_route.call_count == 1
    assert fake_time.sleeps == []
    await client.aclose()


async def test_a_429_pauses_the_shared_rate_limiter(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json={"ok": 1})]
    retry_waits: list[float] = []

    async def retry_sleep(seconds: float) -> None:  # does not move the limiter's clock
        retry_waits.append(seconds)

    settings = make_settings(max_retries=3)
    limiter = RateLimiter(
        rate=50, burst=100, max_wait=60, clock=fake_time.monotonic, epoch=fake_time.epoch, sleep=fake_time.sleep
    )
    client = UpstreamClient(
        settings, transport=httpx.MockTransport(router.async_handler), sleep=retry_sleep, limiter=limiter
    )
    await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert retry_waits == [4.0]
    # Every caller goes through the limiter, so the retry (and any concurrent request) waited there too.
    assert sum(fake_time.sleeps) == pytest.approx(4.0)
    await client.aclose()


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
async def test_client_errors_are_not_retried(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route, status: int
) -> None:
    chat_route.respond(status, json={"error": {"message": "nope", "code": status}})
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert caught.value.status == status
    assert chat_route.call_count == 1
    assert fake_time.sleeps == []
    await client.aclose()


@pytest.mark.parametrize("status", [408, 500])
async def test_a_408_or_500_is_retried_even_for_a_chat_post_and_the_call_succeeds(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route, status: int
) -> None:
    chat_route.side_effect = [
        httpx.Response(status, json={"error": {"message": "try again", "code": status}}),
        httpx.Response(200, json=chat_completion()),
    ]
    client = upstream(router, fake_time)
    payload, _ = await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert payload["choices"]
    assert chat_route.call_count == 2
    assert len(fake_time.sleeps) == 1
    await client.aclose()


async def test_a_persistent_500_is_tried_max_retries_plus_one_times_then_reported(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(500, json={"error": {"message": "Internal Server Error", "code": 500}})
    client = upstream(router, fake_time, max_retries=2)
    with pytest.raises(UpstreamStatusError, match="500: Internal Server Error"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert chat_route.call_count == 3
    await client.aclose()


async def test_an_unsupported_url_is_never_retried(fake_time: FakeTime) -> None:
    # Start-up refuses such a URL (see test_settings); a settings object built around it still fails fast.
    settings = make_settings(max_retries=3).model_copy(update={"base_url": "ftp://example.test/api/v1"})
    client = UpstreamClient(settings, sleep=fake_time.sleep)
    with pytest.raises(UpstreamUnreachable, match="unsupported URL"):
        await client.request_json("GET", "models")
    assert fake_time.sleeps == []
    await client.aclose()


async def test_post_is_not_retried_after_a_read_timeout(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = httpx.ReadTimeout("timed out")
    client = upstream(router, fake_time, request_timeout=12)
    with pytest.raises(UpstreamTimeout, match="within 12 s"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert chat_route.call_count == 1
    await client.aclose()


async def test_post_is_not_retried_when_the_connection_drops_after_sending(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamUnreachable, match="lost before the answer was complete"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert chat_route.call_count == 1
    await client.aclose()


async def test_get_is_retried_after_a_read_timeout(
    router: respx.MockRouter, fake_time: FakeTime, models_route: respx.Route
) -> None:
    models_route.side_effect = [httpx.ReadTimeout("timed out"), httpx.Response(200, json={"data": []})]
    client = upstream(router, fake_time)
    payload, _ = await client.request_json("GET", "models")
    assert payload == {"data": []}
    assert models_route.call_count == 2
    await client.aclose()


async def test_attempts_are_bounded_by_max_retries(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(503, json={"error": {"message": "overloaded", "code": 503}})
    client = upstream(router, fake_time, max_retries=2)
    with pytest.raises(UpstreamStatusError, match="503: overloaded"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert chat_route.call_count == 3
    assert len(fake_time.sleeps) == 2
    await client.aclose()


async def test_max_retries_zero_sends_once(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(502)
    client = upstream(router, fake_time, max_retries=0)
    with pytest.raises(UpstreamStatusError):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert chat_route.call_count == 1
    await client.aclose()


async def test_persistent_429_is_reported_as_rate_limited(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(429, json={"error": {"message": "Rate limit exceeded: free-models-per-min", "code": 429}})
    client = upstream(router, fake_time, max_retries=1)
    with pytest.raises(RateLimited) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert caught.value.category == "Rate Limit"
    assert caught.value.message == "429: Rate limit exceeded: free-models-per-min"
    await client.aclose()


async def test_error_text_is_status_and_openrouter_message(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(401, json={"error": {"message": "No auth credentials found", "code": 401}})
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert caught.value.message.startswith("401: No auth credentials found (")
    await client.aclose()


async def test_a_401_names_the_key_variable_to_check(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(401, json={"error": {"message": "User not found.", "code": 401}})
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert caught.value.message == (
        "401: User not found. (check the key in OPENROUTER_API_KEY (or API_KEY): the upstream did not accept it)"
    )
    await client.aclose()


async def test_a_401_without_any_key_says_to_set_one(
    router: respx.MockRouter, fake_time: FakeTime, models_route: respx.Route
) -> None:
    models_route.respond(401, json={"error": {"message": "Missing Authentication header", "code": 401}})
    client = upstream(router, fake_time, api_key=None)
    with pytest.raises(UpstreamStatusError, match=r"no API key is set: set OPENROUTER_API_KEY \(or API_KEY\)"):
        await client.request_json("GET", "models")
    await client.aclose()


async def test_a_refused_connection_names_the_base_url_variable_to_check(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [httpx.ConnectError("All connection attempts failed")]
    client = upstream(router, fake_time, max_retries=0)
    with pytest.raises(UpstreamUnreachable) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert caught.value.message == (
        "could not connect to upstream.test: All connection attempts failed"
        " (check OPENROUTER_BASE_URL: is a server listening at that URL?)"
    )
    await client.aclose()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"base_url": None, "api_endpoint": BASE_URL}, "(check API_ENDPOINT: is a server listening at that URL?)"),
        (
            {"base_url": None},
            "(the default OpenRouter URL is in use: check the network or proxy settings, "
            "or set OPENROUTER_BASE_URL to another server)",
        ),
    ],
    ids=["api-endpoint", "default"],
)
async def test_a_refused_connection_names_whichever_setting_chose_the_url(
    fake_time: FakeTime, overrides: dict[str, Any], expected: str
) -> None:
    router = respx.MockRouter(assert_all_called=False)
    router.get(url__regex=r"/models$").side_effect = [httpx.ConnectError("All connection attempts failed")]
    client = upstream(router, fake_time, max_retries=0, **overrides)
    with pytest.raises(UpstreamUnreachable) as caught:
        await client.request_json("GET", "models")
    assert caught.value.message.endswith(expected)
    assert SECRET not in caught.value.message
    await client.aclose()


async def test_a_refused_stream_names_the_base_url_variable_too(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [httpx.ConnectError("All connection attempts failed")]
    client = upstream(router, fake_time, max_retries=0)
    with pytest.raises(UpstreamUnreachable, match=r"\(check OPENROUTER_BASE_URL: "):
        async with client.stream("POST", "chat/completions", body=CHAT_BODY):
            pass
    await client.aclose()


async def test_error_text_includes_openrouter_provider_metadata(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(
        429,
        json={
            "error": {
                "code": 429,
                "message": "Provider returned error",
                "metadata": {"provider_name": "Google", "raw": "gemini is temporarily rate-limited upstream"},
            },
            "user_id": "user_2wT5",
        },
    )
    client = upstream(router, fake_time, max_retries=0)
    with pytest.raises(RateLimited) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert caught.value.message == "429: Provider returned error (Google: gemini is temporarily rate-limited upstream)"
    await client.aclose()


async def test_error_text_is_status_and_anthropic_message(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post("/v1/messages").respond(
        400,
        json={"type": "error", "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"}},
    )
    client = upstream(router, fake_time, api_format="anthropic")
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request_json("POST", "v1/messages", body={})
    assert caught.value.message == "400: max_tokens: Field required"
    assert route.call_count == 1
    await client.aclose()


async def test_html_error_page_is_summarised_not_dumped(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(403, html="<html><body><h1>403 Forbidden</h1>" + "x" * 5000 + "</body></html>")
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert caught.value.message == "403: (an HTML error page)"
    await client.aclose()


async def test_empty_error_body_is_reported_as_such(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(400)
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamStatusError, match=r"^400: \(empty body\)$"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    await client.aclose()


async def test_long_plain_text_error_is_shortened(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(400, text="bad " * 1000)
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamStatusError) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert len(caught.value.upstream_message) <= 600
    assert caught.value.upstream_message.endswith("…")
    await client.aclose()


async def test_malformed_json_success_body_is_a_protocol_error(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(200, text='{"id": "gen-1", "choices": [')
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamProtocolError, match="not valid JSON"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    await client.aclose()


async def test_empty_success_body_is_a_protocol_error(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(200, text="  \n")
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamProtocolError, match="empty body"):
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    await client.aclose()


async def test_ratelimit_headers_pause_the_next_request(
    router: respx.MockRouter, fake_time: FakeTime, models_route: respx.Route
) -> None:
    models_route.respond(200, json={"data": []}, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "6"})
    client = upstream(router, fake_time)
    await client.request_json("GET", "models")
    assert fake_time.sleeps == []
    await client.request_json("GET", "models")
    assert sum(fake_time.sleeps) == pytest.approx(6.0)
    await client.aclose()


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(401, json={"error": {"message": "No auth credentials found", "code": 401}}),
        httpx.Response(200, text="not json"),
        httpx.Response(502, text="Bad Gateway"),
        httpx.ConnectError("All connection attempts failed"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
    ],
    ids=["401", "bad-json", "502", "connect", "read-timeout", "dropped"],
)
async def test_api_key_never_appears_in_an_error_message(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route, failure: Any
) -> None:
    chat_route.side_effect = [failure]
    client = upstream(router, fake_time, max_retries=0)
    with pytest.raises(UpstreamError) as caught:
        await client.request_json("POST", "chat/completions", body=CHAT_BODY)
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    await client.aclose()


async def test_stream_is_retried_when_the_upstream_is_busy_before_answering(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.side_effect = [httpx.Response(503), httpx.Response(200, text="data: [DONE]\n\n")]
    client = upstream(router, fake_time)
    async with client.stream("POST", "chat/completions", body=CHAT_BODY) as response:
        lines = [line async for line in client.iter_lines(response)]
    assert lines == ["data: [DONE]", ""]
    assert chat_route.call_count == 2
    await client.aclose()


async def test_stream_error_status_carries_the_upstream_message(
    router: respx.MockRouter, fake_time: FakeTime, chat_route: respx.Route
) -> None:
    chat_route.respond(402, json={"error": {"message": "Insufficient credits", "code": 402}})
    client = upstream(router, fake_time)
    with pytest.raises(UpstreamStatusError, match="402: Insufficient credits"):
        async with client.stream("POST", "chat/completions", body=CHAT_BODY):
            pass
    assert chat_route.call_count == 1
    await client.aclose()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("chat/completions", f"{BASE_URL}/chat/completions"),
        ("/v1/messages", f"{BASE_URL}/v1/messages"),
        ("models?limit=1000", f"{BASE_URL}/models?limit=1000"),
    ],
)
async def test_every_request_of_a_path_goes_where_httpx_merges_it_with_the_base_url(
    router: respx.MockRouter, fake_time: FakeTime, path: str, expected: str
) -> None:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"data": []})

    router.route().mock(side_effect=record)
    client = upstream(router, fake_time)
    for _ in range(2):  # the second request reuses the merged URL
        await client.request_json("GET", path)
    async with client.stream("GET", path):
        pass
    assert seen == [expected] * 3
    await client.aclose()
