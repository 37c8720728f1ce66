"""Multimodal end to end over stdio: parts and attachments reaching the fake OpenRouter, the sandbox
refusing every escape with no upstream request, Anthropic blocks, generated images as image blocks,
and the new catalog capabilities. Every chat body sent is checked against OpenRouter's ChatRequest."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp.types import CallToolResult, ImageContent, TextContent

from tests.catalog_data import TOOLS_PARAMS, catalog, model_entry
from tests.conftest import TEST_KEY, ServerProcess
from tests.e2e.chat_request_schema import chat_body_problems
from tests.fake_upstream import CHAT, MESSAGES, FakeUpstream, Reply, anthropic_message, completion
from tests.media_samples import MP3, MP4, PDF, WAV, WEBM, b64, data_uri, fifo_watchdog, png
from tests.results import failed, ok

PNG = png(2, 2)
pytestmark = pytest.mark.usefixtures("every_chat_body_sent_matches_openrouters_schema")


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    """The usual fake catalog plus an image-generation model with reasoning."""
    models = catalog()
    models["data"].append(
        model_entry(
            "google/gemini-2.5-flash-image",
            "Google: Gemini 2.5 Flash Image",
            prompt="0.0000003",
            completion="0.0000025",
            context=32_768,
            inputs=["text", "image"],
            outputs=["image", "text"],
            params=[*TOOLS_PARAMS, "reasoning"],
        )
    )
    with FakeUpstream(models) as fake:
        yield fake


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "shared"
    folder.mkdir()
    for name, data in {"shot.png": PNG, "report.pdf": PDF, "voice.wav": WAV, "song.mp3": MP3, "clip.mp4": MP4}.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def mm_env(env: dict[str, str], root: Path) -> dict[str, str]:
    return env | {"OPENROUTER_FILE_ROOTS": str(root)}


def ask(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": "Describe"}, *parts]}]


def sent_content(upstream: FakeUpstream) -> Any:
    (call,) = upstream.calls(CHAT)
    return call.body["messages"][-1]["content"]


def blocks(result: CallToolResult) -> tuple[Any, list[ImageContent]]:
    assert result.is_error is False
    first, *rest = result.content
    assert isinstance(first, TextContent)
    images = [block for block in rest if isinstance(block, ImageContent)]
    assert len(images) == len(rest)
    return json.loads(first.text), images


# --- parts and attachments ----------------------------------------------------------------------------------------


async def test_every_part_kind_from_every_source_reaches_openrouter_in_its_shape(
    server: ServerProcess, mm_env: dict[str, str], upstream: FakeUpstream, root: Path
) -> None:
    parts = [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": str(root / "shot.png")}},
        {"type": "file", "file": {"file_data": (root / "report.pdf").as_uri()}},
        {"type": "file", "file": {"filename": "p.pdf", "file_data": data_uri("application/pdf", PDF)}},
        {"type": "input_audio", "input_audio": {"data": (root / "voice.wav").as_uri()}},
        {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}},
        {"type": "video_url", "video_url": {"url": str(root / "clip.mp4")}},
        {"type": "video_url", "video_url": {"url": data_uri("video/webm", WEBM)}},
    ]
    async with server.connect(mm_env) as client:
        ok(await client.call_tool("chat_completion", {"model": "google/gemini-2.5-flash", "messages": ask(*parts)}))
    assert sent_content(upstream)[1:] == [
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": data_uri("image/png", PNG)}},
        {"type": "file", "file": {"filename": "report.pdf", "file_data": data_uri("application/pdf", PDF)}},
        {"type": "file", "file": {"filename": "p.pdf", "file_data": data_uri("application/pdf", PDF)}},
        {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}},
        {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}},
        {"type": "video_url", "video_url": {"url": data_uri("video/mp4", MP4)}},
        {"type": "video_url", "video_url": {"url": data_uri("video/webm", WEBM)}},
    ]


async def test_attachments_are_added_to_the_last_user_message(
    server: ServerProcess, mm_env: dict[str, str], upstream: FakeUpstream, root: Path
) -> None:
    attachments = [str(root / "shot.png"), (root / "song.mp3").as_uri(), "https://example.com/paper.pdf"]
    messages = [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "What are these?"}]
    async with server.connect(mm_env) as client:
        ok(await client.call_tool("chat_completion", {"messages": messages, "attachments": attachments}))
    assert sent_content(upstream) == [
        {"type": "text", "text": "What are these?"},
        {"type": "image_url", "image_url": {"url": data_uri("image/png", PNG)}},
        {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}},
        {"type": "file", "file": {"filename": "paper.pdf", "file_data": "https://example.com/paper.pdf"}},
    ]


async def test_an_unknown_part_type_is_refused_naming_its_place(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    messages = [{"role": "user", "content": "Hi"}, {"role": "user", "content": [{"type": "text", "text": "a"}, {}]}]
    async with server.connect(env) as client:
        text = failed(await client.call_tool("chat_completion", {"messages": messages}))
    assert text.startswith("Error: Validation Error - messages[1].content[1]: unknown content part type")
    assert upstream.calls(CHAT) == []


# --- the sandbox ----------------------------------------------------------------------------------------------------


async def test_every_sandbox_escape_is_refused_without_any_upstream_request(
    server: ServerProcess, mm_env: dict[str, str], upstream: FakeUpstream, root: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    (root / "link.png").symlink_to(secret)
    (root / "album").mkdir()
    os.mkfifo(root / "pipe.png")
    (root / "holiday.png").write_bytes(PDF)
    (root / "huge.png").write_bytes(png(padding=1_200_000))
    attacks = {
        f"{root}/../secret.png": "is outside the directories in OPENROUTER_FILE_ROOTS",
        f"file://{root}/../secret.png": "is outside the directories in OPENROUTER_FILE_ROOTS",
        str(root / "link.png"): "is outside the directories in OPENROUTER_FILE_ROOTS",
        "/proc/self/environ": "is outside the directories in OPENROUTER_FILE_ROOTS",
        "/etc/passwd": "is outside the directories in OPENROUTER_FILE_ROOTS",
        str(root / "album"): "is a directory, not a regular file",
        str(root / "pipe.png"): "is a FIFO (named pipe), not a regular file",
        str(root / "holiday.png"): "its content is application/pdf (a document), not an image",
        str(root / "huge.png"): "over the 1 MB per-file limit (OPENROUTER_MAX_FILE_MB)",
        "shot.png": "expected an http(s) URL, a data: URI, a file:// URL or an absolute path",
    }
    with fifo_watchdog(root / "pipe.png") as hung:
        async with server.connect(mm_env | {"OPENROUTER_MAX_FILE_MB": "1"}) as client:
            for source, problem in attacks.items():
                arguments = {"messages": ask({"type": "image_url", "image_url": {"url": source}})}
                text = failed(await client.call_tool("chat_completion", arguments))
                assert text.startswith("Error: Validation Error - messages[0].content[1].image_url.url: "), text
                assert problem in text, (source, text)
            # The server is still healthy and the allowed file still works.
            arguments = {"messages": ask({"type": "image_url", "image_url": {"url": str(root / "shot.png")}})}
            ok(await client.call_tool("chat_completion", arguments))
    assert not hung.is_set(), "opening the FIFO blocked until the watchdog wrote to it"
    assert len(upstream.calls(CHAT)) == 1


async def test_without_file_roots_an_attachment_is_refused_naming_the_variable(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream, root: Path
) -> None:
    arguments = {"messages": [{"role": "user", "content": "x"}], "attachments": [str(root / "shot.png")]}
    async with server.connect(env) as client:
        text = failed(await client.call_tool("chat_completion", arguments))
    assert text.startswith(
        "Error: Validation Error - attachments[0]: reading local files is off: set OPENROUTER_FILE_ROOTS"
    )
    assert upstream.calls(CHAT) == []


async def test_a_relative_file_root_is_a_clear_configuration_error(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    async with server.connect(env | {"OPENROUTER_FILE_ROOTS": "pictures"}) as client:
        text = failed(await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": "x"}]}))
    assert text.startswith(
        "Error: Validation Error - invalid configuration: OPENROUTER_FILE_ROOTS='pictures' is invalid"
    )
    assert "expected absolute directory paths" in text
    assert "OPENROUTER_FILE_ROOTS='pictures'" in server.stderr_text()
    assert upstream.calls(CHAT) == []


async def test_the_call_limit_counts_every_part(
    server: ServerProcess, mm_env: dict[str, str], upstream: FakeUpstream, root: Path
) -> None:
    for name in ("a.png", "b.png"):
        (root / name).write_bytes(png(padding=700_000))
    attachments = [str(root / "a.png"), str(root / "b.png")]
    limits = {"OPENROUTER_MAX_FILE_MB": "1", "OPENROUTER_MAX_REQUEST_MB": "1"}
    async with server.connect(mm_env | limits) as client:
        arguments = {"messages": [{"role": "user", "content": "x"}], "attachments": attachments}
        text = failed(await client.call_tool("chat_completion", arguments))
    assert text.startswith("Error: Validation Error - attachments[1]: with it the call's files come to")
    assert "over the 1 MB per-call limit (OPENROUTER_MAX_REQUEST_MB)" in text
    assert upstream.calls(CHAT) == []


async def test_base64_never_reaches_the_log_even_at_debug(
    server: ServerProcess, mm_env: dict[str, str], upstream: FakeUpstream, root: Path
) -> None:
    upstream.script(
        "POST", CHAT, Reply(400, json={"error": {"message": f"bad image {data_uri('image/png', PNG * 20)}"}})
    )
    arguments = {"messages": [{"role": "user", "content": "x"}], "attachments": [str(root / "shot.png")]}
    async with server.connect(mm_env | {"OPENROUTER_LOG_LEVEL": "DEBUG"}) as client:
        failed(await client.call_tool("chat_completion", arguments))
    log = server.stderr_text()
    assert "chat_completion failed" in log
    assert b64(PNG)[:24] not in log
    assert "base64," not in log


# --- Anthropic ------------------------------------------------------------------------------------------------------


async def test_with_api_format_anthropic_images_and_pdfs_become_blocks_and_audio_is_refused(
    server: ServerProcess, upstream: FakeUpstream, root: Path
) -> None:
    upstream.script("POST", MESSAGES, Reply(json=anthropic_message("claude-sonnet-4-5")))
    env = {
        "API_FORMAT": "anthropic",
        "API_KEY": TEST_KEY,
        "API_ENDPOINT": upstream.url,
        "OPENROUTER_FILE_ROOTS": str(root),
    }
    messages = [{"role": "user", "content": "Compare"}]
    async with server.connect(env) as client:
        ok(
            await client.call_tool(
                "chat_completion",
                {
                    "model": "claude-sonnet-4-5",
                    "messages": messages,
                    "attachments": [str(root / "shot.png"), str(root / "report.pdf")],
                },
            )
        )
        refused = failed(
            await client.call_tool(
                "chat_completion",
                {"model": "claude-sonnet-4-5", "messages": messages, "attachments": [str(root / "voice.wav")]},
            )
        )
    (call,) = upstream.calls(MESSAGES)
    assert call.body["messages"][0]["content"] == [
        {"type": "text", "text": "Compare"},
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": b64(PNG)}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": b64(PDF)},
            "title": "report.pdf",
        },
    ]
    assert refused == (
        "Error: Validation Error - attachments[0]: input_audio parts are not supported with API_FORMAT=anthropic"
    )


# --- generated images -----------------------------------------------------------------------------------------------


def drawn(*images: bytes) -> dict[str, Any]:
    payload = completion("google/gemini-2.5-flash-image", "Here it is.")
    payload["choices"][0]["message"]["images"] = [
        {"type": "image_url", "image_url": {"url": data_uri("image/png", image)}} for image in images
    ]
    return payload


def saved_bytes(descriptor: dict[str, Any]) -> bytes:
    return Path(descriptor["saved_to"]).read_bytes()


DRAW = {
    "model": "google/gemini-2.5-flash-image",
    "messages": [{"role": "user", "content": "Draw a lighthouse"}],
    "modalities": ["image", "text"],
    "image_config": {"aspect_ratio": "16:9"},
}


async def test_generated_images_come_back_as_image_blocks_after_the_json_text(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("POST", CHAT, Reply(json=drawn(PNG)))
    async with server.connect(env) as client:
        payload, images = blocks(await client.call_tool("chat_completion", DRAW))
    (call,) = upstream.calls(CHAT)
    assert (call.body["modalities"], call.body["image_config"]) == (["image", "text"], {"aspect_ratio": "16:9"})
    assert payload["choices"][0]["message"]["images"] == [
        {"type": "image", "mime_type": "image/png", "bytes": len(PNG)}
    ]
    assert [(image.mime_type, image.data) for image in images] == [("image/png", b64(PNG))]


async def test_compare_models_keeps_each_models_images_in_its_entry_and_returns_their_blocks_in_order(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    other = png(2, 2)
    upstream.script_model("google/gemini-2.5-flash-image", Reply(json=drawn(PNG)))
    upstream.script_model("openai/gpt-5-image", Reply(json=drawn(other, PNG)))
    arguments = {k: v for k, v in DRAW.items() if k != "model"}
    models = ["openai/gpt-5-image", "google/gemini-2.5-flash-image"]
    async with server.connect(env) as client:
        payload, images = blocks(await client.call_tool("compare_models", {"models": models, **arguments}))
    first, second = payload["results"]
    assert first["images"] == [
        {"type": "image", "mime_type": "image/png", "bytes": len(other)},
        {"type": "image", "mime_type": "image/png", "bytes": len(PNG)},
    ]
    assert second["images"] == [{"type": "image", "mime_type": "image/png", "bytes": len(PNG)}]
    assert [image.data for image in images] == [b64(other), b64(PNG), b64(PNG)]
    assert "base64" not in json.dumps(payload)


async def test_generated_images_are_saved_to_the_output_dir_and_oversize_ones_only_saved(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream, tmp_path: Path
) -> None:
    big = png(padding=1_100_000)
    upstream.script("POST", CHAT, Reply(json=drawn(PNG, big)))
    out = tmp_path / "out"
    async with server.connect(
        env | {"OPENROUTER_OUTPUT_DIR": str(out), "OPENROUTER_MAX_INLINE_IMAGE_MB": "1"}
    ) as client:
        payload, images = blocks(await client.call_tool("chat_completion", DRAW))
    small_descriptor, big_descriptor = payload["choices"][0]["message"]["images"]
    assert saved_bytes(small_descriptor) == PNG
    assert saved_bytes(big_descriptor) == big
    assert big_descriptor["bytes"] == len(big)
    assert Path(big_descriptor["saved_to"]).parent == out
    assert [image.data for image in images] == [b64(PNG)]


async def test_images_arriving_in_a_stream_with_progress_on_become_image_blocks(
    server: ServerProcess, env: dict[str, str], upstream: FakeUpstream
) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
        base = {"id": "gen-draw", "model": "google/gemini-2.5-flash-image", "object": "chat.completion.chunk"}
        return "data: " + json.dumps(base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})

    image = {"type": "image_url", "image_url": {"url": data_uri("image/png", PNG)}}
    events = [
        ": OPENROUTER PROCESSING",
        chunk({"role": "assistant", "content": "A lighthouse"}),
        chunk({"images": [image]}),
        chunk({}, "stop"),
        "data: [DONE]",
    ]
    upstream.script("POST", CHAT, Reply(sse=events))
    beats: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        beats.append(progress)

    async with server.connect(env) as client:
        result = await client.call_tool("chat_completion", DRAW, progress_callback=on_progress)
    payload, images = blocks(result)
    assert upstream.calls(CHAT)[0].body["stream"] is True
    assert payload["choices"][0]["message"]["content"] == "A lighthouse"
    assert payload["choices"][0]["message"]["images"] == [
        {"type": "image", "mime_type": "image/png", "bytes": len(PNG)}
    ]
    assert [(image.mime_type, image.data) for image in images] == [("image/png", b64(PNG))]
    assert beats and beats == sorted(set(beats))


# --- catalog capabilities -------------------------------------------------------------------------------------------


async def test_search_models_filters_on_the_new_capabilities_and_shows_modalities(
    server: ServerProcess, env: dict[str, str]
) -> None:
    async with server.connect(env) as client:

        async def ids(**capabilities: bool) -> list[str]:
            result = ok(await client.call_tool("search_models", {"capabilities": capabilities, "limit": 50}))
            return [model["id"] for model in result["data"]]

        assert await ids(audio_input=True) == ["google/gemini-2.5-flash"]
        assert await ids(video_input=True) == ["google/gemini-2.5-flash"]
        assert await ids(file_input=True) == ["anthropic/claude-3.5-sonnet"]
        assert await ids(image_output=True) == ["google/gemini-2.5-flash-image"]
        assert await ids(reasoning=True) == ["google/gemini-2.5-flash-image"]
        found = ok(await client.call_tool("search_models", {"query": "flash image"}))["data"][0]
    assert found["input_modalities"] == ["text", "image"]
    assert found["output_modalities"] == ["image", "text"]
    assert found["capabilities"]["image_output"] is True


def test_the_request_schema_used_here_rejects_malformed_parts() -> None:
    good = {"messages": ask({"type": "image_url", "image_url": {"url": "https://e.x/a.png"}})}
    assert chat_body_problems(good) == []
    for bad in (
        {"type": "image_url", "image_url": {"url": "x", "detail": "ultra"}},
        {"type": "input_audio", "input_audio": {"data": "AAAA"}},
        {"type": "video", "video_url": {"url": "x"}},
    ):
        assert chat_body_problems({"messages": ask(bad)}) != [], bad


async def test_compare_models_sends_the_attachments_to_every_model(
    server: ServerProcess, mm_env: dict[str, str], upstream: FakeUpstream, root: Path
) -> None:
    arguments = {
        "models": ["openai/gpt-4o-mini", "google/gemini-2.5-flash"],
        "messages": [{"role": "user", "content": "What is this?"}],
        "attachments": [str(root / "shot.png")],
    }
    async with server.connect(mm_env) as client:
        ok(await client.call_tool("compare_models", arguments))
    calls = upstream.calls(CHAT)
    assert sorted(call.body["model"] for call in calls) == ["google/gemini-2.5-flash", "openai/gpt-4o-mini"]
    for call in calls:
        assert call.body["messages"][0]["content"] == [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": data_uri("image/png", PNG)}},
        ]
