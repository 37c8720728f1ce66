"""`openrouterai-mcp check`: the effective configuration with each value's source, live probes, a verdict.

It prints to stdout (here stdout is not the protocol) and returns the exit status: 0 when every check
passed, 1 otherwise. The key is shown masked (`sk-or-…abcd`) and never appears in full, even in an
upstream's error text. Works for every API the server does: OpenRouter, another OpenAI-compatible
`API_ENDPOINT`, and `API_FORMAT=anthropic`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

import anyio
import httpx

from . import __version__, providers
from .catalog import CatalogIndex, parse_model_list
from .chat import FALLBACK_MODEL
from .client import UpstreamClient
from .envelope import REDACTED
from .errors import ModelNotFound, ServerError, UpstreamStatusError
from .jsonshape import as_dict
from .settings import (
    ConfigError,
    Settings,
    grouped_fields,
    hide_url_password,
    is_placeholder,
    load_settings,
    variable_names,
)

# Shown even at their defaults: what a user needs to see to understand where calls go.
_ALWAYS_SHOWN = ("api_key", "api_format", "base_url", "default_model", "request_timeout")
# A check should answer in seconds, not after the full retry policy.
_PROBE_RETRIES = 1
_PROBE_RETRY_BUDGET = 3.0
_PROBE_TIMEOUT = 20.0


def mask_key(key: str) -> str:
    """`sk-or-v1-…abcd`-style: the key's kind prefix and its last four characters, never more."""
    if len(key) < 12:
        return f"(set, {len(key)} characters)"
    prefix = ""
    if key.startswith("sk-"):
        prefix = key[: key.index("-", 3) + 1] if "-" in key[3:9] else "sk-"
    return f"{prefix}…{key[-4:]}"


@dataclass(frozen=True)
class Source:
    variable: str
    origin: str  # "environment", ".env" or "default"
    raw: str | None


def _dotenv_values(path: str) -> dict[str, str]:
    from dotenv import dotenv_values

    if not os.path.isfile(path):
        return {}
    return {key.upper(): value for key, value in dotenv_values(path).items() if value is not None}


def sources(environ: Mapping[str, str], dotenv: Mapping[str, str]) -> dict[str, Source]:
    """Which variable set each field and from where. The environment beats `.env`; empty means unset."""
    env_upper = {key.upper(): value for key, value in environ.items() if value.strip() and not is_placeholder(value)}
    file_upper = {key: value for key, value in dotenv.items() if value.strip() and not is_placeholder(value)}
    found: dict[str, Source] = {}
    for name in Settings.model_fields:
        names = variable_names(name)
        source = Source(names[0], "default", None)
        for origin, values in (("environment", env_upper), (".env", file_upper)):
            hit = next((variable for variable in names if variable.upper() in values), None)
            if hit is not None:
                source = Source(hit, origin, values[hit.upper()])
                break
        found[name] = source
    return found


def _shown_value(name: str, settings: Settings | None, source: Source) -> str:
    if name == "api_key":
        key = settings.api_key.get_secret_value() if settings and settings.api_key else source.raw
        return mask_key(key.strip()) if key and key.strip() else "(unset)"
    if settings is None:
        return hide_url_password(source.raw) if source.raw is not None else "-"
    if name == "base_url" and source.origin == "default":
        return settings.resolved_base_url
    if name == "default_model" and settings.default_model is None:
        return FALLBACK_MODEL if settings.api_format == "openai" else "(unset: every call must name a model)"
    value: Any = getattr(settings, name)
    if value is None:
        return "(unset)"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return hide_url_password(str(value))


@dataclass
class Report:
    out: TextIO
    secret: str | None = None
    problems: list[str] = field(default_factory=list[str])

    def line(self, text: str = "") -> None:
        if self.secret and len(self.secret) >= 8:
            text = text.replace(self.secret, REDACTED)
        self.out.write(text + "\n")

    def ok(self, text: str) -> None:
        self.line(f"  ok    {text}")

    def note(self, text: str) -> None:
        self.line(f"  note  {text}")

    def fail(self, text: str) -> None:
        self.problems.append(text)
        self.line(f"  FAIL  {text}")


def print_configuration(report: Report, settings: Settings | None, found: Mapping[str, Source]) -> None:
    report.line("Configuration (value, then where it came from: environment, .env or default):")
    hidden = 0
    rows: list[tuple[str, str, str]] = []
    for title, names in grouped_fields():
        group_rows = [
            (found[name].variable, _shown_value(name, settings, found[name]), found[name].origin)
            for name in names
            if _shown(name, found)
        ]
        hidden += len(names) - len(group_rows)
        if group_rows:
            rows.append(("", title, ""))
            rows.extend(group_rows)
    width = max((len(variable) for variable, _value, _origin in rows), default=0)
    for variable, value, origin in rows:
        if not variable:
            report.line(f"  [{value}]")
        else:
            report.line(f"    {variable.ljust(width)}  {value}  ({origin})")
    report.line(f"  ({hidden} more settings at their defaults; `openrouterai-mcp --help` lists them all)")


def _shown(name: str, found: Mapping[str, Source]) -> bool:
    if found[name].origin != "default":
        return True
    if name == "base_url" and found["api_endpoint"].origin != "default":
        return False  # API_ENDPOINT is what sets the URL; its own row shows it
    return name in _ALWAYS_SHOWN


def _probe_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "max_retries": min(settings.max_retries, _PROBE_RETRIES),
            "retry_budget": min(settings.retry_budget, _PROBE_RETRY_BUDGET),
            "request_timeout": min(settings.request_timeout, _PROBE_TIMEOUT),
        }
    )


