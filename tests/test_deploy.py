"""The production settings pass Django's deployment checks with the documented variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_documented_environment():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
            "ALLOWED_HOSTS": "returns.example.com",
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_fails_fast_without_a_secret_key():
    result = run_manage(
        "check",
        env_extra={"DJANGO_SETTINGS_MODULE": "config.settings.production", "ALLOWED_HOSTS": "returns.example.com"},
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "returns.example.com",
}


def production_setting(expression: str, **env_extra) -> str:
    """What ``expression`` (over ``settings``) is when the production settings load with this environment."""
    result = run_manage(
        "shell", "-c", f"from django.conf import settings; print({expression})", env_extra={**PRODUCTION, **env_extra}
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("variable", "expression", "expected"),
    [
        ("CACHE_URL", "settings.CACHES['default']['BACKEND'], settings.THROTTLE_STORE", "LocMemCache database"),
        ("EMAIL_URL", "settings.EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"),
        ("DATABASE_URL", "settings.DATABASES['default']['ENGINE']", "django.db.backends.sqlite3"),
    ],
)
def test_an_empty_url_variable_means_none_was_given_not_a_crash(variable, expression, expected):
    """``CACHE_URL=`` in an env file (a value removed, a template left as it is) must not stop every worker."""
    assert production_setting(expression, **{variable: ""}).endswith(expected)
