from __future__ import annotations

from pathlib import Path

import pytest

from openrouterai_mcp.settings import ConfigError, Settings, load_settings


def test_openrouter_api_key_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-1")
    settings = load_settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-or-1"


def test_gateway_api_key_is_used_when_openrouter_key_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", "sk-gateway")
    settings = load_settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-gateway"


def test_openrouter_api_key_wins_over_gateway_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_KEY", "sk-gateway")
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-1")
    settings = load_settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-or-1"


def test_blank_api_key_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "  ")
    assert load_settings().api_key is None


def test_api_key_is_not_shown_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-very-secret")
    assert "sk-or-very-secret" not in repr(load_settings())


def test_api_endpoint_sets_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_ENDPOINT", "https://api.example.test/v1")
    assert load_settings().resolved_base_url == "https://api.example.test/v1"


def test_openrouter_base_url_wins_over_api_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_ENDPOINT", "https://gateway.test/v1")
    monkeypatch.setenv("OPENROUTER_BASE_URL", "https://openrouter.test/api/v1")
    assert load_settings().resolved_base_url == "https://openrouter.test/api/v1"


def test_default_model_gateway_name_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_MODEL", "openai/gpt-4o-mini")
    assert load_settings().default_model == "openai/gpt-4o-mini"


def test_openrouter_default_model_wins_over_default_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("OPENROUTER_DEFAULT_MODEL", "anthropic/claude-sonnet-4.5")
    assert load_settings().default_model == "anthropic/claude-sonnet-4.5"


def test_default_max_tokens_gateway_name_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_MAX_TOKENS", "512")
    assert load_settings().max_tokens == 512


def test_openrouter_max_tokens_wins_over_default_max_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_MAX_TOKENS", "512")
    monkeypatch.setenv("OPENROUTER_MAX_TOKENS", "2048")
    assert load_settings().max_tokens == 2048


def test_gateway_only_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_TEMPERATURE", "0.3")
    monkeypatch.setenv("DESCRIPTION", "Prefer cheap models.")
    monkeypatch.setenv("REQUEST_TIMEOUT", "15")
    monkeypatch.setenv("ANTHROPIC_VERSION", "2024-01-01")
    monkeypatch.setenv("OPENAI_ORGANIZATION", "org-123")
    monkeypatch.setenv("API_FORMAT", "anthropic")
    settings = load_settings()
    assert settings.default_temperature == 0.3
    assert settings.description == "Prefer cheap models."
    assert settings.request_timeout == 15.0
    assert settings.anthropic_version == "2024-01-01"
    assert settings.openai_organization == "org-123"
    assert settings.api_format == "anthropic"


def test_defaults_when_nothing_is_set() -> None:
    settings = load_settings()
    assert settings.api_key is None
    assert settings.api_format == "openai"
    assert settings.resolved_base_url == "https://openrouter.ai/api/v1"
    assert settings.request_timeout == 60.0
    assert settings.anthropic_version == "2023-06-01"
    assert settings.provider_defaults() == {}


