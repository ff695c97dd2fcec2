"""Plug-in sources: a function in a ``METRICS_PLUGINS`` file that turns another tool's records into
canonical rows joins the source registry like a built-in source.

```python
# my_tool.py  (METRICS_PLUGINS=my_tool.py python -m metrics import --from my-tool export.json --name x)
from metrics.plugins import source

@source(name="my-tool", title="My tool's releases (JSON)")
def my_tool(records):
    for r in records:
        yield {"ts": r["finished"], "kind": "deploy", "service": r["app"],
               "status": "success" if r["ok"] else "failed"}
```

The function takes the file's records, each a dict: a JSON array's items (or ``{"items": [...]}``'s,
or several such documents one after another), NDJSON lines, or CSV rows (every cell text). It
returns or yields canonical rows (dicts with ``ts``, ``kind``, ``service`` and the other columns of
METRICS.md section 1), which go through the same validation and load report as every source's,
numbered by row. ``import --from NAME``, the dashboard's upload menu and ``python -m metrics
sources`` offer it. A file that cannot be loaded, a name that exists already, a function that raises
or returns something that is not rows is one sentence naming the plug-in's file and line: never a
traceback, and nothing is stored.
"""
from __future__ import annotations

import ast
import os
import runpy
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..plugins import PluginError, plugin_files
from ..registry.source import Declared, SourceSpec, register_plugin, reset_plugins, sources
from .report import LoadError, RawRows
from .sources.common import json_documents, raw_rows

PLUGIN_ORDER = 1000                          # after every built-in source in menus
READS = "a JSON array of records (or {\"items\": [...]}), NDJSON lines or CSV rows"


def line_in(error: BaseException, path: Path) -> str:
    """' (line N)': the last line of ``path`` the error passed through (or its syntax error's), or ""."""
    target = Path(path).resolve()
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == target]
    if not lines and isinstance(error, SyntaxError) and error.lineno:
        lines = [error.lineno]
    return f" (line {lines[-1]})" if lines else ""


# -- a file's records and the function's rows ------------------------------------------------------

def records_of(text: str, path: Path) -> list[dict]:
    """The records of a file, each a dict: CSV rows (cells as text), or the objects of JSON / NDJSON
    documents (an array's items, ``{"items": [...]}``'s, or the object itself); LoadError of one
    sentence for a file that cannot be read or a record that is not an object."""
    from .sources.events.reader import detect_format, raw_from_csv      # pandas: when a file is read
    name = Path(path).name
    if detect_format(Path(path), text) == "csv":
        frame, numbers, bad = raw_from_csv(text, name)
        if bad:
            raise LoadError(f"{name}: line {bad[0][0]}: {bad[0][1]}")
        return [{str(k): str(v) for k, v in row.items()} for row in frame.to_dict("records")]
    records = []
    for doc in json_documents(text, name):
        items = doc["items"] if isinstance(doc, dict) and isinstance(doc.get("items"), list) else doc
        records += items if isinstance(items, list) else [items]
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise LoadError(f"{name}: record {number} is not a JSON object ({type(record).__name__}); "
                            f"a plug-in source reads objects")
    return records


def rows_of(declared: Declared, records: list, name: str) -> list[dict]:
    """The canonical rows ``declared``'s function makes of ``records``; LoadError naming the plug-in's
    file and line when it raises or returns something that is not rows (dicts)."""
    where = f"plug-in source {declared.name!r} in {declared.path}"
    try:
        made = declared.function(records)
        if made is None or isinstance(made, (str, bytes, dict)) or not hasattr(made, "__iter__"):
            raise LoadError(f"{name}: {where} (line {declared.line}) returned {type(made).__name__}, not rows "
                            f"(a list or generator of dicts with ts, kind, service, ...)")
        rows = []
        for number, row in enumerate(made, start=1):
            if not isinstance(row, dict):
                raise LoadError(f"{name}: {where} (line {declared.line}) made row {number} a "
                                f"{type(row).__name__}, not a dict with ts, kind, service, ...")
            rows.append({str(k): v for k, v in row.items()})
        return rows
    except LoadError:
        raise
    except BaseException as e:                # a plug-in may raise anything, SystemExit included
        if isinstance(e, KeyboardInterrupt):
            raise
        raise LoadError(f"{name}: {where} failed{line_in(e, Path(declared.path))}: "
                        f"{type(e).__name__}: {str(e)[:200]}") from None


