"""What the store keeps of a message: text whole, attachments as descriptors, never base64.

A content part carrying inline data (a `data:` URI in `image_url.url`, `file.file_data` or
`video_url.url`, or base64 in `input_audio.data`) is replaced by
`{"type": "omitted", "part": <its type>, "mime_type", "bytes": <decoded size>, "filename"?}`.
URLs and local paths are kept: they are references, not data. When a stored conversation is sent
again, each descriptor becomes a short text part saying what was attached.
"""

from __future__ import annotations

from typing import Any

from ..jsonshape import as_dict, as_list

# A string this long in a place that holds data is treated as inline data even without a data: prefix.
_INLINE_DATA_MIN = 512


def _decoded_size(encoded: str) -> int:
    payload = encoded.split(",", 1)[1] if encoded.startswith("data:") else encoded
    return max(0, len(payload) * 3 // 4 - payload[-2:].count("="))


def _mime(value: str, default: str) -> str:
    if value.startswith("data:"):
        header = value[5:].split(",", 1)[0]
        return header.split(";", 1)[0] or default
    return default


def _is_inline(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith("data:") or len(value) >= _INLINE_DATA_MIN)


def _omitted(part_type: str, data: str, mime: str, **extra: Any) -> dict[str, Any]:
    return {"type": "omitted", "part": part_type, "mime_type": _mime(data, mime), "bytes": _decoded_size(data)} | {
        key: value for key, value in extra.items() if value is not None
    }


def scrub_part(part: dict[str, Any]) -> dict[str, Any]:
    kind = part.get("type")
    fields = as_dict(part.get(kind)) if isinstance(kind, str) else {}
    if not fields:
        return part
    if kind in ("image_url", "video_url") and isinstance(fields.get("url"), str) and fields["url"].startswith("data:"):
        return _omitted(kind, fields["url"], "application/octet-stream")
    if kind == "file" and _is_inline(fields.get("file_data")) and not str(fields["file_data"]).startswith("/"):
        return _omitted("file", f"{fields['file_data']}", "application/octet-stream", filename=fields.get("filename"))
    if kind == "input_audio" and _is_inline(fields.get("data")):
        audio_format = fields.get("format")
        return _omitted("input_audio", fields["data"], f"audio/{audio_format}" if audio_format else "audio/*")
    return part


def scrub_content(content: Any) -> str | list[dict[str, Any]]:
    """The content as stored: a string unchanged; a list of parts with inline data replaced."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[dict[str, Any]] = []
        for item in as_list(content):
            if isinstance(item, dict):
                parts.append(scrub_part(as_dict(item)))
        return parts
    return str(content) if content is not None else ""


def resend_content(content: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    """Stored content made sendable again: each descriptor becomes a text part naming what was attached."""
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == "omitted":
            name = f" {part['filename']}" if part.get("filename") else ""
            parts.append(
                {
                    "type": "text",
                    "text": f"[attachment{name} ({part.get('mime_type')}, {part.get('bytes')} bytes) "
                    "was sent earlier in this conversation; its data is not kept]",
                }
            )
        else:
            parts.append(part)
    return parts


def plain_text(content: str | list[dict[str, Any]]) -> str:
    """The text of a message: the string, or its text parts joined."""
    if isinstance(content, str):
        return content
    return "\n".join(str(part.get("text", "")) for part in content if part.get("type") == "text")
