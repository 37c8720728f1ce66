"""The installed console script's command line: --version, --help and `check`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import TEST_KEY, ServerProcess, server_command
from tests.fake_upstream import KEY, MODELS, FakeUpstream, Reply
from tests.results import failed, ok


def run(arguments: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script with stdin left open: a command that started the server instead would hang."""
    with subprocess.Popen(
        [*server_command(), *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **env},
        cwd=cwd,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_version_prints_the_version_and_does_not_start_the_server(tmp_path: Path) -> None:
    from openrouterai_mcp import __version__

    done = run(["--version"], {}, tmp_path)
    assert (done.returncode, done.stdout) == (0, f"openrouterai-mcp {__version__}\n")


def test_help_lists_the_variables_and_does_not_start_the_server(tmp_path: Path) -> None:
    done = run(["--help"], {}, tmp_path)
    assert done.returncode == 0
    assert "OPENROUTER_API_KEY (or API_KEY)" in done.stdout
    assert "Provider routing defaults" in done.stdout
    assert "check" in done.stdout


def test_check_on_a_healthy_setup_exits_zero(tmp_path: Path, env: dict[str, str], upstream: FakeUpstream) -> None:
    done = run(["check"], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Verdict: all good" in done.stdout
    assert "sk-or-…cdef" in done.stdout
    assert TEST_KEY not in done.stdout + done.stderr
    assert upstream.calls(MODELS)
    assert upstream.calls(KEY)


def test_check_on_a_broken_setup_exits_one_and_says_what_is_wrong(
    tmp_path: Path, env: dict[str, str], upstream: FakeUpstream
) -> None:
    upstream.script("GET", KEY, Reply(401, json={"error": {"code": 401, "message": "User not found."}}))
    (tmp_path / ".env").write_text("OPENROUTER_DEFAULT_MODEL=nobody/nothing\n", encoding="utf-8")
    done = run(["check"], env, tmp_path)
    assert done.returncode == 1
    out = " ".join(done.stdout.split())
    assert "OPENROUTER_DEFAULT_MODEL nobody/nothing (.env)" in out
    assert "FAIL default model nobody/nothing is not in the model list (check OPENROUTER_DEFAULT_MODEL)" in out
    assert "FAIL API key: API Error - 401: User not found. (check the key in OPENROUTER_API_KEY" in out
    assert "Verdict: 2 problems to fix" in out


def test_check_with_a_url_without_scheme_fails_at_once_naming_the_variable(tmp_path: Path) -> None:
    done = run(["check"], {"OPENROUTER_BASE_URL": "127.0.0.1:8089/api/v1"}, tmp_path)
    assert done.returncode == 1
    assert "FAIL  configuration: OPENROUTER_BASE_URL='127.0.0.1:8089/api/v1' is invalid" in done.stdout


async def test_a_url_without_scheme_is_a_configuration_error_on_the_first_call_and_never_sent(
    server: ServerProcess,
) -> None:
    async with server.connect({"OPENROUTER_BASE_URL": "127.0.0.1:8089/api/v1"}) as client:
        result = await client.call_tool("search_models", {"query": "x"})
    assert failed(result).startswith(
        "Error: Validation Error - invalid configuration: OPENROUTER_BASE_URL='127.0.0.1:8089/api/v1' is invalid"
    )
    assert "invalid configuration" in server.stderr_text()


async def test_every_tool_returns_structured_content_over_stdio_and_the_sdk_client_accepts_it(
    server: ServerProcess, env: dict[str, str]
) -> None:
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    messages = [{"role": "user", "content": "hi"}]
    async with server.connect(env) as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert all(tool.output_schema is not None for tool in listed.values())
        ok(await client.call_tool("chat_completion", {"messages": messages}))
        ok(await client.call_tool("chat_completion", {"messages": messages}, progress_callback=on_progress))
        ok(await client.call_tool("search_models", {"query": "claude"}))
        ok(await client.call_tool("get_model_info", {"model": "openrouter/auto"}))
        ok(await client.call_tool("validate_model", {"model": "openrouter/auto"}))
        ok(await client.call_tool("get_key_info", {}))
    assert progress  # the second chat call really streamed
