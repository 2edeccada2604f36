"""Settings are read once from the environment; a malformed one stops start-up in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.config import ConfigError, load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "nonsense"),
        ("DATABASE_URL", "mysql://localhost/marketplace"),
        ("MAIL_PORT", "abc"),
        ("MAIL_PORT", "70000"),
        ("MAIL_USE_TLS", "perhaps"),
        ("PLATFORM_FEE_BPS", "-1"),
        ("PLATFORM_FEE_BPS", "ten"),
        ("SECRET_KEY", "short"),
        ("MARKETPLACE_ENV", "bogus"),
        ("ELASTICSEARCH_URL", "localhost:9200"),
        ("OPENSEARCH_URL", "ftp://search.internal"),
        ("ALERT_UNSPENT_WEEKS", "0"),
        ("ALERT_PROVIDER_SHARE_PERCENT", "150"),
        ("STRIPE_API_BASE", "not a url"),
    ],
)
def test_a_malformed_setting_stops_start_up_naming_the_setting(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({name: value}, instance_path=tmp_path)
    message = str(caught.value)
    assert message.startswith(name)
    assert "\n" not in message


def test_nothing_set_gives_a_working_default_on_one_machine(tmp_path: Path) -> None:
    settings = load_settings({}, instance_path=tmp_path)
    assert settings.environment == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'marketplace.sqlite3'}"
    assert settings.mail_port == 25
    assert settings.platform_fee_bps == 0
    assert settings.ratelimit_storage_uri == "memory://"
    assert settings.stripe_api_key is None


def test_secret_key_is_generated_into_the_instance_folder_once_and_reused(tmp_path: Path) -> None:
    first = load_settings({}, instance_path=tmp_path).secret_key
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 32
    assert key_file.stat().st_mode & 0o077 == 0  # readable by the owner only
    assert load_settings({}, instance_path=tmp_path).secret_key == first


def test_a_secret_key_from_the_environment_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = load_settings({"SECRET_KEY": "x" * 40}, instance_path=tmp_path)
    assert settings.secret_key == "x" * 40
    assert not (tmp_path / "secret_key").exists()


def test_a_postgres_url_is_pointed_at_the_installed_driver(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgres://app:pw@127.0.0.1:5432/marketplace"}
    settings = load_settings(env, instance_path=tmp_path)
    assert settings.database_url == "postgresql+psycopg://app:pw@127.0.0.1:5432/marketplace"


def test_well_formed_settings_are_read(tmp_path: Path) -> None:
    env = {
        "MARKETPLACE_ENV": "production",
        "SERVER_NAME": "care.example.gov.uk",
        "MAIL_SERVER": "smtp.internal",
        "MAIL_PORT": "587",
        "MAIL_USE_TLS": "yes",
        "PLATFORM_FEE_BPS": "250",
        "OPENSEARCH_URL": "http://127.0.0.1:9200",
        "ALERT_UNSPENT_WEEKS": "12",
    }
    settings = load_settings(env, instance_path=tmp_path)
    config = settings.as_flask_config()
    assert settings.mail_port == 587
    assert settings.mail_use_tls is True
    assert settings.platform_fee_bps == 250
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["PREFERRED_URL_SCHEME"] == "https"
    assert config["TRUSTED_HOSTS"] == ["care.example.gov.uk"]
    assert config["OPENSEARCH_URL"] == "http://127.0.0.1:9200"
    assert config["ALERT_UNSPENT_WEEKS"] == 12 and config["ALERT_PROVIDER_SHARE_PERCENT"] == 50


def _flask(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SECRET_KEY", "MARKETPLACE_ENV", "TEST_DATABASE_URL")
    }
    environment.update(INSTANCE_PATH=str(tmp_path), **env)
    return subprocess.run(  # noqa: S603  (our own interpreter and arguments)
        [sys.executable, "-m", "flask", "--app", "wsgi", "routes"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [("DATABASE_URL", "nonsense"), ("MAIL_PORT", "abc"), ("PLATFORM_FEE_BPS", "-1")],
)
def test_the_command_line_refuses_to_start_with_one_line_naming_the_setting(
    tmp_path: Path, name: str, value: str
) -> None:
    result = _flask(tmp_path, **{name: value})
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Configuration error: {name} ")


def test_the_command_line_starts_with_nothing_set(tmp_path: Path) -> None:
    result = _flask(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "main.home" in result.stdout


def test_production_needs_the_host_name_that_links_in_emails_are_built_from(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="SERVER_NAME must be set in production"):
        load_settings({"MARKETPLACE_ENV": "production"}, instance_path=tmp_path)
