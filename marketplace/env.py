"""Reading configuration from the environment.

Every setting that differs between a laptop and a council's servers comes from an environment
variable, parsed here. A value that is present but wrong, or a production setting that is missing,
raises :class:`ConfigError` naming the variable; the entry points (``manage.py``, WSGI, Celery)
turn that into a one-line message and a non-zero exit instead of a traceback.
"""

import importlib
import os
import sys
from collections.abc import Mapping
from urllib.parse import urlsplit

import dj_database_url

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}

# Used only in the embedded default (DEBUG on); production refuses to start with it.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production-0123456789abcdef"


class ConfigError(Exception):
    """A configuration variable is missing or malformed; the message names it."""


class Env:
    """Typed access to a mapping of environment variables."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def str(self, name: str, default: str = "") -> str:
        return self.environ.get(name, default).strip()

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in TRUE_VALUES:
            return True
        if value in FALSE_VALUES:
            return False
        raise ConfigError(f"{name} must be true or false, not {raw!r}")

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self.environ.get(name)
        if raw is None:
            return default
        return [item.strip() for item in raw.split(",") if item.strip()]

    def int(self, name: str, default: int) -> int:
        raw = self.environ.get(name)
        if raw is None or not raw.strip():
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}") from None


def database_from_url(url: str) -> dict:
    """Django DATABASES entry for a ``postgres://`` or ``sqlite:///`` URL."""
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "sqlite"}:
        raise ConfigError(
            f"DATABASE_URL must start with postgres:// or sqlite:///, not {scheme + '://' if scheme else repr(url)}"
        )
    try:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ConfigError(f"DATABASE_URL could not be read: {exc}") from None
    if scheme != "sqlite":
        if not config.get("NAME"):
            raise ConfigError("DATABASE_URL must name a database, e.g. postgres://user@host:5432/mixedmarket")
        if not config.get("HOST"):
            raise ConfigError("DATABASE_URL must name a host, e.g. postgres://user@host:5432/mixedmarket")
    else:
        config["CONN_MAX_AGE"] = 0
    return config


def redis_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in {"redis", "rediss"}:
        raise ConfigError(f"REDIS_URL must start with redis:// or rediss://, not {url!r}")
    return url


def check_settings_or_exit(module: str | None = None) -> None:
    """Import the settings module; on a configuration error print one line and exit 1."""
    module = module or os.environ.get("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    try:
        importlib.import_module(module)
    except ConfigError as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        raise SystemExit(1) from None
