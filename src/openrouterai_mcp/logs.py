"""Logging to stderr only (stdout is the protocol), with the API key blanked out of every record
and any base64 payload (a data: URI, a long base64 run) replaced by its length."""

from __future__ import annotations

import logging
import re
import sys

from .envelope import MIN_SECRET_LENGTH, REDACTED

# Runs of base64 this long are never words: an image, a document or audio that must not reach a log.
_BASE64_RUN = re.compile(r"(?:data:[\w.+-]+/[\w.+-]+(?:;[\w.+=-]+)*;base64,)?[A-Za-z0-9+/]{120,}={0,2}")
_SCAN_FROM = 120


def strip_base64(text: str) -> str:
    if len(text) < _SCAN_FROM:
        return text
    return _BASE64_RUN.sub(lambda match: f"[{len(match.group(0))} characters of base64]", text)


class RedactSecret(logging.Filter):
    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self._secret = secret if secret and len(secret) >= MIN_SECRET_LENGTH else None

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        cleaned = strip_base64(text)
        if cleaned is not text:
            record.msg, record.args = cleaned, None
            text = cleaned
        if self._secret:
            if self._secret in text:
                record.msg, record.args = text.replace(self._secret, REDACTED), None
            if record.exc_info and record.exc_info[1] is not None and self._secret in str(record.exc_info[1]):
                record.exc_info, record.exc_text = None, None
        return True


def configure(level: str, secret: str | None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecret(secret))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request at INFO; keep that for DEBUG runs only.
    logging.getLogger("httpx").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
