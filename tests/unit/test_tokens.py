"""The tokens file: format, errors by line number, permissions, constant-time lookup."""

from __future__ import annotations

from pathlib import Path

import pytest

from openrouterai_mcp.identity import Caller
from openrouterai_mcp.tokens import TokensFileError, load_tokens, parse_tokens


def test_each_line_names_a_user_a_token_and_an_optional_daily_budget() -> None:
    table = parse_tokens("alice tok-a\nbob tok-b 2.50\ncarol tok-c $1\n", source="t")
    assert table.caller_for("tok-a") == Caller("alice", None)
    assert table.caller_for("tok-b") == Caller("bob", 2.5)
    assert table.caller_for("tok-c") == Caller("carol", 1.0)


def test_blank_lines_and_comments_are_ignored() -> None:
    table = parse_tokens("# the team\n\n  alice tok-a   # lead\n\t# nobody\nbob tok-b\t# dev\n", source="t")
    assert table.users == ["alice", "bob"]


def test_an_unknown_or_partial_token_finds_nobody() -> None:
    table = parse_tokens("alice tok-alice\n", source="t")
    assert table.caller_for("tok-alic") is None
    assert table.caller_for("tok-alicee") is None
    assert table.caller_for("") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("alice\n", "line 1: expected '<user> <token> [<daily budget USD>]', got 1 fields"),
        ("# c\nalice tok 1 2\n", "line 2: expected"),
        ("alice tok ten\n", "line 1: daily budget 'ten' is not a number of USD"),
        ("alice tok -1\n", "line 1: daily budget '-1' must be a number of USD, 0 or more"),
        ("alice tok nan\n", "line 1: daily budget 'nan' must be"),
        ("alice tok-a\nalice tok-b\n", "line 2: user 'alice' is listed twice"),
        ("alice same\nbob same\n", "line 2: this token is already given to another user"),
        ("# nobody\n", "lists no users"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_line(text: str, problem: str) -> None:
    with pytest.raises(TokensFileError) as caught:
        parse_tokens(text, source="/etc/tokens")
    assert problem in str(caught.value)
    assert "OPENROUTER_MCP_TOKENS_FILE /etc/tokens" in str(caught.value)


def test_a_duplicate_token_error_does_not_show_the_token() -> None:
    with pytest.raises(TokensFileError) as caught:
        parse_tokens("alice s3cret-token\nbob s3cret-token\n", source="t")
    assert "s3cret-token" not in str(caught.value)


def test_a_file_only_its_owner_can_read_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "tokens"
    path.write_text("alice tok-a 3\n")
    path.chmod(0o600)
    assert load_tokens(str(path)).caller_for("tok-a") == Caller("alice", 3.0)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o644])
def test_a_file_group_or_others_can_read_or_write_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "tokens"
    path.write_text("alice tok-a\n")
    path.chmod(mode)
    with pytest.raises(TokensFileError) as caught:
        load_tokens(str(path))
    assert f"mode {mode:04o}" in str(caught.value)
    assert f"chmod 600 {path}" in str(caught.value)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    with pytest.raises(TokensFileError) as caught:
        load_tokens(str(tmp_path))
    assert "not a regular file" in str(caught.value) or "cannot be opened" in str(caught.value)
