"""Server-sent events: turn a stream of lines into events, keeping comments visible as keep-alives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event; `comment` is set for a `:` line (OpenRouter's `: OPENROUTER PROCESSING`)."""

    data: str = ""
    event: str | None = None
    comment: str | None = None


async def sse_events(lines: AsyncIterator[str]) -> AsyncIterator[SseEvent]:
    """Events in arrival order. An unterminated last event is still delivered when the stream ends."""
    data: list[str] = []
    event: str | None = None
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield SseEvent(data="\n".join(data), event=event)
            data, event = [], None
            continue
        if line.startswith(":"):
            yield SseEvent(comment=line[1:].strip())
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field == "event":
            event = value
    if data:
        yield SseEvent(data="\n".join(data), event=event)
