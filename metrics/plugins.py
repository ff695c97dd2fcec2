"""Custom metrics: plain Python files with functions over a window's events (``EXAMPLE`` is one,
the README's and the Custom tab's).

A metric function receives the window's events (a DataFrame with the canonical columns of
METRICS.md section 1, ``ts`` as UTC datetimes, previous-period events never mixed in) and returns a
number (a headline: a KPI card, ``None`` for "no value"), or a frame with a ``period`` column (a
chart of every other numeric column by period; its headline is the last period's first numeric
value). ``METRICS_PLUGINS`` names files or folders (every ``*.py`` in them), separated by ``:``
(``;`` on Windows). A plug-in that fails to import, or a metric that raises or returns something
else, is one sentence naming its file and the error: never a traceback.
"""
from __future__ import annotations

import importlib.util
import math
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .registry.metric import Card, MetricSpec
from .registry.source import declare

if TYPE_CHECKING:
    import pandas as pd                 # imported where a frame is made: reading plug-ins needs no pandas


# a custom metric, as the README and the Custom tab show it: a share of deployments that is n/a,
# never 0 %, when the data marks no change types at all (git tags carry none)
EXAMPLE = '''import pandas as pd
from metrics.plugins import metric

@metric(name="hotfix_share", label="Hotfix share", unit="%", lower_is_better=True)
def hotfix_share(events: pd.DataFrame):
    deploys = events[events["kind"] == "deploy"]
    # no deployment marked hotfix or rollback: the source may carry no change types (git tags)
    if not deploys["change_type"].isin(["hotfix", "rollback"]).any():
        return None
    return 100.0 * (deploys["change_type"] == "hotfix").mean()'''

NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


class PluginError(Exception):
    """A plug-in that cannot be loaded or a metric that failed: one sentence with its file."""


@dataclass(frozen=True)
class CustomMetric:
    """A loaded metric: its declaration, its function and the file it came from."""

    spec: MetricSpec
    function: object
    path: str


@dataclass
class Result:
    """A metric's value for one window: ``headline`` (a number or None) and, for a frame-valued
    metric, the ``frame`` (``period`` plus numeric columns); ``spec`` is its declaration."""

    headline: float | None
    frame: pd.DataFrame | None = None
    spec: MetricSpec | None = None

    def to_json(self):
        """The value under ``"custom"`` in ``--json``: the number, or the frame's rows."""
        if self.frame is None:
            return self.headline
        rows = self.frame.copy()
        rows["period"] = rows["period"].astype(str)
        return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
                for r in rows.to_dict(orient="records")]


def metric(name: str, label: str, unit: str = "", lower_is_better: bool = False, definition: str = ""):
    """Declare a custom metric (see the module's docstring): the same kind of declaration as a
    built-in metric's (``metrics.registry.metric.MetricSpec``, section ``custom``, a card on the
    Custom tab). ``name`` is its key in ``--json``: lower-case letters, digits and ``_``;
    ``definition``: what it measures (default: the function's docstring), for ``python -m metrics metrics``."""
    if not isinstance(name, str) or not name or set(name) - NAME_CHARS:
        raise PluginError(f"metric names are lower-case letters, digits and '_'; got {name!r}")

    def declare(function):
        said = str(definition) or " ".join((function.__doc__ or "").split("\n\n")[0].split())
        function.__metric__ = MetricSpec(name, "custom", str(label), said, compute=function, unit=str(unit),
                                         fmt="{:,.2f}", lower_is_better=bool(lower_is_better),
                                         card=Card(f"kpi-custom-{name}", "custom", 0))
        return function
    return declare


def source(name: str, title: str = "", describe: str = ""):
    """Declare a custom source: a function from a file's records (dicts) to canonical rows, offered
    by ``import --from NAME`` and the upload menu (``metrics.ingest.plugin_sources`` reads them)."""
    return declare(name, title, describe)


def plugin_files(setting: str | None) -> list[Path]:
    """The files ``METRICS_PLUGINS`` names: each file, and every ``*.py`` of each folder, sorted."""
    files = []
    for part in (setting or "").split(os.pathsep):
        if not part.strip():
            continue
        path = Path(part.strip()).expanduser()
        if path.is_dir():
            files += sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
        elif path.is_file():
            files.append(path)
        else:
            raise PluginError(f"METRICS_PLUGINS names {path}, which is neither a file nor a folder")
    return files


