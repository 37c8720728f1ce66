"""Content parts and attachments: each kind from each source reaches the upstream in OpenRouter's shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import respx
from mm_helpers import answer, audio, file_part, image, refusal, sent_body, user, video
from tests.media_samples import JPEG, MP3, MP4, PDF, TEXT, WAV, WEBM, b64, data_uri, png

from openrouterai_mcp.chat import NON_TEXT_PART_TOKENS, trim_messages
from openrouterai_mcp.schemas import ChatArgs

PNG = png()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "allowed"
    folder.mkdir()
    for name, data in {
        "shot.png": PNG,
        "photo.jpg": JPEG,
        "report.pdf": PDF,
        "voice.wav": WAV,
        "song.mp3": MP3,
        "clip.mp4": MP4,
        "clip.webm": WEBM,
        "notes.txt": TEXT,
    }.items():
        (folder / name).write_bytes(data)
    return folder


async def chat(mcp_client: Any, root: Path | None, **arguments: Any) -> Any:
    settings: dict[str, Any] = {"file_roots": [str(root)]} if root else {}
    async with mcp_client(**settings) as client:
        return await client.call_tool("chat_completion", arguments)


def sent_parts(route: respx.Route, message: int = 0) -> list[dict[str, Any]]:
    content = sent_body(route)["messages"][message]["content"]
    assert isinstance(content, list)
    return content


# --- text stays text -------------------------------------------------------------------------------


async def test_a_string_content_is_sent_as_a_string(mcp_client: Any, chat_route: respx.Route) -> None:
    answer(await chat(mcp_client, None, messages=[{"role": "user", "content": "Hi"}]))
    assert sent_body(chat_route)["messages"] == [{"role": "user", "content": "Hi"}]


async def test_text_parts_are_sent_as_text_parts(mcp_client: Any, chat_route: respx.Route) -> None:
    parts = [{"type": "text", "text": "One"}, {"type": "text", "text": "Two"}]
    answer(await chat(mcp_client, None, messages=[{"role": "user", "content": parts}]))
    assert sent_parts(chat_route) == parts


# --- each kind from each source ----------------------------------------------------------------------


async def test_an_image_url_is_passed_on_untouched_with_its_detail(mcp_client: Any, chat_route: respx.Route) -> None:
    part = image("https://example.com/cat.png?size=large", detail="high")
    answer(await chat(mcp_client, None, messages=[user(part)]))
    assert sent_parts(chat_route)[1] == part


async def test_an_image_data_uri_is_checked_and_passed_on(mcp_client: Any, chat_route: respx.Route) -> None:
    part = image(data_uri("image/png", PNG))
    answer(await chat(mcp_client, None, messages=[user(part)]))
    assert sent_parts(chat_route)[1] == part


@pytest.mark.parametrize("form", ["path", "file_url"])
async def test_a_local_image_is_sent_as_a_base64_data_uri(
    mcp_client: Any, chat_route: respx.Route, root: Path, form: str
) -> None:
    path = root / "shot.png"
    source = str(path) if form == "path" else path.as_uri()
    answer(await chat(mcp_client, root, messages=[user(image(source, detail="low"))]))
    assert sent_parts(chat_route)[1] == image(data_uri("image/png", PNG), detail="low")


async def test_a_local_jpeg_is_typed_by_content(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    answer(await chat(mcp_client, root, messages=[user(image(str(root / "photo.jpg")))]))
    assert sent_parts(chat_route)[1] == image(data_uri("image/jpeg", JPEG))


async def test_a_document_data_uri_of_any_non_media_type_is_passed_on(mcp_client: Any, chat_route: respx.Route) -> None:
    part = file_part(data_uri("application/vnd.openxmlformats-officedocument.wordprocessingml.document", b"PK\x03\x04"))
    answer(await chat(mcp_client, None, messages=[user(part)]))
    assert sent_parts(chat_route)[1] == part


async def test_a_long_path_is_cut_short_in_the_error(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    problem = refusal(await chat(mcp_client, root, messages=[user(image("/" + "a" * 5000 + ".png"))]))
    assert "/" + "a" * 199 + "…" in problem
    assert len(problem) < 500
    assert chat_route.call_count == 0


async def test_a_file_url_and_data_uri_are_passed_on(mcp_client: Any, chat_route: respx.Route) -> None:
    by_url = file_part("https://example.com/paper.pdf", filename="paper.pdf")
    by_data = file_part(data_uri("application/pdf", PDF), filename="inline.pdf")
    answer(await chat(mcp_client, None, messages=[user(by_url, by_data)]))
    assert sent_parts(chat_route)[1:] == [by_url, by_data]


async def test_a_local_pdf_is_sent_as_a_data_uri_named_after_the_file(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    answer(await chat(mcp_client, root, messages=[user(file_part(str(root / "report.pdf")))]))
    assert sent_parts(chat_route)[1] == file_part(data_uri("application/pdf", PDF), filename="report.pdf")


async def test_a_local_text_file_is_sent_as_a_text_document(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    answer(await chat(mcp_client, root, messages=[user(file_part((root / "notes.txt").as_uri(), filename="n.txt"))]))
    assert sent_parts(chat_route)[1] == file_part(data_uri("text/plain", TEXT), filename="n.txt")


async def test_base64_audio_with_its_format_is_passed_on(mcp_client: Any, chat_route: respx.Route) -> None:
    answer(await chat(mcp_client, None, messages=[user(audio(b64(WAV), "wav"))]))
    assert sent_parts(chat_route)[1] == audio(b64(WAV), "wav")


async def test_an_audio_data_uri_becomes_base64_data_and_its_format(mcp_client: Any, chat_route: respx.Route) -> None:
    answer(await chat(mcp_client, None, messages=[user(audio(data_uri("audio/mpeg", MP3)))]))
    assert sent_parts(chat_route)[1] == audio(b64(MP3), "mp3")


async def test_a_local_audio_file_is_sent_as_base64_with_the_detected_format(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    answer(await chat(mcp_client, root, messages=[user(audio((root / "voice.wav").as_uri()))]))
    assert sent_parts(chat_route)[1] == audio(b64(WAV), "wav")


async def test_audio_base64_without_a_format_gets_the_sniffed_one(mcp_client: Any, chat_route: respx.Route) -> None:
    answer(await chat(mcp_client, None, messages=[user(audio(b64(WAV)))]))
    assert sent_parts(chat_route)[1] == audio(b64(WAV), "wav")


async def test_a_video_url_and_data_uri_are_passed_on(mcp_client: Any, chat_route: respx.Route) -> None:
    parts = [video("https://example.com/clip.mp4"), video(data_uri("video/webm", WEBM))]
    answer(await chat(mcp_client, None, messages=[user(*parts)]))
    assert sent_parts(chat_route)[1:] == parts


async def test_a_local_video_is_sent_as_a_data_uri(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    answer(await chat(mcp_client, root, messages=[user(video(str(root / "clip.mp4")))]))
    assert sent_parts(chat_route)[1] == video(data_uri("video/mp4", MP4))


async def test_modalities_and_image_config_are_passed_on(mcp_client: Any, chat_route: respx.Route) -> None:
    messages = [{"role": "user", "content": "Draw a fox"}]
    config = {"aspect_ratio": "16:9"}
    answer(await chat(mcp_client, None, messages=messages, modalities=["image", "text"], image_config=config))
    body = sent_body(chat_route)
    assert (body["modalities"], body["image_config"]) == (["image", "text"], config)


# --- refusals that name the place --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ({"type": "image", "url": "x"}, "messages[0].content[1]: unknown content part type"),
        ({"type": "image_url", "image_url": {}}, "messages[0].content[1].image_url.url: required"),
        (image("ftp://example.com/a.png"), "messages[0].content[1].image_url.url: expected an http(s) URL"),
        (image("shot.png"), "messages[0].content[1].image_url.url: expected an http(s) URL"),
        (audio("https://example.com/a.wav", "wav"), "messages[0].content[1].input_audio.data: audio cannot be given"),
        (audio("!!not base64!!", "wav"), "messages[0].content[1].input_audio.data: the data is not valid base64"),
        (image("data:image/png;base64,@@@@"), "messages[0].content[1].image_url.url: the data is not valid base64"),
        (image("data:image/png,rawtext"), "must be base64-encoded"),
        (image(data_uri("application/pdf", PDF)), "the data: URI is application/pdf, not an image"),
        (video(data_uri("image/png", PNG)), "the data: URI is image/png, not a video"),
        (image(data_uri("image/png", PDF)), "the data: URI says image/png but its content is application/pdf"),
        (file_part(data_uri("image/png", PNG)), "image/png, not a document (send it in a part of type image_url)"),
        (file_part("C:relative.pdf"), "messages[0].content[1].file.file_data: expected"),
        (image("file://evil.example.com/etc/passwd"), "a file:// URL must name a local file"),
    ],
)
async def test_a_bad_part_is_refused_naming_its_place_and_nothing_is_sent(
    mcp_client: Any, chat_route: respx.Route, part: dict[str, Any], expected: str
) -> None:
    problem = refusal(await chat(mcp_client, None, messages=[user(part)]))
    assert expected in problem
    assert chat_route.call_count == 0


async def test_a_system_message_may_hold_text_parts_only(mcp_client: Any, chat_route: respx.Route) -> None:
    system = {"role": "system", "content": [{"type": "text", "text": "Be brief"}, image("https://e.x/a.png")]}
    problem = refusal(await chat(mcp_client, None, messages=[system, {"role": "user", "content": "Hi"}]))
    assert problem.startswith("messages[0].content[1]: a system message may hold text parts only")
    assert chat_route.call_count == 0


async def test_more_than_sixty_four_parts_are_refused(mcp_client: Any, chat_route: respx.Route) -> None:
    parts = [{"type": "text", "text": str(i)} for i in range(65)]
    problem = refusal(await chat(mcp_client, None, messages=[{"role": "user", "content": parts}]))
    assert problem.startswith("messages[0].content:")
    assert chat_route.call_count == 0


async def test_a_pdf_named_png_is_refused_as_an_image(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    (root / "holiday.png").write_bytes(PDF)
    problem = refusal(await chat(mcp_client, root, messages=[user(image(str(root / "holiday.png")))]))
    assert "its content is application/pdf (a document), not an image" in problem
    assert chat_route.call_count == 0


async def test_an_image_in_a_file_part_is_refused_with_a_hint(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    problem = refusal(await chat(mcp_client, root, messages=[user(file_part(str(root / "shot.png")))]))
    assert "(send it in a part of type image_url)" in problem
    assert chat_route.call_count == 0


async def test_unknown_binary_content_is_refused(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    (root / "blob.pdf").write_bytes(b"\x00\x01\x02\x03binary")
    problem = refusal(await chat(mcp_client, root, messages=[user(file_part(str(root / "blob.pdf")))]))
    assert "its content is not a type this server sends" in problem
    assert chat_route.call_count == 0


# --- limits ----------------------------------------------------------------------------------------


async def test_a_file_over_the_per_file_limit_is_refused_naming_the_variable(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    (root / "big.png").write_bytes(png(padding=2 * 1024 * 1024))
    async with mcp_client(file_roots=[str(root)], max_file_mb=1) as client:
        result = await client.call_tool("chat_completion", {"messages": [user(image(str(root / "big.png")))]})
    problem = refusal(result)
    assert problem.startswith("messages[0].content[1].image_url.url: 2.0 MB is over the 1 MB per-file limit")
    assert "OPENROUTER_MAX_FILE_MB" in problem
    assert chat_route.call_count == 0


async def test_a_file_just_over_the_limit_shows_its_size_in_bytes_so_the_excess_is_visible(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    just_over = png(padding=1024 * 1024)
    (root / "edge.png").write_bytes(just_over)
    async with mcp_client(file_roots=[str(root)], max_file_mb=1) as client:
        result = await client.call_tool("chat_completion", {"messages": [user(image(str(root / "edge.png")))]})
    assert refusal(result).startswith(
        f"messages[0].content[1].image_url.url: {len(just_over):,} bytes is over the 1 MB per-file limit "
        "(OPENROUTER_MAX_FILE_MB)"
    )
    assert chat_route.call_count == 0


async def test_a_data_uri_over_the_per_file_limit_is_refused(mcp_client: Any, chat_route: respx.Route) -> None:
    big = image(data_uri("image/png", png(padding=2 * 1024 * 1024)))
    async with mcp_client(max_file_mb=1) as client:
        problem = refusal(await client.call_tool("chat_completion", {"messages": [user(big)]}))
    assert "OPENROUTER_MAX_FILE_MB" in problem
    assert chat_route.call_count == 0


async def test_parts_together_over_the_per_call_limit_are_refused_naming_the_variable(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    for name in ("a.png", "b.png", "c.png"):
        (root / name).write_bytes(png(padding=600 * 1024))
    parts = [image(str(root / name)) for name in ("a.png", "b.png", "c.png")]
    async with mcp_client(file_roots=[str(root)], max_file_mb=1, max_request_mb=1.5) as client:
        problem = refusal(await client.call_tool("chat_completion", {"messages": [user(*parts)]}))
    assert problem.startswith("messages[0].content[3].image_url.url: with it the call's files come to")
    assert "OPENROUTER_MAX_REQUEST_MB" in problem
    assert chat_route.call_count == 0


# --- attachments -----------------------------------------------------------------------------------


async def test_attachments_become_parts_of_the_kind_their_content_implies(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    attachments = [
        str(root / "shot.png"),
        (root / "report.pdf").as_uri(),
        str(root / "voice.wav"),
        str(root / "clip.mp4"),
    ]
    messages = [{"role": "user", "content": "What is in these?"}]
    answer(await chat(mcp_client, root, messages=messages, attachments=attachments))
    assert sent_parts(chat_route) == [
        {"type": "text", "text": "What is in these?"},
        image(data_uri("image/png", PNG)),
        file_part(data_uri("application/pdf", PDF), filename="report.pdf"),
        audio(b64(WAV), "wav"),
        video(data_uri("video/mp4", MP4)),
    ]


async def test_a_single_attachment_given_as_a_string_is_taken_as_a_list_of_one(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    messages = [{"role": "user", "content": "What is this?"}]
    answer(await chat(mcp_client, root, messages=messages, attachments=str(root / "shot.png")))
    assert sent_parts(chat_route) == [{"type": "text", "text": "What is this?"}, image(data_uri("image/png", PNG))]


async def test_url_and_data_uri_attachments_are_typed_by_path_and_media_type(
    mcp_client: Any, chat_route: respx.Route
) -> None:
    attachments = [
        "https://example.com/photo.JPG",
        "https://example.com/clip.webm",
        "https://example.com/download?id=7",
        data_uri("image/png", PNG),
        data_uri("application/pdf", PDF),
        data_uri("audio/wav", WAV),
    ]
    answer(await chat(mcp_client, None, messages=[{"role": "user", "content": "See"}], attachments=attachments))
    assert sent_parts(chat_route)[1:] == [
        image("https://example.com/photo.JPG"),
        video("https://example.com/clip.webm"),
        file_part("https://example.com/download?id=7", filename="download"),
        image(data_uri("image/png", PNG)),
        file_part(data_uri("application/pdf", PDF), filename="attachment.pdf"),
        audio(b64(WAV), "wav"),
    ]


async def test_attachments_go_to_the_last_user_message(mcp_client: Any, chat_route: respx.Route) -> None:
    messages = [
        {"role": "user", "content": "First"},
        {"role": "assistant", "content": "Yes?"},
        {"role": "user", "content": [{"type": "text", "text": "Second"}]},
        {"role": "assistant", "content": "Hm"},
    ]
    answer(await chat(mcp_client, None, messages=messages, attachments=["https://example.com/a.png"]))
    sent = sent_body(chat_route)["messages"]
    assert sent[0]["content"] == "First"
    assert sent[2]["content"] == [{"type": "text", "text": "Second"}, image("https://example.com/a.png")]
    assert sent[3]["content"] == "Hm"


async def test_attachments_without_a_user_message_are_refused(mcp_client: Any, chat_route: respx.Route) -> None:
    messages = [{"role": "system", "content": "Be brief"}]
    problem = refusal(await chat(mcp_client, None, messages=messages, attachments=["https://example.com/a.png"]))
    assert problem == "attachments: there is no user message to add them to"
    assert chat_route.call_count == 0


async def test_an_audio_url_attachment_is_refused(mcp_client: Any, chat_route: respx.Route) -> None:
    messages = [{"role": "user", "content": "Transcribe"}]
    problem = refusal(await chat(mcp_client, None, messages=messages, attachments=["https://example.com/a.mp3"]))
    assert problem.startswith("attachments[0]: audio cannot be given as a URL")
    assert chat_route.call_count == 0


@pytest.mark.parametrize("attachments", [[], [f"https://example.com/{i}.png" for i in range(17)]])
async def test_attachments_take_one_to_sixteen_items(
    mcp_client: Any, chat_route: respx.Route, attachments: list[str]
) -> None:
    problem = refusal(
        await chat(mcp_client, None, messages=[{"role": "user", "content": "x"}], attachments=attachments)
    )
    assert problem.startswith("attachments:")
    assert chat_route.call_count == 0


async def test_attachments_sent_as_json_text_are_accepted(mcp_client: Any, chat_route: respx.Route) -> None:
    messages = [{"role": "user", "content": "x"}]
    answer(await chat(mcp_client, None, messages=messages, attachments='["https://example.com/a.png"]'))
    assert sent_parts(chat_route)[1] == image("https://example.com/a.png")


# --- trimming ----------------------------------------------------------------------------------------


def test_trimming_counts_a_non_text_part_as_a_fixed_number_of_tokens() -> None:
    huge = data_uri("image/png", png(padding=400_000))
    args = ChatArgs.model_validate(
        {
            "messages": [
                {"role": "user", "content": "a" * 4000},
                {"role": "user", "content": [{"type": "text", "text": "b" * 40}, image(huge)]},
            ]
        }
    )
    kept, trim = trim_messages(args.messages, budget_tokens=NON_TEXT_PART_TOKENS + 10)
    assert trim is not None
    assert (trim.removed_messages, trim.estimated_tokens) == (1, NON_TEXT_PART_TOKENS + 10)
    assert kept == [args.messages[1]]


def test_image_config_goes_to_openrouter_only_and_modalities_everywhere() -> None:
    from unit_helpers import make_settings

    from openrouterai_mcp.chat import build_body

    call = ChatArgs.model_validate(
        {"messages": [{"role": "user", "content": "Draw"}], "modalities": ["image", "text"], "image_config": {"n": 1}}
    )
    to_openrouter, _ = build_body(call, make_settings())
    to_openai, _ = build_body(call, make_settings(base_url=None, api_endpoint="https://api.openai.test/v1"))
    assert (to_openrouter["modalities"], to_openrouter["image_config"]) == (["image", "text"], {"n": 1})
    assert to_openai["modalities"] == ["image", "text"]
    assert "image_config" not in to_openai
