"""Results too large for the client: cut a tool's JSON to `OPENROUTER_MAX_RESULT_CHARS` and say so.

A result over the cap gets `"truncated": {"shown_chars", "total_chars", "rest"}`. What is cut: a list of
items (a search's `data`, a listing's `conversations`) loses items from its end; otherwise the longest
text in the result (an answer's content) is shortened. `shown_chars`/`total_chars` count that text's
characters (for a list: the JSON characters of the list). `rest` tells how to read the remainder.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, cast

from cachetools import LRUCache

_LISTS = ("data", "conversations", "breakdown")
_MAX_PASSES = 8


# The envelope's text is JSON with indent 2, which only the standard library's pure-Python encoder writes
# (~2.5x the C encoder's time). A result is measured against the cap and then written, often more than once;
# its compact C-encoded text identifies it exactly (same keys, order and values give the same indented text),
# so the indented text is made once per distinct result.
_INDENTED: LRUCache[str, str] = LRUCache(maxsize=4)


def json_text(payload: Any) -> str:
    """`payload` as the envelope writes it: `json.dumps(payload, indent=2, ensure_ascii=False)`."""
    compact = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    text = _INDENTED.get(compact)
    if text is None:
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        _INDENTED[compact] = text
    return text


def json_length(payload: Any) -> int:
    return len(json_text(payload))


def _longest_text(node: Any, best: tuple[int, Any, Any] | None = None) -> tuple[int, Any, Any] | None:
    """(length, container, key) of the longest string in the tree."""
    items: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        items = list(node.items())  # pyright: ignore[reportUnknownArgumentType]
    elif isinstance(node, list):
        items = list(enumerate(node))  # pyright: ignore[reportUnknownArgumentType]
    for key, value in items:
        if key == "truncated":
            continue
        if isinstance(value, str):
            if best is None or len(value) > best[0]:
                best = (len(value), cast(Any, node), key)
        elif isinstance(value, dict | list):
            best = _longest_text(value, best)
    return best


def cut_text(
    payload: dict[str, Any], container: Any, key: Any, max_chars: int, rest: Callable[[int], str]
) -> dict[str, Any]:
    """Shorten `container[key]` (a string inside `payload`) until the payload's JSON fits `max_chars`."""
    full: str = container[key]
    payload["truncated"] = {"shown_chars": len(full), "total_chars": len(full), "rest": rest(len(full))}
    shown = len(full)
    for _ in range(_MAX_PASSES):
        excess = json_length(payload) - max_chars
        if excess <= 0:
            break
        shown = max(0, shown - excess - 16)
        container[key] = full[:shown]
        payload["truncated"] = {"shown_chars": shown, "total_chars": len(full), "rest": rest(shown)}
    return payload


def _cut_list(payload: dict[str, Any], name: str, max_chars: int) -> dict[str, Any]:
    items: list[Any] = payload[name]
    total = json_length(items)
    count = len(items)
    while count > 0:
        payload[name] = items[:count]
        shown = json_length(payload[name])
        payload["truncated"] = {
            "shown_chars": shown,
            "total_chars": total,
            "rest": f"{count} of {len(items)} items shown; narrow the request (or lower its limit) to see the others",
        }
        if json_length(payload) <= max_chars:
            break
        count -= 1
    return payload


def fit(payload: Any, max_chars: int) -> Any:
    """The payload, cut to fit `max_chars` of JSON text when it does not already."""
    if not isinstance(payload, dict):
        return payload
    # Cut in place: the payload may be a dict subclass carrying more than its JSON (a chat result's images).
    result = cast(dict[str, Any], payload)
    if "truncated" in result or json_length(result) <= max_chars:
        return result
    for name in _LISTS:
        if isinstance(result.get(name), list) and len(result[name]) > 1:
            result = _cut_list(result, name, max_chars)
            if json_length(result) <= max_chars:
                return result
    while json_length(result) > max_chars:
        found = _longest_text(result)
        if found is None or found[0] == 0:
            break
        _length, container, key = found
        result = cut_text(
            result, container, key, max_chars, lambda shown: f"the text was cut after {shown} characters to fit the cap"
        )
    return result
