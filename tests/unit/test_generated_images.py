"""Generated images out: a descriptor in the JSON text, one MCP image block each after it, saved when asked."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import respx
from mcp.types import CallToolResult, ImageContent, TextContent
from tests.media_samples import JPEG, b64, data_uri, png
from unit_payloads import chat_completion, sse

PNG = png(4, 4)
DRAW = {"messages": [{"role": "user", "content": "Draw a fox"}], "modalities": ["image", "text"]}


def with_images(*urls: str) -> dict[str, Any]:
    payload = chat_completion("Here is your fox.")
    payload["choices"][0]["message"]["images"] = [{"type": "image_url", "image_url": {"url": url}} for url in urls]
    return payload


async def draw(mcp_client: Any, **settings: Any) -> CallToolResult:
    async with mcp_client(**settings) as client:
        return await client.call_tool("chat_completion", DRAW)


def split(result: CallToolResult) -> tuple[dict[str, Any], list[ImageContent]]:
    assert result.is_error is False
    first, *rest = result.content
    assert isinstance(first, TextContent)
    assert all(isinstance(block, ImageContent) for block in rest)
    return json.loads(first.text), [block for block in rest if isinstance(block, ImageContent)]


async def test_generated_images_follow_the_json_text_as_image_blocks(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(json=with_images(data_uri("image/png", PNG), data_uri("image/jpeg", JPEG)))
    payload, blocks = split(await draw(mcp_client))
    assert [(block.mime_type, block.data) for block in blocks] == [("image/png", b64(PNG)), ("image/jpeg", b64(JPEG))]
    message = payload["choices"][0]["message"]
    assert message["content"] == "Here is your fox."
    assert message["images"] == [
        {"type": "image", "mime_type": "image/png", "bytes": len(PNG)},
        {"type": "image", "mime_type": "image/jpeg", "bytes": len(JPEG)},
    ]


async def test_the_json_text_never_carries_the_base64(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(json=with_images(data_uri("image/png", PNG)))
    result = await draw(mcp_client)
    first = result.content[0]
    assert isinstance(first, TextContent)
    assert b64(PNG) not in first.text
    assert "base64" not in first.text


async def test_with_an_output_dir_every_image_is_saved_and_still_inlined(
    mcp_client: Any, router: respx.MockRouter, tmp_path: Path
) -> None:
    router.post("/chat/completions").respond(json=with_images(data_uri("image/png", PNG), data_uri("image/png", PNG)))
    out = tmp_path / "made" / "here"
    payload, blocks = split(await draw(mcp_client, output_dir=str(out)))
    descriptors = payload["choices"][0]["message"]["images"]
    paths = [Path(d["saved_to"]) for d in descriptors]
    assert len(set(paths)) == 2
    assert all(path.parent == out and path.suffix == ".png" and path.read_bytes() == PNG for path in paths)
    assert len(blocks) == 2


async def test_an_image_over_the_inline_limit_is_saved_to_a_temporary_directory_and_not_inlined(
    mcp_client: Any, router: respx.MockRouter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    big = png(padding=3000)
    router.post("/chat/completions").respond(json=with_images(data_uri("image/png", big), data_uri("image/png", PNG)))
    payload, blocks = split(await draw(mcp_client, max_inline_image_mb=0.002))
    oversize, small = payload["choices"][0]["message"]["images"]
    saved = Path(oversize["saved_to"])
    assert saved.read_bytes() == big  # noqa: ASYNC240 - a test reading what the server wrote
    assert saved.parent.parent == tmp_path
    assert oversize == {"type": "image", "mime_type": "image/png", "bytes": len(big), "saved_to": str(saved)}
    assert small == {"type": "image", "mime_type": "image/png", "bytes": len(PNG)}
    assert [block.data for block in blocks] == [b64(PNG)]


async def test_an_image_over_the_inline_limit_goes_to_the_output_dir_when_set(
    mcp_client: Any, router: respx.MockRouter, tmp_path: Path
) -> None:
    big = png(padding=3000)
    router.post("/chat/completions").respond(json=with_images(data_uri("image/png", big)))
    payload, blocks = split(await draw(mcp_client, max_inline_image_mb=0.002, output_dir=str(tmp_path)))
    assert Path(payload["choices"][0]["message"]["images"][0]["saved_to"]).parent == tmp_path
    assert blocks == []


async def test_an_image_given_as_a_url_is_described_and_never_fetched(
    mcp_client: Any, router: respx.MockRouter
) -> None:
    route = router.post("/chat/completions").respond(json=with_images("https://cdn.example.com/fox.png"))
    payload, blocks = split(await draw(mcp_client))
    assert payload["choices"][0]["message"]["images"] == [{"type": "image", "url": "https://cdn.example.com/fox.png"}]
    assert blocks == []
    assert len(router.calls) == route.call_count == 1


async def test_images_arriving_in_a_stream_become_image_blocks(mcp_client: Any, router: respx.MockRouter) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        body = {"id": "gen-img", "model": "google/gemini-2.5-flash-image", "object": "chat.completion.chunk"}
        return "data: " + json.dumps(body | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    image = {"type": "image_url", "image_url": {"url": data_uri("image/png", PNG)}}
    stream = sse(
        chunk({"role": "assistant", "content": "A fox"}),
        chunk({"images": [image]}),
        chunk({}, "stop"),
        "data: [DONE]",
    )
    router.post("/chat/completions").respond(text=stream, headers={"content-type": "text/event-stream"})
    async with mcp_client() as client:
        result = await client.call_tool("chat_completion", DRAW | {"stream": True})
    payload, blocks = split(result)
    assert payload["choices"][0]["message"]["content"] == "A fox"
    assert payload["choices"][0]["message"]["images"] == [
        {"type": "image", "mime_type": "image/png", "bytes": len(PNG)}
    ]
    assert [(block.mime_type, block.data) for block in blocks] == [("image/png", b64(PNG))]


async def test_an_answer_without_images_has_only_the_json_text(mcp_client: Any, router: respx.MockRouter) -> None:
    router.post("/chat/completions").respond(json=chat_completion("plain"))
    result = await draw(mcp_client)
    assert len(result.content) == 1
    assert isinstance(result.content[0], TextContent)
