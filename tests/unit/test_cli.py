"""The command line: --help generated from the settings, --version, and the `check` command's report."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import httpx
import pytest
import respx
from unit_payloads import SECRET, catalog_payload, key_info

from openrouterai_mcp import __version__
from openrouterai_mcp.check import mask_key, run_check, sources
from openrouterai_mcp.cli import main, settings_help
from openrouterai_mcp.settings import OTHER_GROUP, SETTING_GROUPS, Settings, grouped_fields, variable_names

UPSTREAM = "http://upstream.test/api/v1"


def test_version_prints_the_version_and_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"openrouterai-mcp {__version__}\n"


def test_help_lists_every_variable_on_one_line_with_its_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for name, field in Settings.model_fields.items():
        first = variable_names(name)[0]
        lines = [line for line in out.splitlines() if line.strip().startswith(first + " ") or line.strip() == first]
        assert len(lines) == 1, first
        assert field.description and field.description in lines[0]
        for alias in variable_names(name)[1:]:
            assert alias in lines[0]


def test_help_groups_the_variables_under_their_titles_in_order() -> None:
    text = settings_help()
    positions = [text.index(f"\n{title}:\n") for title in SETTING_GROUPS]
    assert positions == sorted(positions)
    section = text.split("\nChat defaults:\n", 1)[1].split("\n\n", 1)[0]
    assert "OPENROUTER_DEFAULT_MODEL (or DEFAULT_MODEL)" in section
    assert "OPENROUTER_API_KEY" not in section


def test_help_shows_an_on_off_settings_default_as_on_the_word_the_docs_use() -> None:
    (line,) = [line for line in settings_help().splitlines() if line.strip().startswith("OPENROUTER_HISTORY ")]
    assert line.endswith("[default: on]")


def test_every_setting_has_a_one_line_description() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name
        assert "\n" not in field.description, name


def test_a_setting_missing_from_the_group_map_is_still_listed_under_other(monkeypatch: pytest.MonkeyPatch) -> None:
    groups = {title: names for title, names in SETTING_GROUPS.items() if title != "Chat defaults"}
    monkeypatch.setattr("openrouterai_mcp.settings.SETTING_GROUPS", groups)
    other = dict(grouped_fields())[OTHER_GROUP]
    assert other == list(SETTING_GROUPS["Chat defaults"])
    assert "OPENROUTER_CONTEXT_BUDGET_TOKENS" in settings_help()


def test_an_unknown_option_is_a_usage_error_not_a_server(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--no-such-option"])
    assert exited.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        ("sk-or-v1-0123456789abcdef", "sk-or-…cdef"),
        ("sk-ant-api03-0123456789wxyz", "sk-ant-…wxyz"),
        ("plainkey0123456789", "…6789"),
        ("short", "(set, 5 characters)"),
    ],
)
def test_the_key_is_masked_to_its_kind_and_last_four_characters(key: str, masked: str) -> None:
    assert mask_key(key) == masked


def test_sources_say_environment_over_dotenv_over_default_and_an_empty_value_is_unset() -> None:
    found = sources(
        {
            "API_KEY": "sk-env-key-123456",
            "OPENROUTER_DEFAULT_MODEL": "  ",
            "request_timeout": "5",
            "OPENROUTER_MAX_TOKENS": "${user_config.max_tokens}",
        },
        {"OPENROUTER_API_KEY": "sk-file-key-1234", "OPENROUTER_DEFAULT_MODEL": "a/b", "OPENROUTER_MAX_RETRIES": ""},
    )
    assert (found["api_key"].variable, found["api_key"].origin) == ("API_KEY", "environment")
    assert (found["default_model"].variable, found["default_model"].origin) == ("OPENROUTER_DEFAULT_MODEL", ".env")
    assert found["request_timeout"].origin == "environment"
    assert found["max_retries"].origin == "default"
    assert found["max_tokens"].origin == "default"  # a bundle placeholder the user did not fill


# --- check ---------------------------------------------------------------------------------------


@pytest.fixture
def healthy(router: respx.MockRouter) -> respx.MockRouter:
    router.get("/models").respond(json=catalog_payload())
    router.get("/key").respond(json=key_info())
    return router


def check(router: respx.MockRouter) -> tuple[int, str]:
    """The exit status and the report, with runs of spaces (column padding) squeezed to one."""
    out = io.StringIO()
    status = run_check(out, transport=httpx.MockTransport(router.async_handler))
    return status, re.sub(" +", " ", out.getvalue())


def test_check_on_a_healthy_setup_reports_each_probe_and_exits_zero(
    monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    status, out = check(healthy)
    assert status == 0, out
    assert f"OPENROUTER_BASE_URL {UPSTREAM} (environment)" in out
    assert "API_FORMAT openai (default)" in out
    assert f"model list: {len(catalog_payload()['data'])} models from {UPSTREAM}/models" in out
    assert "default model openrouter/auto is in the model list" in out
    assert "API key accepted: label 'sk-or-v1-abc...xyz', $17.50 left of $20.00" in out
    assert out.rstrip().endswith("Verdict: all good. The server is ready; add it to your MCP client.")
    assert SECRET not in out
    assert mask_key(SECRET) in out


def test_check_with_a_refused_key_fails_naming_the_key_variable_and_never_prints_the_key(
    monkeypatch: pytest.MonkeyPatch, router: respx.MockRouter
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    router.get("/models").respond(json=catalog_payload())
    router.get("/key").respond(401, json={"error": {"message": f"User not found for {SECRET}", "code": 401}})
    status, out = check(router)
    assert status == 1
    assert "FAIL API key: API Error - 401: User not found for [redacted] (check the key in OPENROUTER_API_KEY" in out
    assert "Verdict: 1 problem to fix" in out
    assert SECRET not in out


def test_check_with_a_bad_variable_fails_naming_it_and_shows_its_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, router: respx.MockRouter
) -> None:
    (tmp_path / ".env").write_text("OPENROUTER_PROVIDER_SORT=cheapest\n", encoding="utf-8")
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    status, out = check(router)
    assert status == 1
    assert "OPENROUTER_PROVIDER_SORT cheapest (.env)" in out
    assert "FAIL configuration: OPENROUTER_PROVIDER_SORT='cheapest' is invalid" in out
    assert not router.calls


def test_check_without_a_key_probes_the_catalog_but_fails(
    monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter
) -> None:
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    status, out = check(healthy)
    assert status == 1
    assert "OPENROUTER_API_KEY (unset) (default)" in out
    assert "ok model list: " in out
    assert "FAIL no API key: chat_completion refuses every call; set OPENROUTER_API_KEY (or API_KEY)" in out


def test_check_reports_an_unreachable_model_list_and_an_unknown_default_model(
    monkeypatch: pytest.MonkeyPatch, router: respx.MockRouter
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    monkeypatch.setenv("DEFAULT_MODEL", "nobody/nothing")
    router.get("/models").mock(side_effect=httpx.ConnectError("connection refused"))
    router.get("/key").respond(json=key_info())
    status, out = check(router)
    assert status == 1
    assert f"FAIL model list from {UPSTREAM}/models: API Error - could not connect to upstream.test" in out
    assert "DEFAULT_MODEL nobody/nothing (environment)" in out


def test_check_flags_a_default_model_missing_from_the_openrouter_catalog(
    monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    monkeypatch.setenv("DEFAULT_MODEL", "nobody/nothing")
    status, out = check(healthy)
    assert status == 1
    assert "FAIL default model nobody/nothing is not in the model list (check DEFAULT_MODEL)" in out


def test_check_works_for_the_gateways_anthropic_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_FORMAT", "anthropic")
    monkeypatch.setenv("API_KEY", "sk-ant-api03-0123456789wxyz")
    monkeypatch.setenv("API_ENDPOINT", "http://anthropic.test")
    monkeypatch.setenv("DEFAULT_MODEL", "claude-sonnet-4-5")
    router = respx.MockRouter(base_url="http://anthropic.test", assert_all_called=False)
    route = router.get("/v1/models").respond(json={"data": [{"id": "claude-sonnet-4-5-20250929", "type": "model"}]})
    status, out = check(router)
    assert status == 0, out
    assert route.calls.last.request.headers["x-api-key"] == "sk-ant-api03-0123456789wxyz"
    assert "API_KEY sk-ant-…wxyz (environment)" in out
    assert "API_ENDPOINT http://anthropic.test (environment)" in out
    assert "OPENROUTER_BASE_URL" not in out
    assert "note default model claude-sonnet-4-5 is not in the model list; this API may still accept it" in out
    assert "ok API key set, and the model list answered with it" in out


def test_check_shows_a_proxy_without_its_password(monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    monkeypatch.setenv("HTTPS_PROXY", "http://user:s3cret-pass@proxy.example.test:8080")
    _status, out = check(healthy)
    assert "HTTPS_PROXY http://user:***@proxy.example.test:8080 (environment)" in out
    assert "s3cret-pass" not in out


def test_check_fails_on_a_file_root_that_does_not_exist_or_is_a_file_and_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter, tmp_path: Path
) -> None:
    good, missing, a_file = tmp_path / "shots", tmp_path / "nowhere", tmp_path / "notes.txt"
    good.mkdir()
    a_file.write_text("x", encoding="utf-8")
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    monkeypatch.setenv("OPENROUTER_FILE_ROOTS", os.pathsep.join(map(str, (good, missing, a_file))))
    status, out = check(healthy)
    assert status == 1
    assert f"FAIL OPENROUTER_FILE_ROOTS: {missing} does not exist; no file there can be attached" in out
    assert f"FAIL OPENROUTER_FILE_ROOTS: {a_file} is not a directory" in out
    assert "Verdict: 2 problems to fix" in out


def test_check_confirms_file_roots_that_are_directories(
    monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    monkeypatch.setenv("OPENROUTER_FILE_ROOTS", str(tmp_path))
    status, out = check(healthy)
    assert status == 0, out
    assert "ok file roots: 1 directory whose files chat calls may attach" in out


def test_check_fails_on_an_output_dir_that_is_a_file(
    monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter, tmp_path: Path
) -> None:
    target = tmp_path / "image.png"
    target.write_bytes(b"x")
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    monkeypatch.setenv("OPENROUTER_OUTPUT_DIR", str(target))
    status, out = check(healthy)
    assert status == 1
    assert f"FAIL OPENROUTER_OUTPUT_DIR: {target} is not a directory; generated images cannot be saved there" in out


def test_check_accepts_an_output_dir_that_does_not_exist_yet(
    monkeypatch: pytest.MonkeyPatch, healthy: respx.MockRouter, tmp_path: Path
) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", SECRET)
    monkeypatch.setenv("OPENROUTER_BASE_URL", UPSTREAM)
    monkeypatch.setenv("OPENROUTER_OUTPUT_DIR", str(tmp_path / "generated"))
    status, out = check(healthy)
    assert status == 0, out
