"""The house rules of the rooms, read from the code itself (``ast``, nothing imported):

- no import cycle among the modules of metrics/, dashboard/ and components/ (module-level imports);
- no private name (``_x``) imported from another package;
- components/ imports nothing from metrics; metrics/ imports no Dash, Plotly or Flask;
- every package under metrics/ingest/sources/ is a source that declares ``SOURCE``.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("metrics", "dashboard", "components")


def modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the rooms (a package is its __init__)."""
    found = {}
    for room in ROOMS:
        for path in (ROOT / room).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: dict, top_level_only: bool) -> list[tuple[str, list[str]]]:
    """(imported module, names taken from it) of each import in ``path``; relative imports resolved.
    ``top_level_only``: only the imports that run when the module is imported (not inside functions
    or ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = []
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Try):
            nodes += node.body
        else:
            nodes.append(node)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = []
    for node in nodes:
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            full = ".".join(base + ([node.module] if node.module else [])) if node.level else node.module or ""
            names = [alias.name for alias in node.names]
            submodules = [f"{full}.{n}" for n in names if f"{full}.{n}" in known]
            out += [(sub, []) for sub in submodules]
            rest = [n for n in names if f"{full}.{n}" not in known]
            if rest or not submodules:
                out.append((full, rest))
    return out


def test_no_import_cycle():
    known = modules()
    graph = {m: {target for target, _ in imports(m, p, known, True) if target in known and target != m}
             for m, p in known.items()}
    cycles = []
    state: dict = {}

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == [], "import cycles: " + "; ".join(" -> ".join(c) for c in cycles[:5])


def test_no_private_name_crosses_a_package():
    known = modules()
    crossing = []
    for name, path in known.items():
        own = name.split(".")[:2]
        for target, names in imports(name, path, known, False):
            for imported in names:
                if imported.startswith("_") and not imported.startswith("__") and target.split(".")[:2] != own:
                    crossing.append(f"{name} imports {target}.{imported}")
    assert crossing == []


def test_components_stay_pure_and_metrics_draw_nothing():
    known = modules()
    wrong = []
    for name, path in known.items():
        for target, _ in imports(name, path, known, False):
            if name.startswith("components") and target.split(".")[0] in ("metrics", "dashboard"):
                wrong.append(f"{name} imports {target}")
            if name.startswith("metrics") and target.split(".")[0] in ("dash", "plotly", "flask", "dashboard",
                                                                          "components"):
                wrong.append(f"{name} imports {target}")
    assert wrong == []


def test_every_source_package_declares_its_source():
    sources = ROOT / "metrics" / "ingest" / "sources"
    packages = sorted(p.parent.name for p in sources.glob("*/__init__.py"))
    undeclared = [p for p in packages if "SOURCE = SourceSpec(" not in (sources / p / "__init__.py").read_text()]
    assert len(packages) >= 14 and undeclared == []


def test_the_checks_see_a_cycle_and_a_private_import(tmp_path, monkeypatch):
    """The rules above would catch what they look for: a two-module cycle and a private import."""
    room = tmp_path / "metrics"
    (room / "a").mkdir(parents=True)
    (room / "__init__.py").write_text("")
    (room / "a" / "__init__.py").write_text("from ..b import thing\n")
    (room / "b.py").write_text("from .a import _secret\nthing = 1\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    known = modules()
    assert ("metrics.b", ["thing"]) in imports("metrics.a", known["metrics.a"], known, True)
    assert ("metrics.a", ["_secret"]) in imports("metrics.b", known["metrics.b"], known, True)
    with pytest.raises(AssertionError, match=r"metrics\.a -> metrics\.b -> metrics\.a"):
        test_no_import_cycle()
    with pytest.raises(AssertionError, match="metrics.b imports metrics.a._secret"):
        test_no_private_name_crosses_a_package()
