"""The one HTTP client for the upstream API: headers, timeouts, rate limiting, retries, error mapping.

It knows nothing of MCP. Every failure leaves it as an `UpstreamError` (see `errors.py`) whose text
names the HTTP status and the upstream's own message, and never the API key.

Retry policy: connection failures, 408, 429, 500, 502, 503 and 504 are retried with exponential backoff and
jitter (a `Retry-After` or `x-ratelimit-reset` wait replaces the backoff, capped by
`max_rate_limit_wait`), at most `max_retries` times and never past `retry_budget` seconds of waiting.
A POST is retried only when it cannot have reached the model: the connection was never made, or the
upstream answered with one of those statuses (an answered 500 means the request failed, not that it
is being processed, as OpenAI's and Anthropic's SDKs also assume). A read timeout or a connection
lost after sending is reported, not retried, so a chat request is never sent twice. An unsupported
URL is never retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import httpx

from . import __version__
from .errors import (
    RateLimited,
    UpstreamError,
    UpstreamStatusError,
)
from .failures import key_hint, parse_json_body, status_error, transport_error, url_hint
from .jsonbody import SplicedBody
from .ratelimit import RateLimiter
from .settings import Settings

if TYPE_CHECKING:
    from tenacity import AsyncRetrying, RetryCallState

logger = logging.getLogger(__name__)
T = TypeVar("T")

_MAX_CACHED_URLS = 32

Sleep = Callable[[float], Awaitable[None]]


def auth_headers(settings: Settings) -> dict[str, str]:
    """Authentication and attribution headers for the configured API format."""
    key = settings.api_key.get_secret_value() if settings.api_key else None
    if settings.api_format == "anthropic":
        headers = {"anthropic-version": settings.anthropic_version}
        if key:
            headers["x-api-key"] = key
        return headers
    headers = {
        "HTTP-Referer": settings.app_url,
        "X-Title": settings.app_title,
        "X-OpenRouter-Title": settings.app_title,
    }
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if settings.openai_organization:
        headers["OpenAI-Organization"] = settings.openai_organization
    return headers


def _proxy_mounts(settings: Settings) -> dict[str, httpx.AsyncBaseTransport] | None:
    if settings.proxy_url:
        transport = httpx.AsyncHTTPTransport(proxy=settings.proxy_url)
        return {"http://": transport, "https://": transport}
    mounts: dict[str, httpx.AsyncBaseTransport] = {}
    if settings.http_proxy:
        mounts["http://"] = httpx.AsyncHTTPTransport(proxy=settings.http_proxy)
    if settings.https_proxy:
        mounts["https://"] = httpx.AsyncHTTPTransport(proxy=settings.https_proxy)
    return mounts or None


class _NoCookies(httpx.Cookies):
    """A cookie jar that keeps nothing: a `Set-Cookie` from the upstream is never sent back."""

    def extract_cookies(self, response: httpx.Response) -> None:
        del response


class _CookielessClient(httpx.AsyncClient):
    """An API client keeps no cookies, as the Node originals' fetch kept none. One client serves every user of
    the team server, so a kept cookie would travel from one user's call to another's; and httpx's cookie
    bookkeeping (a urllib request built per response) was about 4% of a chat call's CPU."""

    _no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: httpx._types.CookieTypes) -> None:  # pyright: ignore[reportPrivateUsage]
        del cookies


