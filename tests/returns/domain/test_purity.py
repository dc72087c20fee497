"""returns/domain/ stays pure: no module in it imports the models or the database layer.

The one thing it takes from ``django.db`` is the ``TextChoices`` base of its vocabularies
(``returns/domain/vocabulary.py``). Read from the source, wherever the import stands.
"""

import ast
from pathlib import Path

import returns.domain

DOMAIN = Path(returns.domain.__file__).parent
FORBIDDEN = ("returns.models", "django.db")


def impure_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "django.db.models" and all(alias.name == "TextChoices" for alias in node.names):
                continue
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found += [n for n in names if any(n == bad or n.startswith(f"{bad}.") for bad in FORBIDDEN)]
    return sorted(set(found))


def test_the_domain_imports_neither_the_models_nor_the_database():
    modules = sorted(DOMAIN.glob("*.py"))
    assert {p.name for p in modules} >= {"steps.py", "transitions.py", "vocabulary.py", "risk.py", "policy.py"}
    impure = {p.name: impure_imports(p.read_text()) for p in modules}
    assert {name: found for name, found in impure.items() if found} == {}


def test_the_reader_catches_every_way_in():
    assert impure_imports("from returns.models import ReturnStatus") == [
        "returns.models",
        "returns.models.ReturnStatus",
    ]
    assert impure_imports("from returns import models") == ["returns.models"]
    assert impure_imports("def later():\n    from django.db import transaction") == [
        "django.db",
        "django.db.transaction",
    ]
    assert impure_imports("from django.db.models import Q, TextChoices") == [
        "django.db.models",
        "django.db.models.Q",
        "django.db.models.TextChoices",
    ]
    assert impure_imports("import django.db.models") == ["django.db.models"]
    assert impure_imports("from django.db.models import TextChoices") == []
