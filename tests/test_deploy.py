"""The production settings pass Django's deployment checks with the documented variables."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


PRODUCTION_BASE = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "returns.example.com",
}


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
            "CACHE_URL": "redis://127.0.0.1:6379/0",
            "AWS_STORAGE_BUCKET_NAME": "returns-photos",
        },
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_check_deploy_warns_about_what_only_works_on_one_machine():
    env = {**PRODUCTION_BASE, "CACHE_URL": "locmemcache://", "THROTTLE_STORE": "cache"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_extra=env)
    assert result.returncode != 0
    assert "(returns.W001) The limits count in a cache each process keeps for itself (LocMemCache)" in result.stderr
    assert "(returns.W002) Customers' photos are kept on this machine's disk" in result.stderr

    # A deployment on one host says so, knowingly; the database counts the limits without a cache.
    env = {**PRODUCTION_BASE, "SILENCED_SYSTEM_CHECKS": "returns.W002"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_extra=env)
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_sends_email_through_the_worker_unless_told_otherwise():
    assert production_setting("settings.EMAIL_DELIVERY") == "worker"
    assert production_setting("settings.EMAIL_DELIVERY", EMAIL_DELIVERY="immediate") == "immediate"


def test_production_fails_fast_without_a_secret_key():
    result = run_manage(
        "check",
        env_extra={"DJANGO_SETTINGS_MODULE": "config.settings.production", "ALLOWED_HOSTS": "returns.example.com"},
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


PRODUCTION = PRODUCTION_BASE


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
