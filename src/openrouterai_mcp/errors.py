"""The server's error tree. Each class knows the envelope category it is reported under.

    ServerError                  -- "Internal Error": a bug or an unexpected state
    +-- ValidationFailure        -- "Validation Error": bad arguments or configuration; nothing was sent
    +-- UpstreamError            -- "API Error": the upstream answered badly or not at all
    |   +-- UpstreamStatusError  -- a non-2xx answer; carries the status and the upstream's own message
    |   |   +-- RateLimited      -- "Rate Limit": a 429 (status, or code in a body or stream chunk)
    |   +-- UpstreamTimeout      -- no answer within REQUEST_TIMEOUT
    |   +-- UpstreamUnreachable  -- connection refused, reset or closed before an answer
    |   +-- UpstreamProtocolError -- an answer that is not what the API promises (bad JSON, cut stream)
    +-- ModelNotFound            -- "Validation Error": the catalog has no such model
    +-- BudgetExceeded           -- "Rate Limit": a spend budget is reached; nothing was sent

Messages never contain the API key: they are built from statuses, upstream texts and URLs only.
"""

from __future__ import annotations


class ServerError(Exception):
    """Base of every error this server reports in an envelope."""

    category = "Internal Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailure(ServerError):
    category = "Validation Error"


class ModelNotFound(ValidationFailure):
    def __init__(self, model_id: str) -> None:
        super().__init__(f"Model not found: {model_id}")
        self.model_id = model_id


class UpstreamError(ServerError):
    category = "API Error"
    #: Set by the client: whether sending the request again is safe and may help.
    retryable = False


class UpstreamStatusError(UpstreamError):
    def __init__(self, status: int, upstream_message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"{status}: {upstream_message}")
        self.status = status
        self.upstream_message = upstream_message
        self.retry_after = retry_after


class RateLimited(UpstreamStatusError):
    category = "Rate Limit"


class UpstreamTimeout(UpstreamError):
    pass


class UpstreamUnreachable(UpstreamError):
    pass


class UpstreamProtocolError(UpstreamError):
    pass


class BudgetExceeded(ServerError):
    category = "Rate Limit"
