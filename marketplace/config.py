"""Settings read once from the environment when the app is created.

Every setting has an embedded default so that one machine runs with nothing set.
A malformed value stops start-up with a one-line message that names the setting.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from marketplace.worker.schedule import DEFAULT_SCHEDULE, ScheduleError, When, schedule_from


class ConfigError(Exception):
    """A setting is malformed. The message is one line and names the setting."""


ENVIRONMENTS = ("development", "production", "testing")


@dataclass(frozen=True)
class Settings:
    environment: str
    database_url: str
    secret_key: str
    instance_path: Path
    mail_server: str | None
    mail_port: int
    mail_use_tls: bool
    mail_username: str | None
    mail_password: str | None
    mail_sender: str
    server_name: str | None
    ratelimit_storage_uri: str
    # Filled in by later capabilities; declared here so they are read and checked in one place.
    elasticsearch_url: str | None = None
    opensearch_url: str | None = None
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_publishable_key: str | None = None
    stripe_api_base: str | None = None
    platform_fee_bps: int = 0
    booking_request_expiry_hours: int = 48
    alert_unspent_weeks: int = 8
    alert_spend_rate_weeks: int = 4
    alert_provider_share_percent: int = 50
    queue_url: str | None = None
    log_format: str | None = None
    worker_schedule: dict[str, When] = field(default_factory=lambda: dict(DEFAULT_SCHEDULE))
    extra: dict[str, str] = field(default_factory=dict)

    def as_flask_config(self) -> dict[str, object]:
        production = self.environment == "production"
        return {
            "ENVIRONMENT": self.environment,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": production,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SECURE": production,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "PERMANENT_SESSION_LIFETIME": 60 * 60 * 8,
            "WTF_CSRF_TIME_LIMIT": 60 * 60 * 8,
            "MAIL_SERVER": self.mail_server,
            "MAIL_PORT": self.mail_port,
            "MAIL_USE_TLS": self.mail_use_tls,
            "MAIL_USERNAME": self.mail_username,
            "MAIL_PASSWORD": self.mail_password,
            "MAIL_SENDER": self.mail_sender,
            "SERVER_NAME": self.server_name,
            # In production links are https, and a request for any other host is refused.
            "PREFERRED_URL_SCHEME": "https" if production else "http",
            "TRUSTED_HOSTS": [self.server_name] if production and self.server_name else None,
            "RATELIMIT_STORAGE_URI": self.ratelimit_storage_uri,
            "QUEUE_URL": self.queue_url,
            "LOG_FORMAT": self.log_format,
            "WORKER_SCHEDULE": self.worker_schedule,
            "RATELIMIT_HEADERS_ENABLED": True,
            "ELASTICSEARCH_URL": self.elasticsearch_url,
            "OPENSEARCH_URL": self.opensearch_url,
            "STRIPE_API_KEY": self.stripe_api_key,
            "STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
            "STRIPE_PUBLISHABLE_KEY": self.stripe_publishable_key,
            "STRIPE_API_BASE": self.stripe_api_base,
            "PLATFORM_FEE_BPS": self.platform_fee_bps,
            "BOOKING_REQUEST_EXPIRY_HOURS": self.booking_request_expiry_hours,
            "ALERT_UNSPENT_WEEKS": self.alert_unspent_weeks,
            "ALERT_SPEND_RATE_WEEKS": self.alert_spend_rate_weeks,
            "ALERT_PROVIDER_SHARE_PERCENT": self.alert_provider_share_percent,
            "INVITATION_DAYS": 14,
            "PASSWORD_RESET_SECONDS": 60 * 60,
            # werkzeug's scrypt at its full cost; only the tests choose a cheaper one.
            "PASSWORD_HASH_METHOD": "scrypt",
            **self.extra,
        }


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _text(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...]) -> str | None:
    raw = _text(env, name)
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in schemes or not (parts.netloc or parts.path):
        raise ConfigError(f"{name} must be a URL starting {' or '.join(schemes)}:, got {raw!r}")
    return raw


def _publishable_key(env: Mapping[str, str]) -> str | None:
    raw = _text(env, "STRIPE_PUBLISHABLE_KEY")
    if raw is not None and not raw.startswith("pk_"):
        raise ConfigError("STRIPE_PUBLISHABLE_KEY must start with pk_")
    return raw


def _database_url(env: Mapping[str, str], instance_path: Path) -> str:
    raw = _url(env, "DATABASE_URL", ("sqlite", "postgresql", "postgresql+psycopg", "postgres"))
    if raw is None:
        return f"sqlite:///{instance_path / 'marketplace.sqlite3'}"
    if raw.startswith("postgres://") or raw.startswith("postgresql://"):
        # Use psycopg 3, the driver the project installs.
        raw = "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def _secret_key(env: Mapping[str, str], instance_path: Path) -> str:
    raw = _text(env, "SECRET_KEY")
    if raw is not None:
        if len(raw) < 16:
            raise ConfigError("SECRET_KEY must be at least 16 characters long")
        return raw
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _log_format(env: Mapping[str, str]) -> str | None:
    raw = _text(env, "LOG_FORMAT")
    if raw is not None and raw.lower() not in ("json", "text"):
        raise ConfigError(f"LOG_FORMAT must be json or text, got {raw!r}")
    return raw.lower() if raw else None


def load_settings(
    env: Mapping[str, str] | None = None, instance_path: Path | None = None
) -> Settings:
    """Read and check every setting. Raises ConfigError naming the first malformed one."""
    env = os.environ if env is None else env
    instance_path = instance_path or Path(env.get("INSTANCE_PATH") or Path.cwd() / "instance")
    environment = (_text(env, "MARKETPLACE_ENV") or "development").lower()
    if environment not in ENVIRONMENTS:
        raise ConfigError(
            f"MARKETPLACE_ENV must be one of {', '.join(ENVIRONMENTS)}, got {environment!r}"
        )
    if environment == "production" and not _text(env, "SERVER_NAME"):
        raise ConfigError(
            "SERVER_NAME must be set in production (the host name people use, e.g. "
            "care.example.gov.uk): links in emails are built from it"
        )
    ratelimit_storage_uri = _text(env, "RATELIMIT_STORAGE_URI") or "memory://"
    if (
        environment == "production"
        and ratelimit_storage_uri.startswith("memory://")
        and _int(env, "WEB_CONCURRENCY", 1, 1, 256) > 1
    ):
        raise ConfigError(
            "RATELIMIT_STORAGE_URI must be shared storage (redis://…) when WEB_CONCURRENCY is "
            "more than 1: each process would otherwise count sign-in attempts on its own"
        )
    try:
        worker_schedule = schedule_from(env)
    except ScheduleError as error:
        raise ConfigError(str(error)) from None
    return Settings(
        environment=environment,
        database_url=_database_url(env, instance_path),
        secret_key=_secret_key(env, instance_path),
        instance_path=instance_path,
        mail_server=_text(env, "MAIL_SERVER"),
        mail_port=_int(env, "MAIL_PORT", 25, 1, 65535),
        mail_use_tls=_bool(env, "MAIL_USE_TLS", False),
        mail_username=_text(env, "MAIL_USERNAME"),
        mail_password=_text(env, "MAIL_PASSWORD"),
        mail_sender=_text(env, "MAIL_SENDER") or "no-reply@care-marketplace.example",
        server_name=_text(env, "SERVER_NAME"),
        ratelimit_storage_uri=ratelimit_storage_uri,
        queue_url=_url(env, "QUEUE_URL", ("sqlite", "redis")),
        worker_schedule=worker_schedule,
        log_format=_log_format(env),
        elasticsearch_url=_url(env, "ELASTICSEARCH_URL", ("http", "https")),
        opensearch_url=_url(env, "OPENSEARCH_URL", ("http", "https")),
        stripe_api_key=_text(env, "STRIPE_API_KEY"),
        stripe_webhook_secret=_text(env, "STRIPE_WEBHOOK_SECRET"),
        stripe_publishable_key=_publishable_key(env),
        stripe_api_base=_url(env, "STRIPE_API_BASE", ("http", "https")),
        platform_fee_bps=_int(env, "PLATFORM_FEE_BPS", 0, 0, 5000),
        booking_request_expiry_hours=_int(env, "BOOKING_REQUEST_EXPIRY_HOURS", 48, 1, 720),
        alert_unspent_weeks=_int(env, "ALERT_UNSPENT_WEEKS", 8, 1, 104),
        alert_spend_rate_weeks=_int(env, "ALERT_SPEND_RATE_WEEKS", 4, 1, 52),
        alert_provider_share_percent=_int(env, "ALERT_PROVIDER_SHARE_PERCENT", 50, 1, 100),
    )
