"""The `Settings` model: every setting, the environment variables that feed it, and its validation.

Read it through `settings.py` (`load_settings`), which turns a bad value into a `ConfigError` naming the variable.
Both products' variable names are accepted: the TypeScript original's `OPENROUTER_*` and MCP AI Gateway's
`API_*` / `DEFAULT_*`. Where both name the same thing, the `OPENROUTER_` one wins (it is listed first in each
`AliasChoices`).
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .jsonshape import as_dict
from .settings_values import (
    API_SCHEMES,
    DATABASE_SCHEMES,
    PROXY_SCHEMES,
    absolute_path,
    absolute_url,
    blank_is_unset,
    comma_list,
    is_placeholder,
    json_or_comma_list,
    normalise_case,
    on_off,
    path_list,
)

DEFAULT_BASE_URL = "https://openrouter.ai/api/v1"
DEFAULT_ANTHROPIC_URL = "https://api.anthropic.com"

ProviderSort = Literal["price", "throughput", "latency"]
DataCollection = Literal["allow", "deny"]
ApiFormat = Literal["openai", "anthropic"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def _env(*names: str, description: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(*names), description=description)


_PROXY_FIELDS = frozenset({"proxy_url", "http_proxy", "https_proxy"})

CommaList = Annotated[list[str] | None, NoDecode]
PathList = Annotated[list[str] | None, NoDecode]


class Settings(BaseSettings):
    """Every setting, with the environment variable names that feed it."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # Client configs often carry "" for variables the user did not fill in: that means unset.
        env_ignore_empty=True,
        populate_by_name=True,
        case_sensitive=False,
    )

    # Upstream and authentication
    api_key: SecretStr | None = _env(
        "OPENROUTER_API_KEY",
        "API_KEY",
        description="the API key; required for chat and get_key_info (the model catalog works without it)",
    )
    api_format: ApiFormat = Field(
        default="openai",
        validation_alias=AliasChoices("API_FORMAT"),
        description="openai (OpenRouter and OpenAI-compatible APIs) or anthropic (the Anthropic Messages API)",
    )
    base_url: str | None = _env(
        "OPENROUTER_BASE_URL",
        description="upstream base URL; default https://openrouter.ai/api/v1 (https://api.anthropic.com for anthropic)",
    )
    api_endpoint: str | None = _env(
        "API_ENDPOINT",
        description="base URL of any compatible API (a full .../chat/completions URL too); OPENROUTER_BASE_URL wins",
    )
    request_timeout: float = Field(
        default=60.0,
        gt=0,
        validation_alias=AliasChoices("REQUEST_TIMEOUT"),
        description="seconds each upstream attempt may take",
    )
    anthropic_version: str = Field(
        default="2023-06-01",
        validation_alias=AliasChoices("ANTHROPIC_VERSION"),
        description="anthropic-version header sent with API_FORMAT=anthropic",
    )
    openai_organization: str | None = _env("OPENAI_ORGANIZATION", description="sent as the OpenAI-Organization header")
    proxy_url: str | None = _env("PROXY_URL", description="one proxy for every upstream URL; wins over HTTP(S)_PROXY")
    http_proxy: str | None = _env("HTTP_PROXY", description="proxy for http:// upstream URLs")
    https_proxy: str | None = _env("HTTPS_PROXY", description="proxy for https:// upstream URLs")
    app_url: str = Field(
        default="https://github.com/openrouterai-mcp/openrouterai-mcp",
        validation_alias=AliasChoices("OPENROUTER_HTTP_REFERER"),
        description="HTTP-Referer attribution header (the app URL OpenRouter shows)",
    )
    app_title: str = Field(
        default="openrouterai-mcp",
        validation_alias=AliasChoices("OPENROUTER_X_TITLE"),
        description="X-Title attribution header (the app name OpenRouter shows)",
    )

    # Chat defaults
    default_model: str | None = _env(
        "OPENROUTER_DEFAULT_MODEL",
        "DEFAULT_MODEL",
        description="model used when a call names none (unset: openrouter/auto)",
    )
    max_tokens: int | None = Field(
        default=None,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_MAX_TOKENS", "DEFAULT_MAX_TOKENS"),
        description="max_tokens when a call gives none (unset: not sent; 1024 with API_FORMAT=anthropic)",
    )
    default_temperature: float | None = Field(
        default=None,
        ge=0,
        le=2,
        validation_alias=AliasChoices("DEFAULT_TEMPERATURE"),
        description="temperature when a call gives none, 0 to 2 (unset: 1)",
    )
    description: str | None = _env(
        "DESCRIPTION", description="free text appended to chat_completion's description (which model for what)"
    )
    context_budget_tokens: int = Field(
        default=200_000,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_CONTEXT_BUDGET_TOKENS"),
        description="trim the oldest messages beyond this many tokens (estimated at 4 characters per token)",
    )

    # Provider routing defaults (each overridden per field by a call's `provider`)
    provider_quantizations: CommaList = _env(
        "OPENROUTER_PROVIDER_QUANTIZATIONS", description="comma list sent as provider.quantizations"
    )
    provider_ignore: CommaList = _env("OPENROUTER_PROVIDER_IGNORE", description="comma list sent as provider.ignore")
    provider_sort: ProviderSort | None = _env(
        "OPENROUTER_PROVIDER_SORT", description="price, throughput or latency, sent as provider.sort"
    )
    provider_order: CommaList = _env(
        "OPENROUTER_PROVIDER_ORDER", description='JSON array (["a", "b"]) or comma list sent as provider.order'
    )
    provider_require_parameters: bool | None = _env(
        "OPENROUTER_PROVIDER_REQUIRE_PARAMETERS", description="true or false, sent as provider.require_parameters"
    )
    provider_data_collection: DataCollection | None = _env(
        "OPENROUTER_PROVIDER_DATA_COLLECTION", description="allow or deny, sent as provider.data_collection"
    )
    provider_allow_fallbacks: bool | None = _env(
        "OPENROUTER_PROVIDER_ALLOW_FALLBACKS", description="true or false, sent as provider.allow_fallbacks"
    )

    # Reliability
    max_retries: int = Field(
        default=3,
        ge=0,
        le=10,
        validation_alias=AliasChoices("OPENROUTER_MAX_RETRIES"),
        description="retries after the first attempt, 0 to 10",
    )
    retry_budget: float = Field(
        default=30.0,
        ge=0,
        validation_alias=AliasChoices("OPENROUTER_RETRY_BUDGET"),
        description="most seconds one call may spend waiting between retries",
    )
    rate_limit_per_second: float = Field(
        default=500.0,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_RATE_LIMIT_PER_SECOND"),
        description="client-side token bucket: requests per second",
    )
    rate_limit_burst: int = Field(
        default=500,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_RATE_LIMIT_BURST"),
        description="client-side token bucket: burst size",
    )
    max_rate_limit_wait: float = Field(
        default=30.0,
        ge=0,
        validation_alias=AliasChoices("OPENROUTER_MAX_RATE_LIMIT_WAIT"),
        description="cap in seconds on a wait the upstream asks for (Retry-After, x-ratelimit-reset)",
    )
    catalog_ttl: float = Field(
        default=3600.0,
        ge=0,
        validation_alias=AliasChoices("OPENROUTER_CATALOG_TTL"),
        description="seconds the model catalog is cached (0: fetched on every call)",
    )
    progress_interval: float = Field(
        default=2.0,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_PROGRESS_INTERVAL"),
        description="most seconds between progress notifications while the model is silent",
    )
    log_level: LogLevel = Field(
        default="WARNING",
        validation_alias=AliasChoices("OPENROUTER_LOG_LEVEL", "LOG_LEVEL"),
        description="stderr log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (any case)",
    )

    # Multimodal: local files (the sandbox), size limits, generated images
    file_roots: PathList = _env(
        "OPENROUTER_FILE_ROOTS",
        description=f"absolute directories (separated by {os.pathsep!r}) whose files chat calls may read; unset: none",
    )
    max_file_mb: float = Field(
        default=20.0,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_MAX_FILE_MB"),
        description="largest file, data: URI or base64 audio part a chat call may send, in MB",
    )
    max_request_mb: float = Field(
        default=50.0,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_MAX_REQUEST_MB"),
        description="largest total of all files, data: URIs and audio of one chat call, in MB",
    )
    output_dir: str | None = _env(
        "OPENROUTER_OUTPUT_DIR",
        description="absolute directory where generated images are saved (created if missing); unset: not saved",
    )
    max_inline_image_mb: float = Field(
        default=2.0,
        ge=0,
        validation_alias=AliasChoices("OPENROUTER_MAX_INLINE_IMAGE_MB"),
        description="generated images larger than this (MB) are saved to a file instead of returned inline",
    )

    # Performance
    uvloop: bool = Field(
        default=True,
        validation_alias=AliasChoices("OPENROUTER_UVLOOP"),
        description="run on uvloop where it is installed (Linux, macOS); off: stock asyncio",
    )

    @model_validator(mode="before")
    @classmethod
    def _unfilled_bundle_fields_are_unset(cls, data: Any) -> Any:
        # An MCP Bundle host leaves `${user_config.x}` in the environment for an optional field the user left
        # empty (and no default); such a placeholder means "not set", like an empty value.
        if isinstance(data, dict):
            values = as_dict(data)
            return {key: value for key, value in values.items() if not is_placeholder(value)}
        return data

    # Team server (SPEC §10): `--transport http`, users, limits and shutdown
    mcp_transport: Literal["stdio", "http"] = Field(
        default="stdio",
        validation_alias=AliasChoices("OPENROUTER_MCP_TRANSPORT"),
        description="stdio (one local client) or http (Streamable HTTP at /mcp, the team server)",
    )
    mcp_host: str = Field(
        default="127.0.0.1",
        validation_alias=AliasChoices("OPENROUTER_MCP_HOST"),
        description="address the HTTP server listens on; non-loopback needs OPENROUTER_MCP_TOKENS_FILE",
    )
    mcp_port: int = Field(
        default=8000,
        ge=0,
        le=65535,
        validation_alias=AliasChoices("OPENROUTER_MCP_PORT"),
        description="TCP port of the HTTP server (0 picks a free one)",
    )
    mcp_tokens_file: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENROUTER_MCP_TOKENS_FILE"),
        description="file of '<user> <token> [<daily budget USD>]' lines; every /mcp request needs a bearer token",
    )
    mcp_max_body_mb: float = Field(
        default=64.0,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_MCP_MAX_BODY_MB"),
        description="largest HTTP request body accepted, in MB (larger: 413)",
    )
    mcp_max_concurrent_per_user: int = Field(
        default=16,
        gt=0,
        validation_alias=AliasChoices("OPENROUTER_MCP_MAX_CONCURRENT_PER_USER"),
        description="tool calls one user may run at once on one server process (more: Error: Rate Limit)",
    )
    mcp_shutdown_grace: float = Field(
        default=10.0,
        ge=0,
        validation_alias=AliasChoices("OPENROUTER_MCP_SHUTDOWN_GRACE"),
        description="seconds in-flight calls may take to finish after SIGTERM",
    )

    @field_validator("file_roots", mode="before")
    @classmethod
    def _split_roots(cls, value: Any) -> Any:
        return path_list(value)

    @field_validator("file_roots")
    @classmethod
    def _absolute_roots(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [absolute_path(item) for item in value]

    @field_validator("output_dir")
    @classmethod
    def _absolute_output_dir(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else absolute_path(value)

    # Conversations, ledger and budgets (the store)
    data_dir: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENROUTER_DATA_DIR"),
        description="Directory of the SQLite store (default: the user data directory for openrouterai-mcp)",
    )
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OPENROUTER_DATABASE_URL"),
        description="postgresql://user:password@host/db to keep the store in PostgreSQL instead of SQLite",
    )
    history: bool = Field(
        default=True,
        validation_alias=AliasChoices("OPENROUTER_HISTORY"),
        description="on/off: keep conversation text so conversation_id can continue a thread",
    )
    history_days: int = Field(
        default=30,
        ge=1,
        validation_alias=AliasChoices("OPENROUTER_HISTORY_DAYS"),
        description="Days a conversation is kept after its last message",
    )
    budget_daily_usd: float | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices("OPENROUTER_BUDGET_DAILY_USD"),
        description="Most USD spent per UTC day; further chat calls are refused",
    )
    budget_monthly_usd: float | None = Field(
        default=None,
        ge=0,
        validation_alias=AliasChoices("OPENROUTER_BUDGET_MONTHLY_USD"),
        description="Most USD spent per UTC calendar month; further chat calls are refused",
    )
    max_result_chars: int = Field(
        default=60_000,
        ge=1_000,
        validation_alias=AliasChoices("OPENROUTER_MAX_RESULT_CHARS"),
        description="Longest tool result text; longer answers are cut (and kept whole in the store)",
    )

    @field_validator("database_url", mode="after")
    @classmethod
    def _database_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(DATABASE_SCHEMES):
            raise ValueError("expected a postgresql://… or sqlite:///… URL")
        return value

    @field_validator("history", mode="before")
    @classmethod
    def _on_off(cls, value: Any) -> Any:
        return on_off(value)

    @field_validator(
        "log_level", "api_format", "provider_sort", "provider_data_collection", "mcp_transport", mode="before"
    )
    @classmethod
    def _normalise_case(cls, value: Any) -> Any:
        return normalise_case(value)

    @field_validator("provider_quantizations", "provider_ignore", mode="before")
    @classmethod
    def _split_comma_list(cls, value: Any) -> Any:
        return comma_list(value)

    @field_validator("provider_order", mode="before")
    @classmethod
    def _split_json_or_comma_list(cls, value: Any) -> Any:
        return json_or_comma_list(value)

    @field_validator(
        "api_key",
        "base_url",
        "api_endpoint",
        "default_model",
        "description",
        "openai_organization",
        "data_dir",
        "database_url",
        "proxy_url",
        "http_proxy",
        "https_proxy",
        "mcp_tokens_file",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return blank_is_unset(value)

    @field_validator("base_url", "api_endpoint", "proxy_url", "http_proxy", "https_proxy", mode="after")
    @classmethod
    def _absolute_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return absolute_url(value, PROXY_SCHEMES if info.field_name in _PROXY_FIELDS else API_SCHEMES)

    @property
    def is_openrouter(self) -> bool:
        """Whether to send OpenRouter's request extras (provider routing, usage accounting).

        True unless the gateway's API_ENDPOINT points somewhere other than openrouter.ai: an OpenAI-compatible
        API such as OpenAI's own rejects fields it does not know.
        """
        if self.api_format != "openai":
            return False
        return bool(self.base_url) or not self.api_endpoint or "openrouter.ai" in self.api_endpoint

    @property
    def resolved_base_url(self) -> str:
        """The base URL with a pasted endpoint path (`/chat/completions`, `/v1/messages`) taken off."""
        url = (
            self.base_url
            or self.api_endpoint
            or (DEFAULT_ANTHROPIC_URL if self.api_format == "anthropic" else DEFAULT_BASE_URL)
        ).rstrip("/")
        for suffix in ("/chat/completions", "/completions", "/messages"):
            if url.endswith(suffix):
                url = url[: -len(suffix)].rstrip("/")
        return url

    def provider_defaults(self) -> dict[str, Any]:
        """The `provider` object the environment asks for; `False` values are kept."""
        fields: dict[str, Any] = {
            "quantizations": self.provider_quantizations,
            "ignore": self.provider_ignore,
            "sort": self.provider_sort,
            "order": self.provider_order,
            "require_parameters": self.provider_require_parameters,
            "data_collection": self.provider_data_collection,
            "allow_fallbacks": self.provider_allow_fallbacks,
        }
        return {name: value for name, value in fields.items() if value is not None}
