"""The layout rules of the README's "Code map", checked on every import statement (ast).

- A private module (a name starting with ``_``) is imported only from inside the package
  that holds it: ``locator.maps._layers`` from ``locator.maps.*``, ``locator._errors`` from
  anywhere in ``locator``. The repository's ``app.py``, ``scripts/`` and ``benchmarks/``
  stand outside every package. (Tests may import the private modules they test.)
- Nothing imports upward. The top-level modules (and ``locator.datasets``, the shipped
  data) import no subpackage, except ``locator/__init__`` naming its lazy re-exports under
  ``TYPE_CHECKING``; ``importer``, ``planning`` and ``maps`` import the top level and
  themselves only; ``cli`` and ``app`` may import everything.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "locator"

#: Subpackages that hold one concern each and build on the top level only.
DOMAIN = ("importer", "planning", "maps")
#: The front ends: they may import everything.
FRONT = ("cli", "app")
#: Subpackages that count as top level: data, not code built on the rest.
TOP_LEVEL_PACKAGES = ("datasets",)
#: Code outside the package that imports it.
OUTSIDE = ["app.py", "scripts", "benchmarks"]


@dataclass(frozen=True)
class Import:
    """One imported module, as written in a file."""

    importer: str  # the importing module's dotted name ("app.py" etc. for code outside)
    target: str  # the imported module's dotted name
    line: int
    deferred: bool  # inside a function, or under `if TYPE_CHECKING:`


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _deferred_nodes(tree: ast.Module) -> set[int]:
    deferred: set[int] = set()
    for node in ast.walk(tree):
        in_function = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        type_only = isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        if in_function or type_only:
            deferred.update(id(sub) for sub in ast.walk(node))
    return deferred


def imports_of(path: Path, name: str, modules: set[str]) -> list[Import]:
    """Every ``locator`` module ``path`` imports, resolved to a module of ``modules``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    deferred = _deferred_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            # `from locator.maps import _layers` imports a module; `import X` of a name: its module
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if target in modules and target != name:
                found.append(Import(name, target, node.lineno, id(node) in deferred))
    return found


def _package_files() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _outside_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for entry in OUTSIDE:
        path = REPO / entry
        for file in [path] if path.is_file() else sorted(path.rglob("*.py")):
            files[str(file.relative_to(REPO))] = file
    return files


@pytest.fixture(scope="module")
def graph() -> list[Import]:
    package = _package_files()
    modules = set(package)
    edges = [edge for name, path in package.items() for edge in imports_of(path, name, modules)]
    for name, path in _outside_files().items():
        edges += imports_of(path, name, modules)
    return edges


def layer_of(module: str) -> str:
    """``top``, ``domain:<name>`` or ``front``; code outside the package is ``outside``."""
    parts = module.split(".")
    if parts[0] != "locator":
        return "outside"
    sub = parts[1] if len(parts) > 2 or (PACKAGE / parts[-1]).is_dir() else None
    if sub is None or sub in TOP_LEVEL_PACKAGES or not (PACKAGE / sub).is_dir():
        return "top"
    if sub in DOMAIN:
        return f"domain:{sub}"
    assert sub in FRONT, f"locator.{sub} is in no layer: add it to the Code map and to this test"
    return "front"


def private_home(target: str) -> str | None:
    """The package a private module belongs to (``locator.maps`` for ``locator.maps._x``)."""
    parts = target.split(".")
    for i, part in enumerate(parts[1:], start=1):
        if part.startswith("_") and part != "__init__":
            return ".".join(parts[:i])
    return None


def where(edge: Import) -> str:
    return f"{edge.importer} (line {edge.line}) imports {edge.target}"


def private_violations(edges: list[Import]) -> list[str]:
    """Imports of a private module from outside the package that holds it."""
    return [
        where(edge)
        for edge in edges
        if (home := private_home(edge.target)) is not None
        and edge.importer != home
        and not edge.importer.startswith(home + ".")
    ]


def upward_violations(edges: list[Import]) -> list[str]:
    """Top level importing a subpackage (bar ``locator/__init__``'s deferred names), or a
    domain subpackage importing anything but the top level and itself."""

    def upward(edge: Import) -> bool:
        source, target = layer_of(edge.importer), layer_of(edge.target)
        if source == "top":
            return target != "top" and not (edge.importer == "locator" and edge.deferred)
        return source.startswith("domain:") and target not in ("top", source)

    return [where(edge) for edge in edges if upward(edge)]


def test_the_graph_is_read(graph):
    # a check that finds nothing because it read nothing would pass: make sure it reads
    pairs = {(edge.importer, edge.target) for edge in graph}
    assert ("locator.maps", "locator.maps._layers") in pairs
    assert ("locator.maps._layers", "locator.i18n") in pairs
    assert any(edge.importer == "app.py" for edge in graph)
    assert {layer_of(edge.importer) for edge in graph} >= {"top", "front", "outside"}


def test_private_modules_are_imported_only_inside_their_package(graph):
    wrong = private_violations(graph)
    assert not wrong, wrong


def test_nothing_imports_upward(graph):
    wrong = upward_violations(graph)
    assert not wrong, wrong


def test_the_rules_refuse_what_they_forbid(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(
        "from locator.maps import _layers\n"
        "import locator.planning.coverage\n"
        "def f():\n    from locator.cli import main\n",
        encoding="utf-8",
    )
    modules = set(_package_files())
    as_planning = imports_of(source, "locator.planning.bad", modules)
    assert [(e.target, e.deferred) for e in as_planning] == [
        ("locator.maps._layers", False),
        ("locator.planning.coverage", False),
        ("locator.cli", True),
    ]
    assert len(private_violations(as_planning)) == 1  # maps' private module
    assert len(upward_violations(as_planning)) == 2  # maps and cli, not itself
    as_top = imports_of(source, "locator.registry", modules)
    assert len(upward_violations(as_top)) == 3  # lazily or not, the top imports no subpackage
    as_init = imports_of(source, "locator", modules)
    assert len(upward_violations(as_init)) == 2  # only its deferred import is allowed
    as_maps = imports_of(source, "locator.maps.bad", modules)
    assert private_violations(as_maps) == []
    as_cli = imports_of(source, "locator.cli.bad", modules)
    assert upward_violations(as_cli) == [] and len(private_violations(as_cli)) == 1


def test_every_subpackage_has_a_layer():
    subpackages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert subpackages == {*DOMAIN, *FRONT, *TOP_LEVEL_PACKAGES}


def test_the_code_map_has_a_line_for_every_module():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Code map\n", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.MULTILINE))
    expected = {
        f"{path.parent.relative_to(REPO)}/"
        if path.name == "__init__.py" and path.parent != PACKAGE
        else str(path.relative_to(REPO))
        for path in PACKAGE.rglob("*.py")
    }
    assert not expected - named, f"modules missing from the Code map: {sorted(expected - named)}"
    stale = {name for name in named if not (REPO / name.rstrip("/")).exists()}
    assert not stale, f"the Code map names what is gone: {sorted(stale)}"
