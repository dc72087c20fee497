"""Code outside intake uses only the names ``returns.intake`` offers: its modules can change behind them."""

import ast
from pathlib import Path

import returns.intake

ROOT = Path(__file__).resolve().parents[3]
INTAKE = ROOT / "returns" / "intake"


def _intake_imports(path: Path):
    """(module, name) of each import from intake in the file; name is "" for a plain ``import``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("returns.intake"):
            yield from ((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from ((alias.name, "") for alias in node.names if alias.name.startswith("returns.intake"))


def test_code_outside_intake_imports_only_its_public_names():
    outside = [
        path
        for folder in ("accounts", "bench", "config", "returns")
        for path in (ROOT / folder).rglob("*.py")
        if INTAKE not in path.parents
    ]
    reaching_in = [
        f"{path.relative_to(ROOT)}: {module} {name}".strip()
        for path in outside
        for module, name in _intake_imports(path)
        if module != "returns.intake" or name.startswith("_") or name not in returns.intake.__all__
    ]
    assert reaching_in == []
    # The callers are found at all: the import command, both webhooks, the Shopify mapping.
    importers = {path.name for path in outside if any(_intake_imports(path))}
    assert {"import_orders.py", "orders.py", "shopify.py"} <= importers
