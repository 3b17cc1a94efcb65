"""Layers a reader can see: the import graph of rencontres_lib has no cycle, imports of the
package sit at the top of modules, and the vocabulary module stays a leaf.

The graph is read with :mod:`ast` (nothing is imported), from module-level AND function-level
imports, so a cycle hidden inside a function is found too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rencontres_lib"
# The command line imports each command's modules when that command runs: ``rencontres
# --help`` or ``check`` would otherwise load plotly, papermill and the whole build (about
# 1.2 s instead of 0.1 s). It is the only module allowed to do so.
ENTRY_POINTS = {"rencontres_lib.cli"}
LEAVES = ("rencontres_lib.vocabulary", "rencontres_lib.formats", "rencontres_lib.errors")


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p, package): p for p in sorted(package.rglob("*.py"))}


def imported(node: ast.Import | ast.ImportFrom, name: str, path: Path, known: set[str]) -> set[str]:
    """Package modules named by one import statement (``from . import x`` names module x)."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in known}
    if node.level:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        base = ".".join(
            package[: len(package) - node.level + 1] + ([node.module] if node.module else [])
        )
    else:
        base = node.module or ""
    out = set()
    for alias in node.names:
        full = f"{base}.{alias.name}"
        out.add(full if full in known else base)
    return {m for m in out if m in known and m != name}


def import_graph(package: Path = PACKAGE) -> tuple[dict[str, set[str]], list[tuple[str, int, str]]]:
    """(module → package modules it imports, in-function imports as (module, line, target))."""
    mods = modules(package)
    known = set(mods)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    nested: list[tuple[str, int, str]] = []

    def visit(node: ast.AST, name: str, path: Path, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                targets = imported(child, name, path, known)
                graph[name] |= targets
                if in_function:
                    nested.extend((name, child.lineno, t) for t in sorted(targets))
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, name, path, inner)

    for name, path in mods.items():
        visit(ast.parse(path.read_text(encoding="utf-8")), name, path, False)
    return graph, nested


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each as a loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def loop_through(component: list[str], graph: dict[str, set[str]]) -> str:
    """One readable loop a → b → … → a inside a strongly connected component."""
    members = set(component)
    path = [component[0]]
    while True:
        nxt = sorted(graph[path[-1]] & members)
        step = next((m for m in nxt if m in path), nxt[0])
        if step in path:
            return " → ".join(path[path.index(step) :] + [step])
        path.append(step)


def test_cycle_finder_finds_a_planted_cycle(tmp_path: Path) -> None:
    pkg = tmp_path / "rencontres_lib"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("def f():\n    from .sub.c import g\n")
    (pkg / "sub" / "c.py").write_text("from ..a import x\nfrom . import d\n")
    (pkg / "sub" / "d.py").write_text("import os\n\n\ndef h():\n    import json.decoder\n")
    graph, nested = import_graph(pkg)
    assert graph["rencontres_lib.sub.c"] == {"rencontres_lib.a", "rencontres_lib.sub.d"}
    assert nested == [("rencontres_lib.b", 2, "rencontres_lib.sub.c")]
    assert nested_standard_imports(pkg) == ["rencontres_lib.sub.d:5 json.decoder"]
    found = cycles(graph)
    assert found == [["rencontres_lib.a", "rencontres_lib.b", "rencontres_lib.sub.c"]]
    assert loop_through(found[0], graph) == (
        "rencontres_lib.a → rencontres_lib.b → rencontres_lib.sub.c → rencontres_lib.a"
    )


def test_no_import_cycle() -> None:
    graph, _ = import_graph()
    loops = [loop_through(c, graph) for c in cycles(graph)]
    assert loops == [], "cycles d'imports : " + " ; ".join(loops)


def test_package_imports_are_at_the_top_of_modules() -> None:
    """Heavy optional libraries (plotly, papermill, spaCy…) may be imported inside a function;
    a module of the package may not (except by the command line, :data:`ENTRY_POINTS`): the
    layering must be visible at the top of the file."""
    _, nested = import_graph()
    shown = [
        f"{m}:{line} importe {t} dans une fonction"
        for m, line, t in nested
        if m not in ENTRY_POINTS
    ]
    assert shown == []


def test_leaves_import_nothing_from_the_package() -> None:
    graph, _ = import_graph()
    allowed = {"rencontres_lib.formats": {"rencontres_lib.errors"}}
    for leaf in LEAVES:
        assert graph[leaf] <= allowed.get(leaf, set()), leaf


def nested_standard_imports(package: Path = PACKAGE) -> list[str]:
    """``module:line name`` of every standard-library import written inside a function."""
    found = []
    for name, path in modules(package).items():
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    roots = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    roots = [node.module or ""]
                else:
                    continue
                found += [
                    f"{name}:{node.lineno} {r}"
                    for r in roots
                    if r.split(".")[0] in sys.stdlib_module_names
                ]
    return sorted(set(found))


def test_standard_library_imports_are_at_the_top_of_modules() -> None:
    """Standard-library modules cost nothing to import: none hides inside a function."""
    assert nested_standard_imports() == []
