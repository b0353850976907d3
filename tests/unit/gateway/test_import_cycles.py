"""No import cycle among the gateway's modules, nor within shared/, services/ and sandbox/,
counting the imports made inside functions (a cycle hidden in a function is still a cycle), and
the HTTP plumbing and `deps()` import no route module. Imports are read with `ast`: nothing is
imported, so this is fast."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = "services.gateway"


def modules(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, from __init__)."""
    base = root.joinpath(*package.split("."))
    out = {}
    for path in sorted(base.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _imported(tree: ast.AST, name: str, is_package: bool) -> set[str]:
    """The dotted names a module imports, wherever the import statement is."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package, one level up per extra dot
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                source = ".".join(anchor + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            out.add(source)
            out.update(f"{source}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return out


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports, including the packages whose __init__ an import
    runs (unless the importer is inside that package, which is already being imported)."""
    known = modules(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        is_package = path.name == "__init__.py"
        edges = set()
        for target in _imported(ast.parse(path.read_text(), str(path)), name, is_package):
            parts = target.split(".")
            for i in range(len(parts), 0, -1):
                candidate = ".".join(parts[:i])
                if candidate not in known or candidate == name:
                    continue
                if candidate != target and (name + ".").startswith(candidate + "."):
                    continue  # an ancestor of the importer: already under way
                edges.add(candidate)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or of one importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_gateway_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 20 and graph["services.gateway.app"], "the gateway's modules were not read"
    assert cycles(graph) == []


@pytest.mark.parametrize("package", ["shared", "services", "sandbox"])
def test_no_package_of_the_project_has_an_import_cycle(package):
    """Within each top-level package (a package's __init__ re-exporting its modules counts:
    its modules import their siblings by their own names, never through the package)."""
    graph = import_graph(package=package)
    assert len(graph) > 10, f"{package}'s modules were not read"
    assert cycles(graph) == []


def test_the_plumbing_and_deps_import_no_route_module():
    graph = import_graph()
    routes = {name for name, path in modules().items() if "Blueprint(" in path.read_text()}
    assert "services.gateway.accounts.routes" in routes
    plumbing = [name for name in graph if name.startswith(f"{PACKAGE}.http") or name == f"{PACKAGE}.deps"]
    assert {name: sorted(_reachable(graph, name) & routes) for name in plumbing} == {name: [] for name in plumbing}


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def f():\n    from pkg.c import g\n")
    (pkg / "c.py").write_text("from . import a\n")
    (pkg / "d.py").write_text("import pkg.a\n")
    assert cycles(import_graph(tmp_path, "pkg")) == [["pkg.a", "pkg.b", "pkg.c"]]
