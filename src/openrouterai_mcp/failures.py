"""How upstream failures become errors: the upstream's own message, status and transport errors, and
the hints that name what to check (the key's variable after a 401, the URL's after a refused connection).

Texts are built from statuses, upstream messages and hosts only: never the API key, never a full URL
(which may carry credentials).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .errors import (
    RateLimited,
    UpstreamError,
    UpstreamProtocolError,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from .jsonshape import as_dict
from .ratelimit import parse_retry_after
from .settings import Settings

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_MAX_MESSAGE_CHARS = 600
# Transport failures after which a request cannot have reached the upstream application.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def key_hint(settings: Settings) -> str:
    """What to check when the upstream answers 401: the variable that holds the key."""
    if settings.api_key is None:
        return "no API key is set: set OPENROUTER_API_KEY (or API_KEY)"
    return "check the key in OPENROUTER_API_KEY (or API_KEY): the upstream did not accept it"


def url_hint(settings: Settings) -> str:
    """What to check when the upstream cannot be reached: the variable that set the URL (never its value,
    which may carry credentials; the host is already in the message)."""
    if settings.base_url:
        return "check OPENROUTER_BASE_URL: is a server listening at that URL?"
    if settings.api_endpoint:
        return "check API_ENDPOINT: is a server listening at that URL?"
    default = "Anthropic" if settings.api_format == "anthropic" else "OpenRouter"
    return (
        f"the default {default} URL is in use: check the network or proxy settings, "
        "or set OPENROUTER_BASE_URL to another server"
    )


def upstream_message(body: bytes, content_type: str) -> str:
    """The upstream's own error text from an error body (OpenAI, OpenRouter or Anthropic shape)."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return "(empty body)"
    try:
        payload: Any = json.loads(text)
    except json.JSONDecodeError:
        return _shorten(" ".join(text.split())) if "html" not in content_type else "(an HTML error page)"
    return _shorten(_message_from_payload(payload) or " ".join(text.split()))


def _message_from_payload(payload: Any) -> str | None:
    body = as_dict(payload)
    error = body.get("error")
    if isinstance(error, str):
        return error
    if isinstance(error, dict):
        details = as_dict(error)
        message = details.get("message")
        text = str(message) if message is not None else json.dumps(details)
        metadata = as_dict(details.get("metadata"))
        extra = [str(part) for part in (metadata.get("provider_name"), metadata.get("raw")) if part]
        if extra:
            text += f" ({': '.join(extra)})"
        return text
    for key in ("message", "detail"):
        if body.get(key):
            return str(body[key])
    return None


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE_CHARS else text[: _MAX_MESSAGE_CHARS - 1] + "…"


def status_error(response: httpx.Response, body: bytes, epoch: float, hint_401: str) -> UpstreamStatusError:
    message = upstream_message(body, response.headers.get("content-type", ""))
    if response.status_code == 401:
        message += f" ({hint_401})"
    retry_after_header = response.headers.get("retry-after")
    retry_after = parse_retry_after(retry_after_header, epoch) if retry_after_header else None
    status = response.status_code
    error_class = RateLimited if status == 429 else UpstreamStatusError
    error = error_class(status, message, retry_after=retry_after)
    error.retryable = status in RETRYABLE_STATUSES
    return error


def transport_error(exc: Exception, *, timeout: float, may_resend: bool, connect_hint: str = "") -> UpstreamError:
    """Map an httpx failure to an `UpstreamError`, marking whether it may be retried.

    `connect_hint` (what to check, `url_hint`) follows a refused connection in brackets."""
    host = ""
    if isinstance(exc, httpx.RequestError):
        try:
            host = exc.request.url.host
        except RuntimeError:
            host = ""
    where = f" {host}" if host else " the upstream"
    error: UpstreamError
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        error = UpstreamTimeout(f"could not connect to{where} within {timeout:g} s (REQUEST_TIMEOUT)")
    elif isinstance(exc, httpx.TimeoutException | TimeoutError):
        error = UpstreamTimeout(f"no answer from{where} within {timeout:g} s (REQUEST_TIMEOUT)")
    elif isinstance(exc, httpx.ConnectError):
        hint = f" ({connect_hint})" if connect_hint else ""
        error = UpstreamUnreachable(f"could not connect to{where}: {_reason(exc)}{hint}")
    elif isinstance(exc, httpx.UnsupportedProtocol):
        error = UpstreamUnreachable(f"unsupported URL: {exc}")
    else:
        error = UpstreamUnreachable(f"the connection to{where} was lost before the answer was complete")
    error.retryable = not isinstance(exc, httpx.UnsupportedProtocol) and (isinstance(exc, _NOT_SENT) or may_resend)
    return error


def _reason(exc: Exception) -> str:
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def parse_json_body(response: httpx.Response) -> Any:
    content = response.content
    if not content.strip():
        raise UpstreamProtocolError(f"{response.status_code}: the upstream sent an empty body")
    try:
        return json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise UpstreamProtocolError(
            f"{response.status_code}: the upstream sent a body that is not valid JSON ({len(content)} bytes)"
        ) from None
