"""Who may talk to the team server: bearer tokens, the tokens file, loopback-only without one, DNS rebinding.

Each test starts the installed console script with `--transport http` and talks to it over real HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp.types import TextContent

from openrouterai_mcp import __version__
from tests.e2e.team.conftest import ALICE, BOB
from tests.fake_upstream import FakeUpstream
from tests.team_server import INITIALIZE, MCP_HEADERS, TeamServer, write_tokens

BIG = "x" * 20000


# --- bearer tokens ----------------------------------------------------------------------------------


async def test_a_request_without_an_authorization_header_is_refused_with_401_and_www_authenticate(
    team: TeamServer,
) -> None:
    async with team.http() as http:
        response = await http.post(team.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 401
    # RFC 6750: no credentials, no error code in the challenge.
    assert response.headers["www-authenticate"] == 'Bearer realm="openrouterai-mcp"'


async def test_a_request_with_a_token_not_in_the_tokens_file_is_refused_with_401(team: TeamServer) -> None:
    async with team.http(ALICE + "x") as http:
        response = await http.post(team.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    # The operator sees the refusal; nobody sees the token that was tried.
    assert "refused a request from 127.0.0.1" in team.stderr_text()
    assert ALICE not in team.stderr_text()


async def test_a_request_with_another_authorization_scheme_is_refused_with_401(team: TeamServer) -> None:
    async with team.http(Authorization=f"Basic {ALICE}") as http:
        response = await http.post(team.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_a_get_or_delete_without_a_token_is_refused_too(team: TeamServer) -> None:
    async with team.http() as http:
        got = await http.get(team.url, headers={"Accept": "text/event-stream"})
        deleted = await http.delete(team.url)
    assert (got.status_code, deleted.status_code) == (401, 401)


async def test_each_user_of_the_tokens_file_can_list_and_call_tools(team: TeamServer) -> None:
    for token in (ALICE, BOB):
        async with team.connect(token) as client:
            tools = await client.list_tools()
            assert "chat_completion" in {tool.name for tool in tools.tools}
            result = await client.call_tool("validate_model", {"model": "anthropic/claude-3.5-sonnet"})
            assert result.is_error is False


async def test_paths_other_than_mcp_answer_404_without_asking_for_a_token(team: TeamServer) -> None:
    async with team.http() as http:
        response = await http.get(team.base + "/.well-known/oauth-protected-resource")
    assert response.status_code == 404


async def test_the_health_check_answers_without_a_token(team: TeamServer) -> None:
    async with team.http() as http:
        response = await http.get(team.base + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


async def test_with_a_tokens_file_any_host_name_is_accepted_since_the_token_is_the_protection(
    team: TeamServer,
) -> None:
    # Behind a reverse proxy the Host is the team's own name for the server.
    async with team.http(ALICE, Host="mcp.team.example") as http:
        response = await http.post(team.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 200


# --- the tokens file -----------------------------------------------------------------------------------


def _refused(tmp_path: Path, env: dict[str, str], *args: str) -> str:
    server = TeamServer(tmp_path, env, *args)
    status = server.launch().wait(20)
    assert status != 0
    return server.stderr_text()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_tokens_file_others_can_read_or_write_is_refused_at_start(
    tmp_path: Path, env: dict[str, str], mode: int
) -> None:
    tokens = write_tokens(tmp_path / "tokens.txt", f"alice {ALICE}\n", mode)
    message = _refused(tmp_path, {**env, "OPENROUTER_MCP_TOKENS_FILE": str(tokens)})
    assert "OPENROUTER_MCP_TOKENS_FILE" in message
    assert f"chmod 600 {tokens}" in message
    assert "serving MCP" not in message


def test_a_malformed_line_of_the_tokens_file_is_named_by_its_number_at_start(
    tmp_path: Path, env: dict[str, str]
) -> None:
    tokens = write_tokens(tmp_path / "tokens.txt", f"# users\nalice {ALICE}\nbob\n")
    message = _refused(tmp_path, {**env, "OPENROUTER_MCP_TOKENS_FILE": str(tokens)})
    assert "line 3" in message


def test_a_bad_daily_budget_in_the_tokens_file_is_refused_at_start(tmp_path: Path, env: dict[str, str]) -> None:
    tokens = write_tokens(tmp_path / "tokens.txt", f"alice {ALICE} lots\n")
    message = _refused(tmp_path, {**env, "OPENROUTER_MCP_TOKENS_FILE": str(tokens)})
    assert "line 1" in message
    assert "lots" in message


def test_a_missing_tokens_file_is_refused_at_start(tmp_path: Path, env: dict[str, str]) -> None:
    message = _refused(tmp_path, {**env, "OPENROUTER_MCP_TOKENS_FILE": str(tmp_path / "nope.txt")})
    assert "nope.txt" in message


def test_the_tokens_never_appear_in_the_servers_output(tmp_path: Path, env: dict[str, str]) -> None:
    tokens = write_tokens(tmp_path / "tokens.txt", f"alice {ALICE}\nbob {BOB} oops\n")
    message = _refused(tmp_path, {**env, "OPENROUTER_MCP_TOKENS_FILE": str(tokens)})
    assert ALICE not in message
    assert BOB not in message


# --- loopback only without a tokens file ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_without_a_tokens_file_a_non_loopback_host_is_refused_at_start(
    tmp_path: Path, env: dict[str, str], host: str
) -> None:
    message = _refused(tmp_path, env, "--host", host)
    assert host in message
    assert "OPENROUTER_MCP_TOKENS_FILE" in message


def test_without_a_tokens_file_a_non_loopback_host_from_the_environment_is_refused_too(
    tmp_path: Path, env: dict[str, str]
) -> None:
    message = _refused(tmp_path, {**env, "OPENROUTER_MCP_HOST": "0.0.0.0"})
    assert "0.0.0.0" in message


async def test_without_a_tokens_file_a_loopback_client_needs_no_token(local: TeamServer) -> None:
    async with local.connect() as client:
        result = await client.call_tool("validate_model", {"model": "anthropic/claude-3.5-sonnet"})
    assert result.is_error is False


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.evil.example"])
async def test_without_a_tokens_file_a_foreign_host_header_is_refused_with_421(local: TeamServer, host: str) -> None:
    async with local.http(Host=host) as http:
        response = await http.post(local.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 421


async def test_without_a_tokens_file_a_foreign_origin_is_refused_with_403(local: TeamServer) -> None:
    async with local.http(Origin="http://evil.example") as http:
        response = await http.post(local.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 403


async def test_without_a_tokens_file_a_loopback_origin_is_accepted(local: TeamServer) -> None:
    async with local.http(Origin="http://localhost:3000") as http:
        response = await http.post(local.url, json=INITIALIZE, headers=MCP_HEADERS)
    assert response.status_code == 200


async def test_the_rebinding_check_also_covers_the_2026_stateless_protocol(local: TeamServer) -> None:
    headers = {**MCP_HEADERS, "MCP-Protocol-Version": "2026-07-28"}
    async with local.http(Host="evil.example") as http:
        response = await http.post(local.url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers)
    assert response.status_code == 421


# --- request size -----------------------------------------------------------------------------------------


async def test_a_body_over_the_limit_is_refused_with_413_and_nothing_is_sent_upstream(
    tmp_path: Path, team_env: dict[str, str], upstream: FakeUpstream
) -> None:
    server = TeamServer(tmp_path, {**team_env, "OPENROUTER_MCP_MAX_BODY_MB": "0.01"}).start()
    try:
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "chat_completion", "arguments": {"messages": [{"role": "user", "content": BIG}]}},
        }
        async with server.http(ALICE) as http:
            response = await http.post(server.url, content=json.dumps(call), headers=MCP_HEADERS)
            small = await http.post(server.url, json=INITIALIZE, headers=MCP_HEADERS)
    finally:
        server.stop()
    assert response.status_code == 413
    assert small.status_code == 200
    assert upstream.requests == []


async def test_a_call_under_the_body_limit_reaches_the_upstream(team: TeamServer, upstream: FakeUpstream) -> None:
    async with team.connect(ALICE) as client:
        result = await client.call_tool("chat_completion", {"messages": [{"role": "user", "content": "x" * 20000}]})
    assert result.is_error is False
    assert isinstance(result.content[0], TextContent)
    assert len(upstream.requests) >= 1


# --- choosing the transport -------------------------------------------------------------------------------


async def test_the_transport_can_be_chosen_by_environment_variables(tmp_path: Path, env: dict[str, str]) -> None:
    server = TeamServer(tmp_path, {**env, "OPENROUTER_MCP_TRANSPORT": "http", "OPENROUTER_MCP_PORT": "0"})
    server.args = []
    server.start()
    try:
        async with server.http() as http:
            response = await http.get(server.base + "/healthz")
    finally:
        server.stop()
    assert response.json()["status"] == "ok"
    assert server.url.startswith("http://127.0.0.1:")


def test_a_bad_setting_stops_the_team_server_at_start_naming_the_variable(tmp_path: Path, env: dict[str, str]) -> None:
    message = _refused(tmp_path, {**env, "OPENROUTER_MCP_MAX_CONCURRENT_PER_USER": "lots"})
    assert "OPENROUTER_MCP_MAX_CONCURRENT_PER_USER='lots' is invalid" in message


async def test_without_a_tokens_file_another_loopback_address_serves_requests_naming_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    server = TeamServer(tmp_path, env, "--host", "127.0.0.2").start()
    try:
        async with server.http() as http:
            response = await http.post(server.url, json=INITIALIZE, headers=MCP_HEADERS)
    finally:
        server.stop()
    assert server.url.startswith("http://127.0.0.2:")
    assert response.status_code == 200