def reader_of(declared: Declared):
    """The source's reader factory (it takes no option): records -> the function -> raw rows."""
    def make():
        def read(text: str, path: Path) -> RawRows:
            rows = rows_of(declared, records_of(text, path), Path(path).name)
            return raw_rows(rows, range(1, len(rows) + 1), [], "row")
        return read
    return make


# -- loading METRICS_PLUGINS ---------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """A plug-in file that failed: the sentence that says why, and the names of the sources it
    declares (None when that cannot be told: a file that does not parse, ``METRICS_PLUGINS``
    naming nothing)."""

    sentence: str
    sources: frozenset | None


def declared_names(path: Path) -> frozenset | None:
    """The source names a plug-in file declares (``@source(name="...")``), read from its text without
    running it; None when that cannot be told (it does not parse, a name is not written out)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):         # unreadable, not Python, a NUL byte
        return None
    names = set()
    for node in ast.walk(tree):
        for decorator in getattr(node, "decorator_list", ()):
            function = getattr(decorator, "func", None)
            if getattr(function, "id", None) != "source" and getattr(function, "attr", None) != "source":
                continue
            given = [k.value for k in decorator.keywords if k.arg == "name"] + decorator.args[:1]
            if not given or not isinstance(given[0], ast.Constant) or not isinstance(given[0].value, str):
                return None
            names.add(given[0].value)
    return frozenset(names)


def refusal(name: str, problems: list[Problem]) -> str | None:
    """Why ``--from name`` cannot be read when plug-ins failed: the sentence of a failed plug-in that
    declares the source, or (for a source no plug-in registered) of one whose sources cannot be told;
    None when ``name`` is not a failed plug-in's (a built-in source, say)."""
    for problem in problems:
        if problem.sources is not None and name in problem.sources:
            return problem.sentence
    if name not in sources():
        return next((p.sentence for p in problems if p.sources is None), None)
    return None


_lock = threading.Lock()
_loaded: list = [None, []]                   # what was read: (setting, files and their times), problems


def declared_in(path: Path, number: int) -> list[Declared]:
    """The sources one plug-in file declares; PluginError naming the file (and line) when it cannot
    be run."""
    try:
        found = runpy.run_path(str(path), run_name=f"metrics_source_plugin_{number}_{path.stem}")
    except BaseException as e:               # a plug-in may raise anything, SystemExit included
        if isinstance(e, KeyboardInterrupt):
            raise
        raise PluginError(f"plug-in {path} could not be loaded{line_in(e, path)}: {type(e).__name__}: {e}") from None
    return [v.__source__ for v in found.values() if isinstance(getattr(v, "__source__", None), Declared)]


def load_sources(setting: str | None = None) -> list[str]:
    """Register the sources of ``METRICS_PLUGINS``' files (in place of those registered before);
    one sentence per file that cannot be loaded or source named as one that exists already (that
    source is left out). Files unchanged since the last call are not read again."""
    return [problem.sentence for problem in plugin_problems(setting)]


def plugin_problems(setting: str | None = None) -> list[Problem]:
    """``load_sources``, each failure a ``Problem`` (its sentence and the sources it concerns)."""
    setting = os.environ.get("METRICS_PLUGINS", "") if setting is None else setting
    with _lock:
        try:
            files = plugin_files(setting)
            stamp = (setting, tuple((str(p), p.stat().st_mtime_ns) for p in files))
        except (PluginError, OSError) as e:
            reset_plugins()
            _loaded[:] = [None, []]
            return [Problem(str(e), None)]
        if stamp == _loaded[0]:
            return list(_loaded[1])
        reset_plugins()
        problems = []
        for number, path in enumerate(files):
            try:
                declared = declared_in(path, number)
            except PluginError as e:
                problems.append(Problem(str(e), declared_names(path)))
                continue
            for d in declared:
                if d.name in sources():
                    problems.append(Problem(f"plug-in {path} (line {d.line}) declares source {d.name!r}, which "
                                            f"exists already; give it another name", frozenset({d.name})))
                    continue
                register_plugin(SourceSpec(name=d.name, title=d.title, describe=d.describe or f"rows made by {path.name}",
                                           reader=reader_of(d), reads=READS, plugin=str(path), order=PLUGIN_ORDER))
        _loaded[:] = [stamp, problems]
        return list(problems)
