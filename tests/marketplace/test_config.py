"""Start-up configuration: clear one-line errors, and a production mode that passes --deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace.env import ConfigError, Env, database_from_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3J9x-Qe7RrT0pW2mZy8vLd4Nc6Hb1Fs5Ga7Uo9Ii3Ee0Xw2Vq4Tz6Sy8Pj1Ml5Kn",
    "ALLOWED_HOSTS": "care.example.gov.uk",
    "SITE_URL": "https://care.example.gov.uk",
    "DATABASE_URL": "postgres://mixedmarket@db.internal:5432/mixedmarket",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_HOST": "smtp.internal",
}


def manage(*args, **env):
    base = {key: value for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "EMAIL_HOST",
                           "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    base["VAR_DIR"] = str(ROOT / "var" / "config-test")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_a_bad_database_url_stops_start_up_with_one_line_naming_it():
    result = manage("check", DATABASE_URL="mysql://root@localhost/care")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Configuration error: DATABASE_URL must start with postgres:// or sqlite:///, not mysql://"
    ]


@pytest.mark.parametrize("missing, named", [
    ("SECRET_KEY", "SECRET_KEY is required when DEBUG is false"),
    ("ALLOWED_HOSTS", "ALLOWED_HOSTS is required"),
    ("DATABASE_URL", "DATABASE_URL must point at PostgreSQL"),
    ("REDIS_URL", "REDIS_URL is required"),
    ("EMAIL_HOST", "EMAIL_HOST is required"),
])
def test_production_refuses_to_start_without_a_required_setting(missing, named):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}
    result = manage("check", **env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and named in lines[0]


@pytest.mark.parametrize("variable, value, named", [
    ("DEBUG", "maybe", "DEBUG must be true or false"),
    ("REDIS_URL", "http://redis:6379", "REDIS_URL must start with redis://"),
    ("SECRET_KEY", "short", "SECRET_KEY must be a random string"),
    ("STRIPE_SECRET_KEY", "pk_live_123", "STRIPE_SECRET_KEY must be a Stripe secret key"),
])
def test_a_malformed_setting_is_named(variable, value, named):
    result = manage("check", **{**PRODUCTION, variable: value})
    assert result.returncode == 1
    assert named in result.stderr


def test_production_settings_pass_the_deploy_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_embedded_default_needs_nothing_set():
    result = manage("check")
    assert result.returncode == 0, result.stderr


def test_database_url_parsing():
    pg = database_from_url("postgres://care:secret@db:5432/market")
    assert (pg["ENGINE"], pg["NAME"], pg["HOST"], pg["PORT"]) == ("django.db.backends.postgresql", "market", "db", 5432)
    with pytest.raises(ConfigError, match="must name a database"):
        database_from_url("postgres://care@db:5432/")


def test_env_lists_and_booleans():
    env = Env({"ALLOWED_HOSTS": " a.example , b.example,", "DEBUG": "No"})
    assert env.list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]
    assert env.bool("DEBUG", True) is False


def test_docker_compose_environment_makes_a_valid_production_configuration():
    """The variables docker-compose passes to the app are the ones settings read, and enough."""
    import re

    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    samples = {"SECRET_KEY": PRODUCTION["SECRET_KEY"], "ALLOWED_HOSTS": "care.example.gov.uk",
               "SITE_URL": "https://care.example.gov.uk", "POSTGRES_PASSWORD": "s3cret",
               "EMAIL_HOST": "smtp.internal"}

    def substitute(value: str) -> str:
        return re.sub(r"\$\{(\w+)(?::[?-][^}]*)?\}", lambda m: samples.get(m.group(1), ""), str(value))

    for service in ("web", "worker", "beat"):
        env = {key: substitute(value) for key, value in compose["services"][service]["environment"].items()}
        env = {key: value for key, value in env.items() if value}
        result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
        assert result.returncode == 0, (service, result.stderr)
