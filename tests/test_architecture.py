"""The shape of the house (issue 12): packages along the data's path, imports pointing one
way, no import cycle, and the I/O package light enough for ``accept-raw``.

The layers, lowest first (a module may import its own package and any lower layer):
``errors``/``config`` · ``io`` · ``stats`` · ``cleaning`` · ``qualitative`` and ``review``
(side by side: neither imports the other) · ``report`` · ``pipeline`` · ``__main__``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
LAYERS = {
    "": 0,
    "errors": 0,
    "config": 0,
    "io": 1,
    "stats": 2,
    "cleaning": 3,
    "qualitative": 4,
    "review": 4,
    "report": 5,
    "pipeline": 6,
    "__main__": 7,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Every import of a peerstudy module by another, at any depth of the file (imports
    inside functions count: they are cycles all the same)."""
    modules = {_module_name(p): p for p in (SRC / "peerstudy").rglob("*.py")}
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("peerstudy"):
                subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in modules]
                targets = subs if len(subs) == len(node.names) else [node.module, *subs]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("peerstudy")]
            else:
                continue
            graph[name].update(t for t in targets if t in modules and t != name)
    return {m: graph.get(m, set()) for m in modules}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_belongs_to_a_known_layer():
    unknown = sorted(m for m in _import_graph() if _package(m) not in LAYERS)
    assert unknown == [], "a new top-level module or package: give it a layer here and in README's architecture"


def _upward(source: str, target: str) -> bool:
    """An import from one package to another on a higher layer, or to a sibling on the
    same one (``errors`` and ``config`` at the bottom may import each other)."""
    if source == target:
        return False
    return LAYERS[target] > LAYERS[source] or (LAYERS[target] == LAYERS[source] and LAYERS[source] > 0)


def test_imports_point_down_the_layers():
    upward = [
        f"{m} -> {t}" for m, targets in _import_graph().items() for t in targets if _upward(_package(m), _package(t))
    ]
    assert upward == []


def test_there_is_no_import_cycle():
    graph = _import_graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def test_the_graph_sees_a_cycle_when_there_is_one(tmp_path, monkeypatch):
    """The checks above can fail: two modules importing each other are found."""
    pkg = tmp_path / "peerstudy" / "io"
    pkg.mkdir(parents=True)
    (tmp_path / "peerstudy" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from peerstudy.io.b import x\n")
    (pkg / "b.py").write_text("def f():\n    from peerstudy.io import a\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path)
    graph = _import_graph()
    assert graph["peerstudy.io.a"] == {"peerstudy.io.b"} and graph["peerstudy.io.b"] == {"peerstudy.io.a"}


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_importing_the_io_package_loads_no_plotting_library():
    loaded = _loaded_after(
        "import peerstudy.io.files, peerstudy.io.rawdata, peerstudy.io.readers, peerstudy.io.yamlfiles"
    )
    # pandas always loads its small `pandas.plotting` front; its matplotlib part is what costs
    assert not {
        m for m in loaded if m.split(".")[0] in {"matplotlib", "seaborn"} or m.startswith("pandas.plotting._matplotlib")
    }


def test_no_module_chooses_a_plotting_backend_at_import():
    """``matplotlib.use`` at import switched a JupyterLab user's backend (issue 12)."""
    calls = [
        str(p.relative_to(SRC))
        for p in (SRC / "peerstudy").rglob("*.py")
        for node in ast.parse(p.read_text(encoding="utf-8")).body
        if isinstance(node, ast.Expr) and "matplotlib.use" in ast.unparse(node)
    ]
    assert calls == []
