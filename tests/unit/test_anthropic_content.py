"""API_FORMAT=anthropic: parts become image/document/text blocks; audio, video and big images are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import respx
from mm_helpers import answer, audio, file_part, image, refusal, sent_body, user, video
from tests.media_samples import PDF, TEXT, WAV, b64, data_uri, png
from unit_payloads import anthropic_message

from openrouterai_mcp.content import ANTHROPIC_IMAGE_LIMIT

PNG = png()
MODEL = "claude-sonnet-4-5"


@pytest.fixture
def messages_route(router: respx.MockRouter) -> respx.Route:
    return router.post("/messages").respond(json=anthropic_message())


async def chat(mcp_client: Any, *, root: Path | None = None, **arguments: Any) -> Any:
    settings: dict[str, Any] = {"api_format": "anthropic"} | ({"file_roots": [str(root)]} if root else {})
    async with mcp_client(**settings) as client:
        return await client.call_tool("chat_completion", {"model": MODEL} | arguments)


async def test_images_become_base64_or_url_image_blocks(mcp_client: Any, messages_route: respx.Route) -> None:
    parts = [image(data_uri("image/png", PNG)), image("https://example.com/cat.jpg", detail="high")]
    answer(await chat(mcp_client, messages=[user(*parts)]))
    assert sent_body(messages_route)["messages"][0]["content"] == [
        {"type": "text", "text": "Look at this"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(PNG)}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]


async def test_pdfs_become_document_blocks(mcp_client: Any, messages_route: respx.Route, tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(PDF)
    parts = [file_part(str(tmp_path / "report.pdf")), file_part("https://example.com/paper.pdf")]
    answer(await chat(mcp_client, root=tmp_path, messages=[user(*parts)]))
    assert sent_body(messages_route)["messages"][0]["content"][1:] == [
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": b64(PDF)},
            "title": "report.pdf",
        },
        {"type": "document", "source": {"type": "url", "url": "https://example.com/paper.pdf"}},
    ]


async def test_a_text_document_becomes_a_plain_text_document_block(
    mcp_client: Any, messages_route: respx.Route
) -> None:
    answer(await chat(mcp_client, messages=[user(file_part(data_uri("text/plain", TEXT), filename="notes.txt"))]))
    assert sent_body(messages_route)["messages"][0]["content"][1] == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": TEXT.decode()},
        "title": "notes.txt",
    }


async def test_attachments_become_anthropic_blocks(mcp_client: Any, messages_route: respx.Route) -> None:
    messages = [{"role": "user", "content": "Compare"}]
    answer(await chat(mcp_client, messages=messages, attachments=[data_uri("image/png", PNG), "https://e.x/a.pdf"]))
    assert sent_body(messages_route)["messages"][0]["content"] == [
        {"type": "text", "text": "Compare"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(PNG)}},
        {"type": "document", "source": {"type": "url", "url": "https://e.x/a.pdf"}, "title": "a.pdf"},
    ]


async def test_system_text_parts_are_joined_into_the_system_prompt(
    mcp_client: Any, messages_route: respx.Route
) -> None:
    system = {"role": "system", "content": [{"type": "text", "text": "Be "}, {"type": "text", "text": "brief"}]}
    answer(await chat(mcp_client, messages=[system, {"role": "user", "content": "Hi"}]))
    body = sent_body(messages_route)
    assert body["system"] == "Be brief"
    assert body["messages"] == [{"role": "user", "content": "Hi"}]


@pytest.mark.parametrize(
    ("part", "kind"),
    [(audio(b64(WAV), "wav"), "input_audio"), (video("https://example.com/clip.mp4"), "video_url")],
)
async def test_audio_and_video_are_refused_before_anything_is_sent(
    mcp_client: Any, messages_route: respx.Route, part: dict[str, Any], kind: str
) -> None:
    problem = refusal(await chat(mcp_client, messages=[user(part)]))
    assert problem == f"messages[0].content[1]: {kind} parts are not supported with API_FORMAT=anthropic"
    assert messages_route.call_count == 0


async def test_an_audio_attachment_is_refused(mcp_client: Any, messages_route: respx.Route) -> None:
    problem = refusal(
        await chat(mcp_client, messages=[{"role": "user", "content": "x"}], attachments=[data_uri("audio/wav", WAV)])
    )
    assert problem == "attachments[0]: input_audio parts are not supported with API_FORMAT=anthropic"
    assert messages_route.call_count == 0


async def test_an_image_over_anthropics_five_megabyte_limit_is_refused(
    mcp_client: Any, messages_route: respx.Route
) -> None:
    big = png(padding=4 * 1024 * 1024)  # 4 MB of image is about 5.3 MB of base64, which is what Anthropic counts
    problem = refusal(await chat(mcp_client, messages=[user(image(data_uri("image/png", big)))]))
    assert problem.startswith("messages[0].content[1].image_url.url: the image is ")
    assert f"over Anthropic's 5 MB image limit ({ANTHROPIC_IMAGE_LIMIT} bytes)" in problem
    assert messages_route.call_count == 0


async def test_an_image_type_anthropic_does_not_take_is_refused(mcp_client: Any, messages_route: respx.Route) -> None:
    svg = data_uri("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>")
    problem = refusal(await chat(mcp_client, messages=[user(image(svg))]))
    assert problem.endswith("image/svg+xml images are not supported with API_FORMAT=anthropic")
    assert messages_route.call_count == 0
