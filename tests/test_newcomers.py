"""What a newcomer meets first: `make run` with the Python they have (pyenv too), and pages with an icon."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.mail import SmtpServer

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make") or "make"


def make_dry_run(*args, path):
    """The commands `make install` would run (make -n), with only ``path`` on the PATH."""
    result = subprocess.run(
        [MAKE, "-n", "-C", str(ROOT), "install", *args],
        capture_output=True,
        text=True,
        env=os.environ | {"PATH": path},
        check=False,
    )
    return result.stdout + result.stderr


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_finds_a_pyenv_python_whose_shim_is_not_on_the_path(tmp_path):
    """`make run PYTHON=python3.13` under pyenv: the shim is not on make's PATH (or says "command not found"
    when 3.13 is not the selected version); the version's own interpreter makes the venv."""
    newest = tmp_path / "pyenv" / "versions" / "3.97.2" / "bin"
    older = tmp_path / "pyenv" / "versions" / "3.97.0" / "bin"
    for folder in (newest, older):
        folder.mkdir(parents=True)
        (folder / "python3.97").symlink_to(sys.executable)
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3.97"
    shim.write_text("#!/bin/sh\necho 'pyenv: python3.97: command not found' >&2\nexit 127\n")
    shim.chmod(0o755)
    venv = tmp_path / "venv"
    make = Path(shutil.which("make")).parent
    for path in (f"{make}:/bin", f"{shims}:{make}:/bin"):
        said = make_dry_run("PYTHON=python3.97", f"PYENV_ROOT={tmp_path / 'pyenv'}", f"VENV={venv}", path=path)
        assert f"{newest / 'python3.97'} -m venv {venv}" in said, said


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_says_what_to_do_when_the_python_is_nowhere(tmp_path):
    make = Path(shutil.which("make")).parent
    result = subprocess.run(
        [MAKE, "-C", str(ROOT), "install", "PYTHON=python3.96", f"PYENV_ROOT={tmp_path}", f"VENV={tmp_path}/v"],
        capture_output=True,
        text=True,
        env=os.environ | {"PATH": f"{make}:/bin"},
        check=False,
    )
    assert result.returncode != 0
    assert "No python3.96 on the PATH or in" in result.stdout
    assert "make run PYTHON=/path/to/python3" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/policy/", "/account/sign-in/", "/admin/login/"])
def test_every_page_names_its_icon(client, path):
    """Without one, every page asks for /favicon.ico and logs a 404 in the browser's console."""
    assert 'rel="icon" href="/static/favicon.svg"' in client.get(path).content.decode()


def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.ico"
    assert (ROOT / "static" / "favicon.ico").stat().st_size > 0


def test_the_start_form_css_names_the_fault_group_the_form_renders():
    """The page shows a line's parts from its choices in CSS, without moving when the script starts (CLS)."""
    from returns.web.forms import FAULT_GROUP

    css = (ROOT / "static" / "css" / "portal.css").read_text()
    assert f'optgroup[label="{FAULT_GROUP}"]' in css


def test_make_seed_ends_with_the_demo_accounts_and_no_log_line_per_demo_email(tmp_path):
    """`make seed` on a first run: the list of accounts to sign in with is what the newcomer reads last, not a
    dozen "Email 7 sent" lines written by the sender thread after it. The emails are still sent."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "EMAIL_DELIVERY": "immediate",
    }
    env.pop("LOG_FORMAT", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True, capture_output=True, timeout=300)
    with SmtpServer() as smtp:
        env["EMAIL_URL"] = f"smtp://127.0.0.1:{smtp.port}"
        seeded = subprocess.run([*manage, "seed_demo"], env=env, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    assert seeded.stdout.rstrip().splitlines()[-1].split() == ["bruno@example.com", "customer"]
    assert len(smtp.handler.received) >= 10  # the demo's emails went out...
    assert "returns.outbox.mail" not in seeded.stderr  # ...without a line each
