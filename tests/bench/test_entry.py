"""The benchmarks run as ``python -m bench <command>``, with any settings, and the production app ships none of them."""

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "returns.example.com",
}


def run(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")} | env_extra
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_with_the_production_settings_manage_py_has_no_bench_command_and_python_m_bench_runs():
    commands = run("manage.py", "help", "--commands", env_extra=PRODUCTION)
    assert commands.returncode == 0, commands.stderr
    assert "import_orders" in commands.stdout.split()
    assert not [name for name in commands.stdout.split() if "bench" in name]

    uploads = run("-m", "bench", "photo_uploads", "--help", env_extra=PRODUCTION)
    assert uploads.returncode == 0, uploads.stderr
    assert uploads.stdout.startswith("usage: python -m bench photo_uploads")
    assert "--url" in uploads.stdout


def test_settings_can_be_named_on_the_command_line_as_with_manage_py():
    named = run("-m", "bench", "webhooks", "--settings", "config.settings.nonexistent", "--help", env_extra={})
    assert named.returncode != 0
    assert "config.settings.nonexistent" in named.stderr


def test_an_unknown_command_is_answered_with_the_list():
    answer = run("-m", "bench", "admn", env_extra={})
    assert answer.returncode != 0
    assert "usage: python -m bench {admin,events_out,inbound_email,photo_uploads,webhooks}" in answer.stderr


def test_nothing_in_the_app_or_its_settings_imports_bench():
    importing = []
    for folder in ("accounts", "config", "returns"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
                names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if any(name == "bench" or name.startswith("bench.") for name in names):
                    importing.append(str(path.relative_to(ROOT)))
    assert importing == []
