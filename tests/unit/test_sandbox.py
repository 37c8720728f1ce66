"""The file sandbox attacked: every escape is refused with a clear error and no upstream request."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
import pytest
import respx
from mm_helpers import image, refusal, sent_body, user
from tests.media_samples import data_uri, fifo_watchdog, png

from openrouterai_mcp import files
from openrouterai_mcp.files import FileRefused, FileTooLarge, read_inside
from openrouterai_mcp.settings import ConfigError, load_settings

PNG = png()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "allowed"
    folder.mkdir()
    (folder / "shot.png").write_bytes(PNG)
    return folder


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    return secret


async def refused(mcp_client: Any, route: respx.Route, source: str, **settings: Any) -> str:
    """The refusal for an image part read from `source`, after checking nothing was sent."""
    with anyio.fail_after(10):  # a hang (e.g. on a FIFO) fails the test instead of blocking it
        async with mcp_client(**settings) as client:
            result = await client.call_tool("chat_completion", {"messages": [user(image(source))]})
    problem = refusal(result)
    assert route.call_count == 0
    return problem


async def test_a_file_inside_a_root_is_read(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    async with mcp_client(file_roots=[str(root)]) as client:
        await client.call_tool("chat_completion", {"messages": [user(image(str(root / "shot.png")))]})
    assert sent_body(chat_route)["messages"][0]["content"][1] == image(data_uri("image/png", PNG))


async def test_without_file_roots_no_local_file_is_read_and_the_error_names_the_variable(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    problem = await refused(mcp_client, chat_route, str(root / "shot.png"))
    assert "reading local files is off: set OPENROUTER_FILE_ROOTS" in problem


async def test_dot_dot_out_of_a_root_is_refused(
    mcp_client: Any, chat_route: respx.Route, root: Path, outside: Path
) -> None:
    source = f"{root}/../{outside.name}"
    problem = await refused(mcp_client, chat_route, source, file_roots=[str(root)])
    assert f"{source} is outside the directories in OPENROUTER_FILE_ROOTS" in problem


async def test_a_refusal_outside_the_roots_lists_the_roots_and_says_what_to_do(
    mcp_client: Any, chat_route: respx.Route, root: Path, outside: Path
) -> None:
    other = root.parent / "other-root"
    other.mkdir()
    problem = await refused(mcp_client, chat_route, str(outside), file_roots=[str(root), str(other)])
    assert problem.endswith(
        f"{outside} is outside the directories in OPENROUTER_FILE_ROOTS ({root}{os.pathsep}{other}; symbolic links "
        "and '..' are resolved first): use a file inside one of them, or add its directory to OPENROUTER_FILE_ROOTS"
    )


async def test_a_home_relative_path_outside_the_roots_is_shown_expanded(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    problem = await refused(mcp_client, chat_route, "~/holiday.png", file_roots=[str(root)])
    assert f"~/holiday.png ({Path.home() / 'holiday.png'}) is outside the directories" in problem


async def test_a_refusal_through_a_symlink_does_not_reveal_where_the_link_points(
    mcp_client: Any, chat_route: respx.Route, root: Path, outside: Path
) -> None:
    (root / "innocent.png").symlink_to(outside)
    problem = await refused(mcp_client, chat_route, str(root / "innocent.png"), file_roots=[str(root)])
    assert str(outside) not in problem


async def test_a_dot_dot_file_url_is_refused(
    mcp_client: Any, chat_route: respx.Route, root: Path, outside: Path
) -> None:
    problem = await refused(mcp_client, chat_route, f"file://{root}/../{outside.name}", file_roots=[str(root)])
    assert "is outside the directories in OPENROUTER_FILE_ROOTS" in problem


async def test_a_symlink_inside_a_root_pointing_outside_is_refused(
    mcp_client: Any, chat_route: respx.Route, root: Path, outside: Path
) -> None:
    (root / "innocent.png").symlink_to(outside)
    problem = await refused(mcp_client, chat_route, str(root / "innocent.png"), file_roots=[str(root)])
    assert "is outside the directories in OPENROUTER_FILE_ROOTS" in problem


async def test_a_symlinked_directory_inside_a_root_pointing_outside_is_refused(
    mcp_client: Any, chat_route: respx.Route, root: Path, outside: Path
) -> None:
    (root / "door").symlink_to(outside.parent, target_is_directory=True)
    problem = await refused(mcp_client, chat_route, str(root / "door" / outside.name), file_roots=[str(root)])
    assert "is outside the directories in OPENROUTER_FILE_ROOTS" in problem


async def test_a_sibling_directory_sharing_the_roots_prefix_is_outside(
    mcp_client: Any, chat_route: respx.Route, root: Path
) -> None:
    sibling = root.parent / (root.name + "-evil")
    sibling.mkdir()
    (sibling / "x.png").write_bytes(PNG)
    problem = await refused(mcp_client, chat_route, str(sibling / "x.png"), file_roots=[str(root)])
    assert "is outside the directories in OPENROUTER_FILE_ROOTS" in problem


async def test_proc_self_environ_is_refused(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    problem = await refused(mcp_client, chat_route, "/proc/self/environ", file_roots=[str(root)])
    assert "/proc/self/environ is outside the directories in OPENROUTER_FILE_ROOTS" in problem


async def test_a_directory_is_refused(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    (root / "album").mkdir()
    problem = await refused(mcp_client, chat_route, str(root / "album"), file_roots=[str(root)])
    assert problem.endswith("album is a directory, not a regular file")


async def test_a_fifo_is_refused_without_hanging(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    os.mkfifo(root / "pipe.png")
    with fifo_watchdog(root / "pipe.png") as hung:
        problem = await refused(mcp_client, chat_route, str(root / "pipe.png"), file_roots=[str(root)])
    assert not hung.is_set(), "opening the FIFO blocked until the watchdog wrote to it"
    assert problem.endswith("pipe.png is a FIFO (named pipe), not a regular file")


async def test_a_missing_file_is_a_clear_error(mcp_client: Any, chat_route: respx.Route, root: Path) -> None:
    problem = await refused(mcp_client, chat_route, str(root / "nope.png"), file_roots=[str(root)])
    assert problem.endswith("nope.png: no such file")


async def test_a_file_that_grows_after_the_size_check_is_refused(
    mcp_client: Any, chat_route: respx.Route, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grown = root / "growing.png"
    grown.write_bytes(png(padding=2 * 1024 * 1024))
    real_fstat = os.fstat

    def fstat_before_growth(fd: int) -> os.stat_result:
        # What fstat said when the file was still small; the file then grew past the limit.
        info = real_fstat(fd)
        fields = list(info)
        fields[6] = len(PNG)
        return os.stat_result(fields)

    monkeypatch.setattr(files.os, "fstat", fstat_before_growth)
    problem = await refused(mcp_client, chat_route, str(grown), file_roots=[str(root)], max_file_mb=1)
    assert "over the 1 MB per-file limit (OPENROUTER_MAX_FILE_MB)" in problem


def test_reading_stops_one_byte_past_the_limit(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = root / "big.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"x" * 5_000_000)
    real_fstat = os.fstat
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat_result([*list(real_fstat(fd))[:6], 10, 0, 0, 0]))
    with pytest.raises(FileTooLarge) as caught:
        read_inside(str(big), str(big), [str(root)], 1000)
    assert (caught.value.size, caught.value.limit) == (1001, 1000)


def test_a_last_component_swapped_for_a_symlink_after_resolution_is_not_followed(
    root: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = root / "swapped.png"
    link.symlink_to(outside)
    # As if realpath ran before the attacker replaced the file with a symlink.
    monkeypatch.setattr(files.os.path, "realpath", lambda path: path)
    with pytest.raises(FileRefused, match="changed into a symbolic link"):
        read_inside(str(link), str(link), [str(root)], 1000)


def test_a_parent_directory_swapped_for_a_symlink_is_caught_on_the_descriptor(
    root: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (root / "dir").symlink_to(outside.parent, target_is_directory=True)
    target = root / "dir" / outside.name
    monkeypatch.setattr(files.os.path, "realpath", lambda path: path)
    with pytest.raises(FileRefused, match="outside the directories"):
        read_inside(str(target), str(target), [str(root)], 1000)


def test_a_root_that_is_a_symlink_is_resolved_at_startup(tmp_path: Path, root: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    settings = load_settings(OPENROUTER_FILE_ROOTS=str(alias))
    assert settings.file_roots == [str(root)]
    assert bytes(read_inside("x", str(alias / "shot.png"), settings.file_roots, 1000).data) == PNG


def test_a_relative_root_is_a_configuration_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_FILE_ROOTS", f"/srv/pictures{os.pathsep}docs")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == (
        f"OPENROUTER_FILE_ROOTS='/srv/pictures{os.pathsep}docs' is invalid: "
        f"expected absolute directory paths separated by {os.pathsep!r}"
    )


async def test_with_a_relative_root_every_chat_call_answers_the_configuration_error(
    mcp_client: Any, chat_route: respx.Route, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENROUTER_FILE_ROOTS", "docs")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    monkeypatch.delenv("OPENROUTER_FILE_ROOTS")  # the server is built as the CLI builds it after the error
    async with mcp_client(config_error=str(caught.value)) as client:
        result = await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": "hi"}]})
    assert "invalid configuration: OPENROUTER_FILE_ROOTS='docs' is invalid" in refusal(result)
    assert chat_route.call_count == 0


def test_several_roots_are_split_on_the_path_separator(tmp_path: Path) -> None:
    settings = load_settings(OPENROUTER_FILE_ROOTS=f"{tmp_path}/a{os.pathsep}{tmp_path}/b")
    assert settings.file_roots == [f"{tmp_path}/a", f"{tmp_path}/b"]


def test_a_relative_output_dir_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_OUTPUT_DIR", "images")
    with pytest.raises(ConfigError, match="OPENROUTER_OUTPUT_DIR='images' is invalid: expected an absolute"):
        load_settings()
