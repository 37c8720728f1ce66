"""No base64 is stored whole; results over the cap are cut and say how to read the rest."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import respx
from memory_helpers import WallClock, memory_client
from unit_payloads import catalog_payload, chat_completion

from openrouterai_mcp.identity import LOCAL_CALLER
from openrouterai_mcp.resultcap import fit, json_length
from openrouterai_mcp.schemas import ChatArgs
from openrouterai_mcp.store.handle import StoreHandle
from openrouterai_mcp.store.scrub import resend_content, scrub_content
from openrouterai_mcp.threads import Prepared, Threads

PNG = "data:image/png;base64," + base64.b64encode(b"\x89PNG" + b"\0" * 3000).decode()
AUDIO = base64.b64encode(b"RIFF" + b"\1" * 3000).decode()
PDF = "data:application/pdf;base64," + base64.b64encode(b"%PDF" + b"\2" * 3000).decode()


def test_inline_attachments_become_descriptors_and_urls_and_text_stay() -> None:
    parts: list[dict[str, Any]] = [
        {"type": "text", "text": "compare these"},
        {"type": "image_url", "image_url": {"url": PNG, "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "file", "file": {"filename": "report.pdf", "file_data": PDF}},
        {"type": "input_audio", "input_audio": {"data": AUDIO, "format": "wav"}},
        {"type": "video_url", "video_url": {"url": "data:video/mp4;base64,AAAA"}},
    ]
    stored = scrub_content(parts)
    assert stored == [
        {"type": "text", "text": "compare these"},
        {"type": "omitted", "part": "image_url", "mime_type": "image/png", "bytes": 3004},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        {"type": "omitted", "part": "file", "mime_type": "application/pdf", "bytes": 3004, "filename": "report.pdf"},
        {"type": "omitted", "part": "input_audio", "mime_type": "audio/wav", "bytes": 3004},
        {"type": "omitted", "part": "video_url", "mime_type": "video/mp4", "bytes": 3},
    ]
    assert "base64" not in json.dumps(stored)


def test_a_stored_descriptor_is_resent_as_a_text_note() -> None:
    resent = resend_content(scrub_content([{"type": "file", "file": {"filename": "a.pdf", "file_data": PDF}}]))
    assert resent == [
        {
            "type": "text",
            "text": "[attachment a.pdf (application/pdf, 3004 bytes) was sent earlier in this conversation; "
            "its data is not kept]",
        }
    ]


def test_a_result_within_the_cap_is_unchanged() -> None:
    payload = {"a": "short"}
    assert fit(payload, 1000) is payload
    assert payload == {"a": "short"}


def test_a_long_list_loses_items_from_its_end_and_says_so() -> None:
    payload = {"object": "list", "data": [{"id": f"model-{i}", "description": "d" * 200} for i in range(50)]}
    whole = json_length(payload["data"])
    cut = fit(payload, 3000)
    assert json_length(cut) <= 3000
    assert [item["id"] for item in cut["data"]] == [f"model-{i}" for i in range(len(cut["data"]))]
    assert 0 < len(cut["data"]) < 50
    assert cut["truncated"]["total_chars"] == whole
    assert f"{len(cut['data'])} of 50 items shown" in cut["truncated"]["rest"]


def test_the_longest_text_is_cut_when_there_is_no_list() -> None:
    text = 'quote " and newline \n ' * 500
    cut = fit({"id": "x", "content": text}, 2000)
    assert json_length(cut) <= 2000
    assert text.startswith(cut["content"])
    assert cut["truncated"]["shown_chars"] == len(cut["content"])
    assert cut["truncated"]["total_chars"] == len(text)


async def test_search_results_over_the_cap_are_cut_in_the_tool(router: respx.MockRouter) -> None:
    router.get("/models").respond(json=catalog_payload())
    async with memory_client(router, WallClock(0), max_result_chars=1500) as client:
        result = await client.call_tool("search_models", {"limit": 50})
    text = result.content[0].text  # type: ignore[union-attr]
    assert len(text) <= 1500
    assert "items shown" in json.loads(text)["truncated"]["rest"]


async def test_attachments_are_stored_as_descriptors_not_base64(tmp_path: Path) -> None:
    handle = StoreHandle.for_settings(
        database_url=None, data_dir=str(tmp_path / "data"), history_days=30, clock=lambda: 0
    )
    threads = Threads(handle, history=True, clock=lambda: 1_800_000_000)
    parts = [{"type": "text", "text": "what is this?"}, {"type": "image_url", "image_url": {"url": PNG}}]
    args = ChatArgs.model_validate({"messages": [{"role": "user", "content": "placeholder"}]})
    prepared = Prepared(args, "conv_1", [{"role": "user", "content": parts}], 0, "what is this?")
    try:
        assert await threads.save(LOCAL_CALLER, prepared, chat_completion("A blank image.")) is True
        stored = await (await handle.get()).messages("local", "conv_1")
    finally:
        await handle.aclose()
    assert stored[0].content == [
        {"type": "text", "text": "what is this?"},
        {"type": "omitted", "part": "image_url", "mime_type": "image/png", "bytes": 3004},
    ]
    assert stored[1].content == "A blank image."
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir() if p.is_file())
    assert PNG.split(",")[1][:200].encode() not in on_disk
