"""The docs name code that exists: every `` `path/to/file.py: name, name` `` in docs/metrics.md,
docs/deploy.md and the README names a file of this repository that defines each name (a function, class or assignment
at its top level; ``Class.member`` a member of that class; a bare name after ``Class.member`` in
the same list may also be another member of that class). Read with ``ast``, nothing imported."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/metrics.md", "README.md", "docs/deploy.md")
REFERENCE = re.compile(r"`([\w./-]+\.py): ([^`]+)`")


def references(text: str) -> list[tuple[int, str, list[str]]]:
    """(line, file, names) of each `` `file.py: a, b` `` in ``text``."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1), [n.strip() for n in m.group(2).split(",")])
            for m in REFERENCE.finditer(text)]


def _targets(node) -> set[str]:
    """The names an assignment (or a function or class statement) binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def definitions(source: str) -> tuple[set[str], dict[str, set[str]]]:
    """(the module's top-level names, class name -> its members: its body's names and the
    ``self.x`` its methods assign)."""
    tree = ast.parse(source)
    top, members = set(), {}
    for node in tree.body:
        top |= _targets(node)
        if isinstance(node, ast.ClassDef):
            names = set().union(*(_targets(n) for n in node.body))
            names |= {t.attr for n in ast.walk(node) if isinstance(n, (ast.Assign, ast.AnnAssign))
                      for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                      if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"}
            members[node.name] = names
    return top, members


def unresolved(path: str, names: list[str], root: Path = ROOT) -> list[str]:
    """What of ``path: names`` does not resolve: the file, or each name it does not define."""
    file = root / path
    if not file.is_file():
        return [f"{path} (no such file)"]
    top, members = definitions(file.read_text(encoding="utf-8"))
    missing, context = [], None
    for name in names:
        if "." in name:
            owner, member = name.split(".", 1)
            context = owner
            ok = member in members.get(owner, set())
        else:
            ok = name in top or (context is not None and name in members.get(context, set()))
        if not ok:
            missing.append(f"{path}: {name}")
    return missing


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_and_name_the_docs_cite_exists(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = references(text)
    assert found or doc == "README.md", f"{doc} cites no code: the pattern is broken"
    problems = [f"{doc}:{line}: {m}" for line, path, names in found for m in unresolved(path, names)]
    assert problems == []


def test_the_check_finds_a_moved_name_a_gone_member_and_a_missing_file(tmp_path):
    (tmp_path / "m.py").write_text("class A:\n    x: int = 0\n\n    def __init__(self):\n        self.y = 1\n\n"
                                   "    def f(self):\n        pass\n\n\nLIMIT = 3\n\n\ndef g():\n    z = 1\n")
    text = "see `m.py: A.x, y, f` and `m.py: LIMIT, g` but `m.py: z, A.samples, h` and `gone.py: g`"
    assert [unresolved(p, n, tmp_path) for _, p, n in references(text)] == [
        [], [], ["m.py: z", "m.py: A.samples", "m.py: h"], ["gone.py (no such file)"]]


# a command as the README writes it: after `make run` only .venv/bin/python has the packages, and some
# systems have no bare `python` at all (issue 23, item 8)
BARE_PYTHON = re.compile(r"(?<![\w./-])python\s+(?=-m\s|-c\s|app\.py)")


def commands(text: str) -> list[tuple[int, str]]:
    """(line, text) of every line of the README's code: the fenced blocks' lines (not Python
    source) and each inline code span (one may run over two lines); comment lines are left out."""
    found, fence, prose = [], None, []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            fence = None if fence is not None else line[3:].strip()
            continue
        if fence is not None:
            found += [(number, line)] if fence != "python" else []
        elif not line.startswith("<!--"):
            prose.append((number, line))
    joined = "\n".join(line for _, line in prose)
    for m in re.finditer(r"`([^`]+)`", joined):
        found.append((prose[joined.count("\n", 0, m.start())][0], m.group(1)))
    return found


def test_every_readme_command_runs_verbatim_after_make_run():
    bare = [(n, c) for n, c in commands((ROOT / "README.md").read_text(encoding="utf-8")) if BARE_PYTHON.search(c)]
    assert bare == [], "write .venv/bin/python, not python: " + "; ".join(f"line {n}: {c}" for n, c in bare[:5])


def test_the_command_finder_sees_blocks_and_spans():
    text = ("run `python -m metrics` now\n```bash\npython app.py\n```\n```python\nimport x; python -m y\n```\n"
            "then `python\n-m metrics docs` and `.venv/bin/python -m metrics`\n<!-- python -m metrics docs -->\n")
    assert sorted(n for n, c in commands(text) if BARE_PYTHON.search(c)) == [1, 3, 8]
