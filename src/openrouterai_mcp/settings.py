"""Configuration: the only reader of the environment and of the `.env` file.

Both products' variable names are accepted: the TypeScript original's `OPENROUTER_*` and MCP AI
Gateway's `API_*` / `DEFAULT_*`. Where both name the same thing, the `OPENROUTER_` one wins (it is
listed first in each `AliasChoices`). A bad value raises `ConfigError`, whose message names the
variable that was set and the values it accepts.

`Settings` and its fields live in `settings_fields.py`; this module holds what is built around them: how
`--help` and `check` group the fields, and `load_settings`, which maps a validation failure to `ConfigError`.
Everything is imported from here.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .settings_fields import (
    DEFAULT_ANTHROPIC_URL,
    DEFAULT_BASE_URL,
    ApiFormat,
    DataCollection,
    LogLevel,
    ProviderSort,
    Settings,
)
from .settings_values import DATABASE_SCHEMES, hide_url_password, is_placeholder

__all__ = [
    "DATABASE_SCHEMES",
    "DEFAULT_ANTHROPIC_URL",
    "DEFAULT_BASE_URL",
    "OTHER_GROUP",
    "SETTING_GROUPS",
    "ApiFormat",
    "ConfigError",
    "DataCollection",
    "LogLevel",
    "ProviderSort",
    "Settings",
    "grouped_fields",
    "hide_url_password",
    "is_placeholder",
    "load_settings",
    "requested_transport",
    "variable_names",
]

#: How `--help` and `check` group the settings, in this order. A field not listed here (a feature's new
#: setting) is shown under OTHER_GROUP, so nothing is ever left out.
SETTING_GROUPS: dict[str, tuple[str, ...]] = {
    "Upstream and authentication": (
        "api_key",
        "api_format",
        "base_url",
        "api_endpoint",
        "request_timeout",
        "anthropic_version",
        "openai_organization",
        "proxy_url",
        "http_proxy",
        "https_proxy",
        "app_url",
        "app_title",
    ),
    "Chat defaults": ("default_model", "max_tokens", "default_temperature", "description", "context_budget_tokens"),
    "Provider routing defaults (OpenRouter; a call's provider object overrides each)": (
        "provider_quantizations",
        "provider_ignore",
        "provider_sort",
        "provider_order",
        "provider_require_parameters",
        "provider_data_collection",
        "provider_allow_fallbacks",
    ),
    "Reliability and logging": (
        "max_retries",
        "retry_budget",
        "rate_limit_per_second",
        "rate_limit_burst",
        "max_rate_limit_wait",
        "catalog_ttl",
        "progress_interval",
        "log_level",
    ),
    "Multimodal (images, PDFs, audio, video; docs/multimodal.md)": (
        "file_roots",
        "max_file_mb",
        "max_request_mb",
        "output_dir",
        "max_inline_image_mb",
    ),
    "Performance": ("uvloop",),
    "Conversations, ledger and budgets": (
        "data_dir",
        "database_url",
        "history",
        "history_days",
        "budget_daily_usd",
        "budget_monthly_usd",
        "max_result_chars",
    ),
    "Team server (--transport http)": (
        "mcp_transport",
        "mcp_host",
        "mcp_port",
        "mcp_tokens_file",
        "mcp_max_body_mb",
        "mcp_max_concurrent_per_user",
        "mcp_shutdown_grace",
    ),
}
OTHER_GROUP = "Other settings"


def grouped_fields() -> list[tuple[str, list[str]]]:
    """Every Settings field, grouped as SETTING_GROUPS says, in declaration order within "Other"."""
    listed = {name for names in SETTING_GROUPS.values() for name in names}
    groups = [
        (title, [name for name in names if name in Settings.model_fields]) for title, names in SETTING_GROUPS.items()
    ]
    others = [name for name in Settings.model_fields if name not in listed]
    if others:
        groups.append((OTHER_GROUP, others))
    return [(title, names) for title, names in groups if names]


class ConfigError(Exception):
    """A variable holds a value the server cannot use; the message names it."""


_ALLOWED_HINTS: dict[str, str] = {
    "api_format": "openai or anthropic",
    "provider_sort": "price, throughput or latency",
    "provider_data_collection": "allow or deny",
    "provider_require_parameters": "true or false",
    "provider_allow_fallbacks": "true or false",
    "max_tokens": "a whole number greater than 0",
    "default_temperature": "a number from 0 to 2",
    "request_timeout": "a number of seconds greater than 0",
    "provider_order": 'a JSON array of strings such as ["openai", "anthropic"], or a comma list',
    "log_level": "DEBUG, INFO, WARNING, ERROR or CRITICAL",
    "base_url": "an absolute http(s) URL such as https://openrouter.ai/api/v1",
    "api_endpoint": "an absolute http(s) URL such as https://api.openai.com/v1",
    "proxy_url": "an absolute proxy URL such as http://proxy.example:8080",
    "http_proxy": "an absolute proxy URL such as http://proxy.example:8080",
    "https_proxy": "an absolute proxy URL such as http://proxy.example:8080",
    "file_roots": f"absolute directory paths separated by {os.pathsep!r}",
    "output_dir": "an absolute directory path",
    "max_file_mb": "a number of megabytes greater than 0",
    "max_request_mb": "a number of megabytes greater than 0",
    "max_inline_image_mb": "a number of megabytes (0 or more)",
    "uvloop": "on or off (true/false, 1/0, yes/no)",
    "history": "on or off",
    "history_days": "a whole number of days, at least 1",
    "budget_daily_usd": "a number of US dollars, 0 or more",
    "budget_monthly_usd": "a number of US dollars, 0 or more",
    "max_result_chars": "a whole number of characters, at least 1000",
    "mcp_transport": "stdio or http",
    "mcp_port": "a port number from 0 to 65535",
    "mcp_max_body_mb": "a number of megabytes greater than 0",
    "mcp_max_concurrent_per_user": "a whole number greater than 0",
    "mcp_shutdown_grace": "a number of seconds, 0 or more",
}


def variable_names(field_name: str) -> list[str]:
    """The environment variables that feed a field, the winning one first."""
    alias = Settings.model_fields[field_name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    return [field_name.upper()]


def _set_variable(field_name: str, env_file_values: dict[str, str]) -> str:
    """The name of the variable that actually supplied the bad value (the first one set wins)."""
    names = variable_names(field_name)
    environ = {key.upper() for key in os.environ}
    for name in names:
        if name.upper() in environ or name.upper() in env_file_values:
            return name
    return names[0]


def _read_env_file_keys() -> dict[str, str]:
    try:
        with open(".env", encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return {}
    keys: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            keys[key.strip().removeprefix("export ").strip().upper()] = value
    return keys


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a bad value becomes a `ConfigError` naming the variable and what it accepts."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        env_file_values = _read_env_file_keys()
        problems: list[str] = []
        for error in exc.errors():
            field_name = str(error["loc"][0]) if error["loc"] else ""
            if field_name not in Settings.model_fields:
                field_name = next(
                    (name for name in Settings.model_fields if field_name.upper() in variable_names(name)),
                    field_name,
                )
            if field_name in Settings.model_fields:
                variable = _set_variable(field_name, env_file_values)
            else:
                variable = field_name.upper()
            given = error.get("input")
            hint = _ALLOWED_HINTS.get(field_name)
            detail = f"expected {hint}" if hint else str(error["msg"])
            if isinstance(given, str) and field_name != "api_key":
                problems.append(f"{variable}={hide_url_password(given)!r} is invalid: {detail}")
            else:
                problems.append(f"{variable} is invalid: {detail}")
        raise ConfigError("; ".join(problems)) from None


class _TransportOnly(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True, case_sensitive=False
    )
    transport: str = Field(default="stdio", validation_alias=AliasChoices("OPENROUTER_MCP_TRANSPORT"))


def requested_transport() -> str:
    """`OPENROUTER_MCP_TRANSPORT` alone (lower case), for when the full settings fail to load."""
    return _TransportOnly().transport.strip().lower()