def _describe(error: ServerError) -> str:
    return f"{error.category} - {error.message}"


async def _probe_models(report: Report, settings: Settings, client: UpstreamClient) -> CatalogIndex | None:
    path = providers.models_path(settings)
    url = client.url_for(path)
    started = time.monotonic()
    try:
        payload, _headers = await client.request_json("GET", path)
        index = CatalogIndex(parse_model_list(payload))
    except ServerError as exc:
        report.fail(f"model list from {url}: {_describe(exc)}")
        return None
    elapsed = time.monotonic() - started
    report.ok(f"model list: {len(index.rows)} models from {url} ({elapsed:.2f} s)")
    return index


def _check_default_model(report: Report, settings: Settings, index: CatalogIndex | None, variable: str) -> None:
    model = settings.default_model or (FALLBACK_MODEL if settings.api_format == "openai" else None)
    if model is None:
        report.note(f"no default model: every chat call must name one (set {variable})")
        return
    if index is None:
        return
    try:
        index.find(model)
    except ModelNotFound:
        if settings.is_openrouter:
            report.fail(f"default model {model} is not in the model list (check {variable})")
        else:
            # Anthropic's and OpenAI's lists leave out aliases their APIs accept (claude-sonnet-4-5).
            report.note(f"default model {model} is not in the model list; this API may still accept it as an alias")
        return
    report.ok(f"default model {model} is in the model list")


def _money(value: Any) -> str:
    return f"${value:,.2f}" if isinstance(value, int | float) and not isinstance(value, bool) else "unlimited"


async def _probe_key(report: Report, settings: Settings, client: UpstreamClient, models_ok: bool) -> None:
    if settings.api_key is None:
        report.fail("no API key: chat_completion refuses every call; set OPENROUTER_API_KEY (or API_KEY)")
        return
    if not settings.is_openrouter:
        # Only OpenRouter has a key endpoint; OpenAI's and Anthropic's model lists need the key, so they prove it.
        if models_ok:
            report.ok("API key set, and the model list answered with it (this API has no key-info endpoint)")
        return
    try:
        payload, _headers = await client.request_json("GET", "key")
    except UpstreamStatusError as exc:
        report.fail(f"API key: {_describe(exc)}")
        return
    except ServerError as exc:
        report.fail(f"key info: {_describe(exc)}")
        return
    info = as_dict(as_dict(payload).get("data", payload))
    label = info.get("label")
    remaining, limit = info.get("limit_remaining"), info.get("limit")
    credit = f"{_money(remaining)} left of {_money(limit)}" if limit is not None else "no credit limit"
    free = " (free tier)" if info.get("is_free_tier") else ""
    report.ok(f"API key accepted: label {label!r}, {credit}{free}" if label else f"API key accepted: {credit}{free}")
    if isinstance(remaining, int | float) and not isinstance(remaining, bool) and remaining <= 0:
        report.fail("the key has no credit left: chat calls will be refused (402)")


def _check_directories(report: Report, settings: Settings) -> None:
    """The multimodal directories must exist as directories (the output one may be created on first use)."""
    roots = settings.file_roots or []
    missing = [root for root in roots if not os.path.isdir(root)]
    for root in missing:
        what = "is not a directory" if os.path.exists(root) else "does not exist"
        report.fail(f"OPENROUTER_FILE_ROOTS: {root} {what}; no file there can be attached (fix or remove it)")
    if roots and not missing:
        count = len(roots)
        report.ok(f"file roots: {count} director{'ies' if count > 1 else 'y'} whose files chat calls may attach")
    out = settings.output_dir
    if out is not None and os.path.exists(out):
        if not os.path.isdir(out):
            report.fail(f"OPENROUTER_OUTPUT_DIR: {out} is not a directory; generated images cannot be saved there")
        elif not os.access(out, os.W_OK | os.X_OK):
            report.fail(f"OPENROUTER_OUTPUT_DIR: {out} is not writable; generated images cannot be saved there")


async def _probe(
    report: Report, settings: Settings, found: Mapping[str, Source], transport: httpx.AsyncBaseTransport | None
) -> None:
    client = UpstreamClient(_probe_settings(settings), transport=transport)
    try:
        index = await _probe_models(report, settings, client)
        _check_default_model(report, settings, index, found["default_model"].variable)
        await _probe_key(report, settings, client, models_ok=index is not None)
    finally:
        await client.aclose()


def run_check(out: TextIO, *, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Print the configuration and the probes' outcome; 0 when all is well, 1 otherwise."""
    found = sources(os.environ, _dotenv_values(".env"))
    settings: Settings | None = None
    config_error: str | None = None
    try:
        settings = load_settings()
    except ConfigError as exc:
        config_error = str(exc)
    secret = settings.api_key.get_secret_value() if settings and settings.api_key else found["api_key"].raw
    report = Report(out, secret=secret)
    report.line(f"openrouterai-mcp {__version__}: configuration check")
    report.line()
    print_configuration(report, settings, found)
    report.line()
    report.line("Checks:")
    if settings is None:
        report.fail(f"configuration: {config_error}")
    else:
        report.ok("configuration is valid")
        _check_directories(report, settings)
        anyio.run(_probe, report, settings, found, transport)
    report.line()
    if report.problems:
        count = len(report.problems)
        report.line(f"Verdict: {count} problem{'s' if count > 1 else ''} to fix (marked FAIL above).")
        return 1
    report.line("Verdict: all good. The server is ready; add it to your MCP client.")
    return 0
