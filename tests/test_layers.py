"""The layers show in the imports: the engine imports only downwards, with no cycle; the core uses
only the standard library; `nn` uses only `autograd`'s public names.

Imports are read from the source with `ast`, wherever they stand (a function-level import is a
cycle too), except those under `if TYPE_CHECKING:`, which never run.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import autograd

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograd"
#: The engine core: what `Value`, the op table, backward and grad need, and nothing else.
CORE = {
    "value",
    "domain",
    "grad_mode",
    "floats",
    "op",
    "ops",
    "methods",
    "functions",
    "graph",
    "backprop",
    "functional",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """The modules path imports when it runs, as dotted names (`from autograd import ops` → autograd.ops)."""
    tree = ast.parse(path.read_text())
    skipped = set()
    for node in ast.walk(tree):  # the bodies of `if TYPE_CHECKING:` blocks
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            skipped |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:  # `from autograd import ops`: the submodule ops, not the package
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if _is_module(submodule) else node.module)
    return found


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def engine_graph() -> dict[str, set[str]]:
    """module → the autograd modules it imports (a module importing a name from the package itself,
    `from autograd import Value`, depends on `autograd`, the package's __init__)."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        deps = {m for m in runtime_imports(path) if m == "autograd" or m.startswith("autograd.")}
        # `from autograd.x import y` also runs autograd/__init__, but that is the package's entry,
        # not a dependency of the module's own code; only a bare `autograd` import counts.
        graph[name] = {d for d in deps if d != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle of the graph as a list of modules, or None; iterative depth-first search."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in graph:
        if state.get(start):
            continue
        path, stack = [], [(start, iter(sorted(graph[start])))]
        state[start] = 1
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif not state.get(child) and child in graph:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_the_engine_imports_form_no_cycle():
    graph = engine_graph()
    graph.pop("autograd")  # the package's __init__ gathers the public names from every layer
    cycle = find_cycle(graph)
    assert cycle is None, f"import cycle: {' → '.join(cycle)}"


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_engine_module_imports_the_package_itself():
    # `from autograd import Value` inside autograd/ would run the whole __init__ (every layer) first.
    offenders = {m for m, deps in engine_graph().items() if "autograd" in deps and m != "autograd"}
    assert not offenders, f"import autograd.<module>, not the package, in {sorted(offenders)}"


def test_the_core_knows_nothing_of_drawing_testing_nn_or_the_tools():
    graph = engine_graph()
    for module in CORE:
        deps = graph[f"autograd.{module}"]
        assert deps <= {f"autograd.{m}" for m in CORE}, f"autograd.{module} imports {sorted(deps)}"


def test_the_core_imports_only_the_standard_library():
    for module in CORE:
        outside = {
            m.split(".")[0]
            for m in runtime_imports(PACKAGE / f"{module}.py")
            if m.split(".")[0] not in sys.stdlib_module_names
            and m.split(".")[0] not in ("autograd", "__future__")
        }
        assert not outside, f"autograd.{module} imports {sorted(outside)}"


def test_nn_uses_only_the_public_api_of_autograd():
    public = {"autograd"}
    for path in (ROOT / "nn").rglob("*.py"):
        for m in runtime_imports(path):
            if m.startswith("autograd"):
                assert m in public, f"{path.name} imports {m}: nn may use only `autograd`'s public names"
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "autograd":
                names = {a.name for a in node.names}
                assert names <= set(autograd.__all__), (
                    f"{path.name} imports {sorted(names - set(autograd.__all__))}"
                )
