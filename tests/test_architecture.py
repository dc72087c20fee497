"""The project's import graph, read from the source with ``ast``, and the layering rules it must keep.

Every import counts: at the top of a module, inside a function, under ``TYPE_CHECKING``; an import
inside a function still ties the two modules together, it only hides it. Relative imports are
resolved, and ``from package import module`` is an edge to that module. A layering rule is one line
in ``RULES``; ``KNOWN_CYCLES`` lists the cycles still to be cut and may only shrink.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("accounts", "returns", "core", "config", "bench")


@dataclass(frozen=True)
class Forbid:
    """No module in ``importer`` imports one in ``imported`` (dotted prefixes), unless it is in ``unless``."""

    importer: str
    imported: str
    why: str
    unless: tuple[str, ...] = ()


RULES = (
    Forbid("returns", "accounts", "accounts sits on returns (guest access, the outbox), never the other way round"),
    Forbid("core", "accounts", "core holds what both apps use, so it imports neither"),
    Forbid("core", "returns", "core holds what both apps use, so it imports neither"),
    Forbid("core", "config", "core is used by the settings' apps, not the other way round"),
    Forbid("returns.outbox.lease", "returns", "the lease serves every outbox: each gives it its model and fields"),
    # The pure rules stand on nothing else of the app (test_purity.py keeps the ORM and the database out too).
    Forbid(
        "returns.domain",
        "returns",
        "the domain is pure: facts in, decisions out",
        unless=("returns.domain", "returns.exceptions", "returns.roles"),
    ),
    # The tables stand on the domain's vocabulary only.
    Forbid("returns.models", "returns", "models stand on the domain only", unless=("returns.domain", "returns.models")),
    # Reads never write, and never know who reads them.
    *(
        Forbid("returns.selectors", f"returns.{layer}", "selectors read; they sit below every writer and every page")
        for layer in ("services", "outbox", "intake", "integrations", "web", "admin", "api", "management")
    ),
    # Orders in and providers know nothing of the pages or the services that call them.
    *(
        Forbid(f"returns.{low}", f"returns.{high}", f"{low} is called by the services and the API, not the reverse")
        for low in ("intake", "integrations")
        for high in ("services", "outbox", "web", "admin", "api", "management")
    ),
    # The writers and the outbox serve the pages; they never call one.
    *(
        Forbid(f"returns.{low}", f"returns.{high}", f"{low} is called by the pages and commands, not the reverse")
        for low in ("services", "outbox")
        for high in ("web", "admin", "api", "management")
    ),
    Forbid(
        "returns.outbox",
        "returns.services",
        "the outbox runs below the services; it needs only the links in emails, what a refund's answer does "
        "and the history row of a retry",
        unless=("returns.services.guest_access", "returns.services.refund_outcomes", "returns.services.history"),
    ),
    # The three front doors (customer pages, staff pages, the API) share services and selectors, not each other.
    *(
        Forbid(f"returns.{door}", f"returns.{other}", "the front doors share services and selectors, not each other")
        for door in ("web", "admin", "api")
        for other in ("web", "admin", "api")
        if door != other
    ),
    # The risk rules judge the facts they are given; selectors.risk reads them.
    *(
        Forbid("returns.domain.risk", name, "risk rules judge facts passed in (selectors.risk)")
        for name in ("returns.models", "django.db", "django.conf")
    ),
)

# Cycles not cut yet, each as the set of modules that import one another. A cycle that is cut
# must be removed from here too, so this can only get stricter.
KNOWN_CYCLES: tuple[frozenset[str], ...] = ()


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


@cache
def project_modules() -> dict[str, Path]:
    """Dotted name → file, for the project's own code (no tests, no migrations)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported_names(module: str, source: str, *, is_package: bool = False) -> set[str]:
    """Every module ``module`` imports, its own or not, wherever in its source the import stands."""
    modules = project_modules()
    package = module if is_package else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                names.add(candidate if candidate in modules else base)
    return names


def _own(name: str) -> str | None:
    """The project module an imported name lands in (the longest known prefix), if it is ours."""
    modules = project_modules()
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


@cache
def imports() -> dict[str, frozenset[str]]:
    """Module → everything it imports (the project's modules resolved; others, such as django.db, by name)."""
    graph = {}
    for module, path in project_modules().items():
        names = set()
        for name in imported_names(module, path.read_text(), is_package=path.name == "__init__.py"):
            names.add(_own(name) or name)
        names.discard(module)
        graph[module] = frozenset(names)
    return graph


def own_graph() -> dict[str, list[str]]:
    """Module → the project modules it imports."""
    return {m: sorted(n for n in names if n in project_modules()) for m, names in imports().items()}


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """The groups of modules that import one another (strongly connected, Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


def chain(graph: dict[str, list[str]], group: list[str]) -> str:
    """The shortest import cycle through the group's first module, readably: a → b → … → a."""
    members = set(group)
    start = group[0]
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in graph[node]:
            if nxt == start:
                return " → ".join([*paths[node], start])
            if nxt in members and nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    raise AssertionError(f"{group} is not a cycle")


def test_the_reader_sees_every_kind_of_import():
    source = """
from typing import TYPE_CHECKING
from . import history
from ..domain.money import format_money
from returns.services import guest_access as access

if TYPE_CHECKING:
    from returns.models import Refund


def later():
    import returns.outbox.lease
    from accounts import models
"""
    assert imported_names("returns.services.refunds", source) == {
        "typing",
        "returns.services.history",
        "returns.domain.money",
        "returns.services.guest_access",
        "returns.models",
        "returns.outbox.lease",
        "accounts.models",
    }
    graph = imports()
    assert "returns.models" in graph["returns.services.history"]
    assert "returns.services.guest_access" in graph["returns.services.photos"]  # from returns.services import ...
    assert "returns.outbox.mail" in graph["accounts.apps"]  # imported inside ready()
    assert "django.db" in graph["returns.models"] or "django.db.models" in graph["returns.models"]


def test_the_cycle_finder_names_the_chain():
    graph = {"a": ["b"], "b": ["c"], "c": ["a", "d"], "d": [], "e": ["e"]}
    assert cycles(graph) == [["a", "b", "c"]]
    assert chain(graph, ["a", "b", "c"]) == "a → b → c → a"


def test_no_import_cycles_beyond_the_known_ones():
    graph = own_graph()
    found = cycles(graph)
    new = [group for group in found if not any(set(group) <= known for known in KNOWN_CYCLES)]
    assert not new, "Import cycles:\n" + "\n".join(chain(graph, group) for group in new)
    gone = [sorted(known) for known in KNOWN_CYCLES if not any(set(group) & known for group in found)]
    assert not gone, f"These cycles are cut: remove them from KNOWN_CYCLES so they stay cut: {gone}"


def test_layering_rules():
    broken = []
    for rule in RULES:
        for module, names in imports().items():
            if not within(module, rule.importer):
                continue
            for name in sorted(names):
                if within(name, rule.imported) and not any(within(name, u) for u in rule.unless):
                    broken.append(f"{module} imports {name}: {rule.why}")
    assert not broken, "\n".join(broken)
