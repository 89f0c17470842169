"""The architecture: tropnet's modules form layers, and a lower layer never imports a higher one.

Every ``import`` and ``from ... import`` of a tropnet module is read from the source
(at module level and inside functions alike); the test fails on an import that goes up,
on an import cycle between modules, and on a private name imported across modules.
The layers are drawn in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

import tropnet

ROOT = Path(tropnet.__file__).parent

#: tropnet's layers, lowest first: a module may import its own layer and the ones below
LAYERS: list[tuple[str, ...]] = [
    ("errors", "limits", "progress", "arithmetic", "files"),
    ("activations", "network", "span", "conv", "io", "domain", "polyhedra", "examples"),
    ("tropical",),
    ("engines",),
    ("hoffman",),
    ("milp",),
    ("dispatch", "bounds", "constructions", "sampling", "comparison", "slicing", "plot",
     "importers", "tracking"),
    ("cli", "__main__"),
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(["tropnet", *parts])] = path
    return out


def _imports(name: str, path: Path) -> list[tuple[str, tuple[str, ...], int]]:
    """``(imported module, imported names, line)`` for every tropnet import of a module."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "tropnet":
                names = tuple(a.name for a in node.names)
                # ``from pkg import mod`` imports the submodule pkg.mod
                subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
                out += [(sub, (), node.lineno) for sub in subs]
                if len(subs) < len(names):
                    out.append((target, names, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, (), node.lineno) for a in node.names
                    if a.name.split(".")[0] == "tropnet"]
    return out


def _layer(module: str) -> int | None:
    """Index of a module's layer; the package facade ``tropnet`` (which re-exports every
    layer) counts as the top layer, and is itself not checked (``None``)."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    for i, names in enumerate(LAYERS):
        if parts[1] in names:
            return i
    raise AssertionError(f"{module} is in no layer of tests/test_layers.py: add it there "
                         "and to docs/architecture.md")


MODULES = _modules()


def test_every_module_has_a_layer():
    for name in MODULES:
        _layer(name)


def test_no_import_goes_up():
    wrong = []
    for name, path in MODULES.items():
        mine = _layer(name)
        for target, _, line in _imports(name, path):
            theirs = _layer(target)
            theirs = len(LAYERS) - 1 if theirs is None else theirs
            if mine is not None and theirs > mine:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line}: {name} (layer {mine}) "
                             f"imports {target} (layer {theirs})")
    assert not wrong, "imports that go up a layer:\n" + "\n".join(wrong)


def test_no_import_cycles():
    graph = nx.DiGraph()
    for name, path in MODULES.items():
        if name == "tropnet":
            continue
        for dep, _, _ in _imports(name, path):
            if dep != name and not name.startswith(dep + "."):
                graph.add_edge(name, dep)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


def test_no_private_names_across_modules():
    wrong = []
    for name, path in MODULES.items():
        for target, names, line in _imports(name, path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                wrong.append(f"{path.relative_to(ROOT.parent)}:{line}: {', '.join(private)} "
                             f"from {target}")
    assert not wrong, "private names imported across modules:\n" + "\n".join(wrong)


@pytest.mark.parametrize("statement", ["import tropnet", "import tropnet.dispatch",
                                       "import tropnet.cli", "from tropnet import *"])
def test_cvxpy_is_imported_on_first_milp_use_only(statement):
    """``__all__`` and the command line keep the lazy imports lazy."""
    import subprocess
    import sys

    code = f"import sys\n{statement}\nprint('cvxpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
