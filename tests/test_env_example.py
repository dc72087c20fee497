"""`.env.example` names every variable the settings modules read, with the default they fall back to.

The settings are read with ``ast`` (every ``env(...)``, ``env.int(...)``, … and ``env_url(...)`` call whose
first argument is a string), so a setting added without its line in ``.env.example`` fails here.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = sorted((ROOT / "config" / "settings").glob("*.py"))
READERS = {"int", "bool", "list", "float", "str", "url", "json", "path"}
# Read by libraries, not by our settings: listed in .env.example for the operator all the same.
READ_ELSEWHERE = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
LINE = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$")


def _reads(path: Path) -> dict[str, ast.expr | None]:
    """Each variable this module reads, and the default expression of its first read (None: no default)."""
    found: dict[str, ast.expr | None] = {}
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = isinstance(func, ast.Name) and func.id in ("env", "env_url")
        is_env_method = (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "env"
            and func.attr in READERS
        )
        first = node.args[0]
        if not (is_env or is_env_method) or not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        default = node.args[1] if isinstance(func, ast.Name) and func.id == "env_url" and len(node.args) > 1 else None
        default = next((kw.value for kw in node.keywords if kw.arg == "default"), default)
        found.setdefault(first.value, default)
    return found


def _as_env_text(default: ast.expr) -> str | None:
    """The default as it would be written in an env file, when it is a plain value (not computed from others)."""
    if any(isinstance(n, ast.Name | ast.JoinedStr) for n in ast.walk(default)):
        return None
    value = eval(compile(ast.Expression(default), "<default>", "eval"), {"__builtins__": {}})  # noqa: S307
    if isinstance(value, list):
        return ",".join(value)
    return "" if value is None else str(value)


def _example() -> dict[str, str]:
    lines = (ROOT / ".env.example").read_text().splitlines()
    return {m[1]: m[2] for m in map(LINE.match, lines) if m}


def test_every_variable_the_settings_read_is_in_env_example():
    read = {name for path in SETTINGS for name in _reads(path)}
    listed = set(_example())
    assert read - listed == set(), "missing from .env.example"
    assert listed - read - READ_ELSEWHERE == set(), "in .env.example but read nowhere"


def test_env_example_gives_the_default_of_the_settings_that_read_it_first():
    """The line's value is base.py's default (a module that overrides it is named in the comment above the line)."""
    example = _example()
    first: dict[str, ast.expr | None] = {}
    for path in [ROOT / "config/settings/base.py", *(p for p in SETTINGS if p.name != "base.py")]:
        for name, default in _reads(path).items():
            first.setdefault(name, default)
    checked = 0
    for name, default in first.items():
        text = None if default is None else _as_env_text(default)
        if text is not None:
            assert example[name] == text, f"{name}: .env.example says {example[name]!r}, the settings {text!r}"
            checked += 1
    assert checked > 80
