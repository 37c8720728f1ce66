"""Parsers of environment values, one per kind of value a setting holds: comma lists, JSON-or-comma lists,
path lists, absolute paths and URLs, on/off words. Each takes the raw value and returns the parsed one or
raises `ValueError` with the problem (the caller names the variable). Also the two text helpers the
configuration report shares: a URL with its password hidden, and an MCP Bundle's unfilled placeholder.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from .jsonshape import as_list

POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
SQLITE_SCHEMES = ("sqlite://", "sqlite+aiosqlite://")  # the second as earlier releases accepted it
DATABASE_SCHEMES = POSTGRES_SCHEMES + SQLITE_SCHEMES
API_SCHEMES = frozenset({"http", "https"})
PROXY_SCHEMES = frozenset({"http", "https", "socks5", "socks5h"})
_LOG_LEVELS = frozenset({"debug", "info", "warning", "error", "critical"})
_URL_PASSWORD = re.compile(r"(?P<head>^(?:[A-Za-z][A-Za-z0-9+.-]*://)?[^/@:\s]+:)[^/@\s]+(?=@)")


def hide_url_password(value: str) -> str:
    """A URL with the password of its `user:password@` part replaced by `***` (proxy URLs carry them)."""
    return _URL_PASSWORD.sub(r"\g<head>***", value)


def is_placeholder(value: Any) -> bool:
    """An MCP Bundle's `${user_config.x}` left in place for a field the user did not fill."""
    return isinstance(value, str) and value.startswith("${user_config.") and value.endswith("}")


def blank_is_unset(value: Any) -> Any:
    # Client configs often carry "" for variables the user did not fill in.
    if isinstance(value, str):
        return value.strip() or None
    return value


def normalise_case(value: Any) -> Any:
    """Log levels in upper case, every other enumeration in lower case."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    return text.upper() if text.lower() in _LOG_LEVELS else text.lower()


def comma_list(value: Any) -> Any:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()] or None
    return value


def json_or_comma_list(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    # The original documents a JSON array, often shell-quoted as '["a", "b"]'.
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not a valid JSON array ({exc.msg})") from exc
        items = as_list(parsed)
        if not isinstance(parsed, list) or not all(isinstance(item, str) for item in items):
            raise ValueError("a JSON array must hold strings only")
        return [str(item).strip() for item in items if str(item).strip()] or None
    return [item.strip() for item in text.split(",") if item.strip()] or None


def path_list(value: Any) -> Any:
    """Paths separated by the OS path separator (`:`, `;` on Windows)."""
    if not isinstance(value, str):
        return value
    items = [item.strip() for item in value.split(os.pathsep) if item.strip()]
    return items or None


def absolute_path(value: str) -> str:
    """`~` expanded and symlinks resolved; a relative path would depend on the directory the MCP client
    starts us in, so it is refused."""
    expanded = os.path.expanduser(value.strip())
    if not os.path.isabs(expanded):
        raise ValueError(f"relative path {value!r}")
    return os.path.realpath(expanded)


def absolute_url(value: str, schemes: frozenset[str]) -> str:
    # Without a scheme httpx refuses every request ("unsupported URL"); say so at start-up instead.
    scheme, sep, rest = value.partition("://")
    if not sep or scheme.lower() not in schemes or not rest.split("/", 1)[0]:
        raise ValueError("not an absolute URL")
    return value


def on_off(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in {"on", "true", "1", "yes"}:
            return True
        if text in {"off", "false", "0", "no"}:
            return False
        raise ValueError("expected on or off")
    return value
