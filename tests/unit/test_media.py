"""Media typing by content, data: URI parsing, and base64 kept out of the logs."""

from __future__ import annotations

import logging

import pytest
from tests.media_samples import JPEG, MP3, MP4, PDF, TEXT, WAV, WEBM, b64, data_uri, png

from openrouterai_mcp import media
from openrouterai_mcp.logs import RedactSecret, strip_base64


@pytest.mark.parametrize(
    ("content", "mime", "kind"),
    [
        (png(), "image/png", "image"),
        (JPEG, "image/jpeg", "image"),
        (b"GIF89a" + b"\x00" * 20, "image/gif", "image"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "image/webp", "image"),
        (PDF, "application/pdf", "document"),
        (WAV, "audio/wav", "audio"),
        (MP3, "audio/mpeg", "audio"),
        (b"\xff\xfb\x90\x00" + b"\x00" * 20, "audio/mpeg", "audio"),
        (b"fLaC\x00\x00\x00\x22" + b"\x00" * 20, "audio/flac", "audio"),
        (b"OggS\x00\x02" + b"\x00" * 20, "audio/ogg", "audio"),
        (b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 20, "audio/mp4", "audio"),
        (b"\xff\xf1\x50\x80" + b"\x00" * 20, "audio/aac", "audio"),
        (MP4, "video/mp4", "video"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00" + b"\x00" * 20, "video/quicktime", "video"),
        (WEBM, "video/webm", "video"),
    ],
)
def test_media_types_are_told_from_the_first_bytes(content: bytes, mime: str, kind: str) -> None:
    found = media.sniff(content[: media.HEAD_BYTES])
    assert found is not None
    assert (found.mime, found.kind) == (mime, kind)


def test_unknown_bytes_and_text_have_no_sniffed_type() -> None:
    assert media.sniff(b"\x00\x01\x02\x03") is None
    assert media.sniff(TEXT) is None
    assert media.is_text(TEXT)
    assert not media.is_text(b"KEY=value\x00OTHER=1\x00")


def test_a_data_uri_is_split_into_its_media_type_and_payload() -> None:
    uri = media.parse_data_uri(data_uri("Image/PNG", png()))
    assert (uri.mime, uri.payload, uri.decoded_size) == ("image/png", b64(png()), len(png()))


@pytest.mark.parametrize(
    ("uri", "problem"),
    [
        ("data:image/png;base64", "has no ','"),
        ("data:image/png,abc", "must be base64-encoded"),
        ("data:;base64,abc=", "has no media type"),
    ],
)
def test_a_malformed_data_uri_is_refused(uri: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        media.parse_data_uri(uri)


def test_the_decoded_size_is_computed_from_the_length_alone() -> None:
    for size in range(10):
        assert media.decoded_size(b64(b"x" * size)) == size


def test_base64_in_a_log_line_is_replaced_by_its_length() -> None:
    payload = data_uri("image/png", png(padding=500))
    line = strip_base64(f"sending image {payload} now")
    assert line == f"sending image [{len(payload)} characters of base64] now"
    assert strip_base64(f"audio {b64(WAV * 10)}").endswith(" characters of base64]")
    assert strip_base64("a short line stays as it is") == "a short line stays as it is"


def test_the_log_filter_strips_base64_from_every_record() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "upstream said %s", (data_uri("audio/wav", WAV * 20),), None
    )
    RedactSecret(None).filter(record)
    assert "base64," not in record.getMessage()
    assert b64(WAV * 20)[:40] not in record.getMessage()