def _where(error: BaseException, path: Path) -> str:
    """' (line N)' of the innermost frame inside the plug-in's file, if any."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if Path(frame.filename).resolve() == path.resolve():
            return f" (line {frame.lineno})"
    if isinstance(error, SyntaxError) and error.lineno:
        return f" (line {error.lineno})"
    return ""


def load_file(path: Path, number: int, found: list[CustomMetric]) -> list[CustomMetric]:
    """Import one plug-in file and return its ``@metric`` functions; PluginError naming the file
    when it cannot be imported or declares a name one of ``found`` already has."""
    module_name = f"metrics_plugin_{number}_{path.stem}"
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except BaseException as e:                       # a plug-in may raise anything, SystemExit included
        sys.modules.pop(module_name, None)
        if isinstance(e, KeyboardInterrupt):
            raise
        raise PluginError(f"plug-in {path} could not be loaded{_where(e, path)}: {type(e).__name__}: {e}") from None
    mine: list[CustomMetric] = []
    for value in vars(module).values():
        declared = getattr(value, "__metric__", None)
        if isinstance(declared, MetricSpec) and callable(value):
            if any(m.spec.name == declared.name for m in found + mine):
                raise PluginError(f"plug-in {path} declares metric {declared.name!r}, which another plug-in "
                                  f"already declares; give it another name")
            mine.append(CustomMetric(declared, value, str(path)))
    return mine


def named(setting: str | None = None) -> bool:
    """Whether ``METRICS_PLUGINS`` (or ``setting``) names any plug-in."""
    return bool((os.environ.get("METRICS_PLUGINS", "") if setting is None else setting).strip())


def load_plugins(setting: str | None = None) -> list[CustomMetric]:
    """Import every plug-in file and collect its ``@metric`` functions, in file order; raises
    PluginError naming the file when one cannot be imported or two metrics share a name."""
    setting = os.environ.get("METRICS_PLUGINS", "") if setting is None else setting
    found: list[CustomMetric] = []
    for number, path in enumerate(plugin_files(setting)):
        found += load_file(path, number, found)
    return found


def load_each(setting: str | None = None) -> tuple[list[CustomMetric], list[str]]:
    """Like ``load_plugins``, but a file that fails is skipped: (the metrics of every file that
    loads, one sentence per failure)."""
    setting = os.environ.get("METRICS_PLUGINS", "") if setting is None else setting
    found: list[CustomMetric] = []
    problems: list[str] = []
    try:
        files = plugin_files(setting)
    except PluginError as e:
        files, problems = [], [str(e)]
    for number, path in enumerate(files):
        try:
            found += load_file(path, number, found)
        except PluginError as e:
            problems.append(str(e))
    return found, problems


def _number(value) -> float | None:
    import numpy as np
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("returned a bool")
    if isinstance(value, (int, float, np.integer, np.floating)):
        value = float(value)
        return None if math.isnan(value) else value
    raise TypeError(f"returned {type(value).__name__}, not a number or a frame with a 'period' column")


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names as plain text ("metric_value mean" for the seed example's two-level columns)."""
    frame = frame.copy()
    frame.columns = [" ".join(str(p) for p in c if str(p)) if isinstance(c, tuple) else str(c) for c in frame.columns]
    return frame


def evaluate(custom: CustomMetric, events: pd.DataFrame) -> Result:
    """``custom``'s value over ``events`` (one window's events), or PluginError naming its file."""
    import pandas as pd
    path = Path(custom.path)
    try:
        value = custom.function(events.copy())
        if isinstance(value, pd.DataFrame):
            frame = _flat(value)
            if frame.empty:
                return Result(None, frame.assign(period=[]) if "period" not in frame else frame)
            if "period" not in frame.columns:
                raise TypeError("returned a frame without a 'period' column")
            numeric = [c for c in frame.columns if c != "period" and pd.api.types.is_numeric_dtype(frame[c])]
            if not numeric:
                raise TypeError("returned a frame with no numeric column besides 'period'")
            frame = frame[["period"] + numeric].sort_values("period").reset_index(drop=True)
            return Result(_number(frame[numeric[0]].iloc[-1]), frame)
        return Result(_number(value))
    except Exception as e:
        raise PluginError(f"custom metric {custom.spec.name!r} in {path} failed{_where(e, path)}: "
                          f"{type(e).__name__}: {e}") from None


def configured_results(tables, window, setting: str | None = None) -> dict[str, Result] | None:
    """Every custom metric of ``METRICS_PLUGINS`` over the window's events (``window_events``), by
    name; None when no plug-in is named; PluginError naming the file of the first that fails."""
    setting = os.environ.get("METRICS_PLUGINS", "") if setting is None else setting
    if not setting.strip():
        return None
    return evaluate_all(load_plugins(setting), window_events(tables, window))


def evaluate_all(customs: list[CustomMetric], events: pd.DataFrame) -> dict[str, Result]:
    """Every custom metric's value over ``events``, by name (raises at the first that fails)."""
    out = {}
    for custom in customs:
        result = evaluate(custom, events)
        result.spec = custom.spec
        out[custom.spec.name] = result
    return out


@dataclass
class CustomValue:
    """A custom metric on the dashboard: this period's result, the previous period's headline."""

    spec: MetricSpec
    current: Result
    previous: float | None


@dataclass
class CustomView:
    """The Custom tab's content: whether ``METRICS_PLUGINS`` names anything, the metrics that
    computed, and one sentence per plug-in or metric that failed."""

    configured: bool
    values: list
    problems: list


def custom_view(current: pd.DataFrame, previous: pd.DataFrame, setting: str | None = None) -> CustomView:
    """Every custom metric over this period's and the previous period's events (each a frame as
    ``window_events`` gives); failures become sentences, never exceptions."""
    setting = os.environ.get("METRICS_PLUGINS", "") if setting is None else setting
    if not setting.strip():
        return CustomView(False, [], [])
    customs, problems = load_each(setting)
    values = []
    for custom in customs:
        try:
            now = evaluate(custom, current)
        except PluginError as e:
            problems.append(str(e))
            continue
        try:
            before = evaluate(custom, previous).headline
        except PluginError as e:
            problems.append(f"{e} (previous period)")
            before = None
        values.append(CustomValue(custom.spec, now, before))
    return CustomView(True, values, problems)


def window_events(tables, window) -> pd.DataFrame:
    """The events a custom metric sees: every event of ``tables`` inside the window (canonical
    columns, ``ts`` as UTC datetimes), oldest first."""
    import pandas as pd

    from .tables import frame_from_tables
    frame = frame_from_tables(tables)
    start, end = pd.Timestamp(window.start_ns, tz="UTC"), pd.Timestamp(window.end_ns, tz="UTC")
    return frame[(frame["ts"] >= start) & (frame["ts"] < end)].reset_index(drop=True)