class UpstreamClient:
    """One `httpx.AsyncClient` for the server's lifetime, with limiter and retries around it."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        limiter: RateLimiter | None = None,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._timeout = settings.request_timeout
        self.limiter = limiter or RateLimiter(
            rate=settings.rate_limit_per_second,
            burst=settings.rate_limit_burst,
            max_wait=settings.max_rate_limit_wait,
            sleep=sleep,
        )
        self._transport = transport
        self._base_url = httpx.URL(settings.resolved_base_url + "/")
        self._client: httpx.AsyncClient | None = None
        self._key_hint = key_hint(settings)
        self._url_hint = url_hint(settings)
        self._urls: dict[str, httpx.URL] = {}

    @property
    def _http(self) -> httpx.AsyncClient:
        # Made on first use: building the TLS context takes ~25 ms that `initialize` should not wait for.
        if self._client is None:
            settings = self._settings
            self._client = _CookielessClient(
                base_url=self._base_url,
                headers={"User-Agent": f"openrouterai-mcp/{__version__}", **auth_headers(settings)},
                timeout=httpx.Timeout(settings.request_timeout),
                limits=httpx.Limits(max_connections=256, max_keepalive_connections=128, keepalive_expiry=60),
                transport=self._transport,
                mounts=None if self._transport else _proxy_mounts(settings),
                follow_redirects=True,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def url_for(self, path: str) -> str:
        return str(self._base_url.join(path))

    def _url(self, path: str) -> httpx.URL:
        """`path` merged with the base URL exactly as httpx merges it, once per path (the paths are a few
        constants): given a relative path, httpx parses and merges it again on every request (~40 µs)."""
        url = self._urls.get(path)
        if url is None:
            url = self._http.build_request("GET", path).url
            if len(self._urls) < _MAX_CACHED_URLS:
                self._urls[path] = url
        return url

    async def _with_retries(self, once: Callable[[], Awaitable[T]]) -> T:
        """`once()`, retried as the module docstring says.

        The first attempt runs bare: almost every call succeeds at once, so the retry machinery (about
        0.1 ms a call, and tenacity's import at start-up) is built only after a retryable failure.
        """
        started = time.monotonic()
        try:
            return await once()
        except UpstreamError as exc:
            if not exc.retryable:
                raise
            failure = exc
        # Tenacity takes over as if it had made the first attempt itself: it is shown that attempt's
        # failure (no request is sent again for it), then waits, counts and stops exactly as before.
        replay = [failure]
        async for attempt in self._retrying(spent=time.monotonic() - started):
            with attempt:
                if replay:
                    raise replay.pop()
                return await once()
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _retrying(self, *, spent: float) -> AsyncRetrying:
        from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, stop_before_delay

        settings = self._settings
        # The budget counts from the first attempt, which ran before tenacity started its clock.
        budget = max(0.0, settings.retry_budget - spent)
        return AsyncRetrying(
            stop=stop_after_attempt(settings.max_retries + 1) | stop_before_delay(budget),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: getattr(exc, "retryable", False)),
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._before_sleep,
        )

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, UpstreamStatusError) and error.retry_after is not None:
            return min(error.retry_after, self._settings.max_rate_limit_wait)
        if isinstance(error, UpstreamStatusError) and error.status == 429:
            # Other callers wait too; this one waits for whatever pause the limiter now holds.
            return max(_backoff(state), 1.0)
        return _backoff(state)

    def _before_sleep(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited) and state.upcoming_sleep:
            self.limiter.pause_for(state.upcoming_sleep)
        logger.info("retrying after %s (attempt %d, waiting %.2f s)", error, state.attempt_number, state.upcoming_sleep)

    def _build(self, method: str, path: str, body: Any) -> httpx.Request:
        if isinstance(body, SplicedBody):
            # Large base64 strings go out in slices (jsonbody.py); the length is known, so no chunked encoding.
            headers = {"Content-Type": "application/json", "Content-Length": str(body.length)}
            return self._http.build_request(method, self._url(path), content=body, headers=headers)
        return self._http.build_request(method, self._url(path), json=body)

    async def request_json(
        self, method: str, path: str, *, body: Any = None, idempotent: bool | None = None
    ) -> tuple[Any, httpx.Headers]:
        """Send a request and return the parsed JSON body and the response headers."""
        may_resend = method == "GET" if idempotent is None else idempotent
        return await self._with_retries(lambda: self._send_once(method, path, body, may_resend))

    async def _send_once(self, method: str, path: str, body: Any, may_resend: bool) -> tuple[Any, httpx.Headers]:
        await self.limiter.acquire()
        try:
            with anyio.fail_after(self._timeout):
                response = await self._http.send(self._build(method, path, body))
        except (httpx.HTTPError, TimeoutError) as exc:
            raise transport_error(
                exc, timeout=self._timeout, may_resend=may_resend, connect_hint=self._url_hint
            ) from None
        self.limiter.observe(response.headers)
        if response.status_code >= 400:
            raise status_error(response, response.content, time.time(), self._key_hint)
        return parse_json_body(response), response.headers

    @asynccontextmanager
    async def stream(self, method: str, path: str, *, body: Any = None) -> AsyncGenerator[httpx.Response]:
        """Open a streaming response (retrying only before any answer has started)."""
        response = await self._with_retries(lambda: self._open_stream_once(method, path, body))
        try:
            yield response
        finally:
            await response.aclose()

    async def _open_stream_once(self, method: str, path: str, body: Any) -> httpx.Response:
        await self.limiter.acquire()
        request = self._build(method, path, body)
        try:
            with anyio.fail_after(self._timeout):
                response = await self._http.send(request, stream=True)
        except (httpx.HTTPError, TimeoutError) as exc:
            raise transport_error(exc, timeout=self._timeout, may_resend=False, connect_hint=self._url_hint) from None
        self.limiter.observe(response.headers)
        if response.status_code >= 400:
            try:
                with anyio.fail_after(self._timeout):
                    content = await response.aread()
            except (httpx.HTTPError, TimeoutError):
                content = b""
            finally:
                await response.aclose()
            raise status_error(response, content, time.time(), self._key_hint)
        return response

    async def iter_lines(self, response: httpx.Response) -> AsyncIterator[str]:
        """The lines of a streaming body; a lost connection or a silent upstream becomes an `UpstreamError`."""
        try:
            async for line in response.aiter_lines():
                yield line
        except httpx.HTTPError as exc:
            raise transport_error(exc, timeout=self._timeout, may_resend=False) from None


def _backoff(state: RetryCallState) -> float:
    """0.5 s doubling up to 8 s, plus up to 0.5 s of jitter (tenacity's exponential + random waits)."""
    # (wait_exponential_jitter's `initial` is deprecated in tenacity 9 and its replacement `multiplier`
    # does not exist in 8.x.)
    from tenacity import wait_exponential, wait_random

    return (wait_exponential(multiplier=0.5, max=8.0) + wait_random(0, 0.5))(state)