def test_provider_order_accepts_a_json_array(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_ORDER", '["openai", "anthropic, inc"]')
    assert load_settings().provider_order == ["openai", "anthropic, inc"]


def test_provider_order_accepts_a_shell_quoted_json_array(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_ORDER", """'["a","b"]'""")
    assert load_settings().provider_order == ["a", "b"]


def test_provider_order_accepts_a_comma_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_ORDER", "openai, anthropic ,google")
    assert load_settings().provider_order == ["openai", "anthropic", "google"]


def test_provider_order_json_array_of_non_strings_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_ORDER", "[1, 2]")
    with pytest.raises(ConfigError, match="OPENROUTER_PROVIDER_ORDER"):
        load_settings()


def test_provider_quantizations_and_ignore_are_comma_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_QUANTIZATIONS", "fp16, int8,,")
    monkeypatch.setenv("OPENROUTER_PROVIDER_IGNORE", "Azure,Together")
    settings = load_settings()
    assert settings.provider_quantizations == ["fp16", "int8"]
    assert settings.provider_ignore == ["Azure", "Together"]


def test_false_booleans_are_kept_in_provider_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_ALLOW_FALLBACKS", "false")
    monkeypatch.setenv("OPENROUTER_PROVIDER_REQUIRE_PARAMETERS", "false")
    assert load_settings().provider_defaults() == {"allow_fallbacks": False, "require_parameters": False}


def test_provider_defaults_carry_every_provider_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_QUANTIZATIONS", "fp8")
    monkeypatch.setenv("OPENROUTER_PROVIDER_IGNORE", "Azure")
    monkeypatch.setenv("OPENROUTER_PROVIDER_SORT", "throughput")
    monkeypatch.setenv("OPENROUTER_PROVIDER_ORDER", '["openai"]')
    monkeypatch.setenv("OPENROUTER_PROVIDER_REQUIRE_PARAMETERS", "true")
    monkeypatch.setenv("OPENROUTER_PROVIDER_DATA_COLLECTION", "deny")
    monkeypatch.setenv("OPENROUTER_PROVIDER_ALLOW_FALLBACKS", "true")
    assert load_settings().provider_defaults() == {
        "quantizations": ["fp8"],
        "ignore": ["Azure"],
        "sort": "throughput",
        "order": ["openai"],
        "require_parameters": True,
        "data_collection": "deny",
        "allow_fallbacks": True,
    }


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("OPENROUTER_PROVIDER_SORT", "cheapest", "price, throughput or latency"),
        ("OPENROUTER_MAX_TOKENS", "ten", "a whole number greater than 0"),
        ("DEFAULT_MAX_TOKENS", "ten", "a whole number greater than 0"),
        ("OPENROUTER_PROVIDER_DATA_COLLECTION", "maybe", "allow or deny"),
        ("API_FORMAT", "foo", "openai or anthropic"),
        ("OPENROUTER_PROVIDER_ALLOW_FALLBACKS", "sometimes", "true or false"),
        ("DEFAULT_TEMPERATURE", "5", "a number from 0 to 2"),
    ],
)
def test_invalid_value_is_a_config_error_naming_the_variable_and_allowed_values(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"{variable}={value!r}" in message
    assert allowed in message


def test_config_error_lists_every_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_PROVIDER_SORT", "cheapest")
    monkeypatch.setenv("OPENROUTER_MAX_TOKENS", "ten")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "OPENROUTER_PROVIDER_SORT" in str(caught.value)
    assert "OPENROUTER_MAX_TOKENS" in str(caught.value)


def test_dotenv_file_in_the_working_directory_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("OPENROUTER_API_KEY=sk-from-dotenv\nOPENROUTER_PROVIDER_SORT=latency\n")
    settings = load_settings()
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "sk-from-dotenv"
    assert settings.provider_sort == "latency"


def test_environment_wins_over_dotenv_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("OPENROUTER_DEFAULT_MODEL=from/dotenv\n")
    monkeypatch.setenv("OPENROUTER_DEFAULT_MODEL", "from/environment")
    assert load_settings().default_model == "from/environment"


def test_bad_value_in_dotenv_file_names_its_variable(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("# defaults\nDEFAULT_MAX_TOKENS=lots\n")
    with pytest.raises(ConfigError, match="DEFAULT_MAX_TOKENS='lots' is invalid"):
        load_settings()


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("https://openrouter.ai/api/v1/chat/completions", "https://openrouter.ai/api/v1"),
        ("https://api.example.test/v1/chat/completions/", "https://api.example.test/v1"),
        ("https://api.example.test/v1/", "https://api.example.test/v1"),
        ("https://api.anthropic.test/v1/messages", "https://api.anthropic.test/v1"),
    ],
)
def test_resolved_base_url_takes_a_pasted_endpoint_path_off(endpoint: str, expected: str) -> None:
    assert Settings(base_url=endpoint).resolved_base_url == expected


def test_anthropic_format_defaults_to_anthropic_endpoint() -> None:
    assert Settings(api_format="anthropic").resolved_base_url == "https://api.anthropic.com"


def test_openrouter_extras_are_on_by_default_and_for_openrouter_base_url() -> None:
    assert Settings().is_openrouter
    assert Settings(base_url="http://127.0.0.1:8080/api/v1").is_openrouter


def test_openrouter_extras_are_off_for_a_foreign_api_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_ENDPOINT", "https://api.openai.test/v1")
    assert not load_settings().is_openrouter


def test_openrouter_extras_stay_on_for_an_api_endpoint_on_openrouter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_ENDPOINT", "https://openrouter.ai/api/v1/chat/completions")
    assert load_settings().is_openrouter


def test_openrouter_extras_are_off_for_the_anthropic_format() -> None:
    assert not Settings(api_format="anthropic").is_openrouter


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPENROUTER_BASE_URL", "127.0.0.1:8089/api/v1"),
        ("API_ENDPOINT", "api.openai.com/v1"),
        ("API_ENDPOINT", "ftp://files.example.test/v1"),
        ("OPENROUTER_BASE_URL", "https://"),
        ("PROXY_URL", "proxy.example.test:8080"),
        ("HTTP_PROXY", "proxy.example.test:8080"),
        ("HTTPS_PROXY", "//proxy.example.test:8080"),
    ],
)
def test_a_url_without_a_usable_scheme_is_a_config_error_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=f"^{variable}='{value}' is invalid: expected an absolute"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("OPENROUTER_BASE_URL", "http://127.0.0.1:8089/api/v1"),
        ("API_ENDPOINT", "HTTPS://api.openai.com/v1"),
        ("HTTPS_PROXY", "socks5://127.0.0.1:1080"),
        ("HTTP_PROXY", "http://user:secret@proxy.example.test:8080"),
    ],
)
def test_absolute_urls_and_proxy_schemes_are_accepted(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    load_settings()


def test_an_unfilled_bundle_placeholder_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENROUTER_DEFAULT_MODEL", "${user_config.default_model}")
    monkeypatch.setenv("OPENROUTER_API_KEY", "${user_config.api_key}")
    monkeypatch.setenv("REQUEST_TIMEOUT", "${user_config.timeout}")
    settings = load_settings()
    assert settings.default_model is None
    assert settings.api_key is None
    assert settings.request_timeout == 60


def test_a_bad_proxy_url_is_named_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "user:s3cret-pass@proxy.example.test:8080")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "HTTPS_PROXY='user:***@proxy.example.test:8080' is invalid" in str(caught.value)
    assert "s3cret-pass" not in str(caught.value)
