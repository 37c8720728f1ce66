"""Large bodies sent in slices: the bytes are exactly the JSON body, and unsafe strings are never spliced raw."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from tests.media_samples import b64, data_uri, png
from unit_helpers import make_settings

from openrouterai_mcp.client import UpstreamClient
from openrouterai_mcp.jsonbody import SLICE, SPLICE_FROM, SplicedBody, splice

BIG_IMAGE = data_uri("image/png", png(padding=3 * SLICE))


async def collected(body: SplicedBody) -> bytes:
    return b"".join([piece async for piece in body])


def a_body(*strings: str) -> dict[str, Any]:
    parts = [{"type": "image_url", "image_url": {"url": text}} for text in strings]
    return {"model": "m", "messages": [{"role": "user", "content": [{"type": "text", "text": "é"}, *parts]}]}


async def test_a_spliced_body_is_byte_for_byte_valid_json_of_the_same_body() -> None:
    body = a_body(BIG_IMAGE, BIG_IMAGE[:-4] + "AAA=")
    spliced = splice(body)
    assert spliced is not None
    raw = await collected(spliced)
    assert json.loads(raw) == body
    assert spliced.length == len(raw)


async def test_a_spliced_body_can_be_sent_again_for_a_retry() -> None:
    spliced = splice(a_body(BIG_IMAGE))
    assert spliced is not None
    assert await collected(spliced) == await collected(spliced)


def test_a_body_without_large_strings_is_not_spliced() -> None:
    assert splice(a_body("https://example.com/a.png")) is None


@pytest.mark.parametrize("unsafe", ['"', "\\", "\n", "\x00", "é"])
async def test_a_large_string_json_would_escape_is_dumped_normally(unsafe: str) -> None:
    text = "A" * SPLICE_FROM + unsafe + "A" * 10
    body = a_body(text)
    spliced = splice(body)
    assert spliced is None
    mixed = splice(a_body(text, BIG_IMAGE))
    assert mixed is not None
    assert json.loads(await collected(mixed)) == a_body(text, BIG_IMAGE)


async def test_a_vouched_string_is_spliced_without_a_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    import openrouterai_mcp.jsonbody as jsonbody

    scanned: list[int] = []
    monkeypatch.setattr(jsonbody, "_json_safe", lambda text: scanned.append(len(text)) or True)
    audio = b64(b"\x00" * SPLICE_FROM)
    spliced = splice(a_body(BIG_IMAGE, audio), vouched=[BIG_IMAGE])
    assert spliced is not None
    assert scanned == [len(audio)]


async def test_the_client_sends_a_spliced_body_with_its_length_and_no_chunking() -> None:
    router = respx.MockRouter(base_url="http://upstream.test/api/v1", assert_all_called=False)
    route = router.post("/chat/completions").respond(json={"ok": True})
    client = UpstreamClient(make_settings(), transport=httpx.MockTransport(router.async_handler))
    body = a_body(BIG_IMAGE)
    spliced = splice(body)
    assert spliced is not None
    try:
        await client.request_json("POST", "chat/completions", body=spliced, idempotent=False)
    finally:
        await client.aclose()
    request = route.calls.last.request
    assert request.headers["content-length"] == str(spliced.length)
    assert "transfer-encoding" not in request.headers
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == body
