"""One computation per view: the window and the previous period of equal length.

Synthetic universe: the window ends today; the previous period is the next block of the same
universe back. Stored dataset: the window is the data's span (or its last ``days`` days, or the
date range); the previous period is the block of the same length before it, from the same events.
On SQLite the dataset is loaded whole once per version; on PostgreSQL a view loads only the rows
its two periods need (``metrics.reach``, ``store.load_window``: cached by the window too) and the
dataset's span, services and kinds by a few index probes (``store.dataset_facts``).
The service filter narrows both periods alike.

Each app the factory builds owns a ``Views`` object and its cache: nothing is shared between two
apps in one process, and the cache holds at most ``METRICS_CACHE_MB`` (default
``metrics.defaults.CACHE_MB``) per app, measured in bytes (frames and arrays, with what each
frame's own objects cost), least recently used first out.
"""
from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, is_dataclass, replace

import numpy as np
import pandas as pd

from metrics import Analysis, Assumptions, analyze, defaults, generate, store
from metrics.analysis import kinds_present
from metrics.reach import DatasetFacts, facts_of, reach
from metrics.annotations import automatic_annotations, shown_annotations
from metrics.goals import GOAL_METRICS, GoalsError, alerts_path, read_goals
from metrics.store.annotations import annotations_of
from metrics.attribution import AttributionError, attribution_path, overrides_token, read_overrides
from metrics.schema import NS_PER_DAY
from metrics.selection import services_of, tables_of_services
from metrics.teams import (DEFAULT_TEAM_ORDER, TeamsError, compare_teams, read_teams, sort_teams, tables_of_teams,
                           teams_file_token, teams_path)
from metrics.tables import EventTables
from metrics.window import Window, over_data, to_ns, today_ns

from .fields import View

log = logging.getLogger(__name__)
PARALLEL_FROM_SERVICE_DAYS = 3_000    # below this size, starting threads costs more than it saves
CACHE_BYTES = int(float(os.environ.get("METRICS_CACHE_MB", defaults.CACHE_MB)) * 1024 * 1024)
# what a pandas frame and a series (or index) hold besides their cells: the block manager, the
# indexes, the column labels (tracemalloc, pandas 3.1: about 5 KB and 1.3 KB); a view of the default
# size caches some 90 small frames, whose cells are a third of their memory
FRAME_BYTES = 5 * 1024
SERIES_BYTES = 1300


@dataclass(frozen=True)
class Computed:
    current: Analysis | None          # None in an outline (``Views.outline``: the Teams tab analyses no period)
    previous: Analysis | None
    scenario: str                     # synthetic: the scenario and its profile's name; dataset: ""
    profile: str
    services: tuple                   # every service of the data (the filter's choices)
    span: tuple | None = None         # dataset: first and last day with events (YYYY-MM-DD)
    teams: TeamsShown | None = None     # the Teams tab's comparison (only when that tab is open)
    benchmark: str = defaults.BENCHMARK     # the view's DORA benchmark and Quick Check baseline (never computed:
    baseline: str = defaults.BASELINE       # the same numbers judged another way)
    window: Window | None = None      # the window shown (default: the current analysis's)
    goals: tuple = ()                 # the alerts file's goals (``metrics.goals.Goal``) for this view's charts
    goal_problem: str = ""            # why the alerts file's goals cannot be used ("" when they can)
    notes: pd.DataFrame | None = None   # the annotations this view's time charts draw (``metrics.annotations``)
    team_goals: tuple = ()            # the Teams tab: (goal, the team's value now) of each team's goal

    def __post_init__(self):
        if self.window is None:
            object.__setattr__(self, "window", self.current.window)

    @property
    def previous_in_data(self) -> bool:
        """Whether the previous period holds any of the data: not when a stored dataset's window
        starts on its first day (all data), so the period before lies wholly before the data and a
        change against it would come from a missing measurement, never to be coloured."""
        return self.span is None or self.window.start.strftime("%Y-%m-%d") > self.span[0]


@dataclass(frozen=True)
class TeamsShown:
    """What the Teams tab compares: the teams file, one ``metrics.teams.TeamDora`` a team, how many
    teams the file names, and why the file cannot be used ("" when it can; no rows: no teams)."""

    path: str
    rows: tuple = ()
    named: int = 0
    problem: str = ""
    chosen: tuple = ()                       # the Team selector's teams, when it narrows the comparison
    order: str = DEFAULT_TEAM_ORDER          # the order of ``rows`` (``metrics.teams.TEAM_ORDERS``)


def team_choices() -> tuple[list[str], str]:
    """The teams file's team names, and why it cannot be read ("" when it can)."""
    try:
        return list(read_teams(teams_path(store.data_dir()))), ""
    except TeamsError as e:
        return [], str(e)


class DataError(Exception):
    """The view cannot be computed from its data (an unknown dataset, an empty window): say why;
    ``unavailable``: the server's data cannot be used (a damaged dataset), not the request's fault."""

    def __init__(self, message: str, unavailable: bool = False):
        super().__init__(message)
        self.unavailable = unavailable


def nbytes(value, seen=None) -> int:
    """Approximate bytes held by ``value``: arrays by their buffers, frames at 8 bytes a cell plus
    their own objects (an estimate: asking pandas costs more than the computation it would cache),
    containers and dataclasses by their parts (each object counted once)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, pd.DataFrame):         # 8 bytes a cell: our frames are int64 / float64
        return FRAME_BYTES + 8 * value.shape[0] * max(value.shape[1], 1)
    if isinstance(value, (pd.Series, pd.Index)):
        return SERIES_BYTES + 8 * len(value)
    if isinstance(value, np.ndarray):
        return int(value.nbytes) + (64 * value.size if value.dtype == object else 0)
    if isinstance(value, dict):
        return 64 + sum(nbytes(v, seen) for v in value.values())
    if isinstance(value, (list, tuple)):
        return 64 + sum(nbytes(v, seen) for v in value)
    if is_dataclass(value):
        return 64 + sum(nbytes(getattr(value, f.name), seen) for f in fields(value))
    return 64


def narrow(tables: EventTables, view: View) -> EventTables:
    """``tables`` narrowed by the view's filters: its services, and its teams' services as the teams
    file says (``metrics.teams.tables_of_teams``)."""
    if not view.teams:
        return tables_of_services(tables, view.only)
    try:
        return tables_of_teams(tables, read_teams(teams_path(store.data_dir())), view.teams, view.only)
    except TeamsError as e:
        raise DataError(str(e)[:1].upper() + str(e)[1:] + ".") from None


def assumptions_of(view: View) -> Assumptions:
    """The PVM assumptions the view's fields set."""
    return Assumptions(hourly_rate=view.hourly_rate, value_per_deploy=view.value_per_deploy, team_size=view.developers)


def version_of(dataset: str):
    """The stored dataset's version (it changes with every write), or DataError."""
    try:
        return store.version(dataset)
    except store.StoreError as e:
        raise DataError(str(e)) from None


def overrides():
    """The attribution overrides of the data directory's file (``metrics.attribution``); a file
    that cannot be used is a DataError whose message is one sentence."""
    try:
        return read_overrides(attribution_path(store.data_dir()))
    except AttributionError as e:
        raise DataError(str(e)[:1].upper() + str(e)[1:] + ".") from None


class ByteCache:
    """A least-recently-used cache bounded by the bytes its values hold (``nbytes``), thread-safe.
    A value larger than the whole budget is computed and returned but not kept. ``lasting`` values
    (a stored dataset's tables, which every view of it reads) leave only when no other value is
    left to drop, even one just computed: a result bigger than what is left beside them is returned
    but not kept, rather than making every later view read the dataset again."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.used = 0
        self._items: OrderedDict = OrderedDict()       # key -> (value, size, lasting), least recently used first
        self._lock = threading.Lock()

    def get(self, key, compute, lasting: bool = False):
        """The cached value of ``key``, or ``compute()``'s, kept while the budget allows."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key][0]
        value = compute()
        size = nbytes(value)
        with self._lock:
            if key not in self._items and size <= self.max_bytes:
                self._items[key] = (value, size, lasting)
                self.used += size
                while self.used > self.max_bytes:
                    oldest = next((k for k, item in self._items.items() if not item[2]), next(iter(self._items)))
                    self.used -= self._items.pop(oldest)[1]
        return value

    def __len__(self) -> int:
        return len(self._items)


class Views:
    """The computations of one app's views, with their cache (see the module's docstring)."""

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.cache = ByteCache(max_bytes)

    def compute(self, view: View, end_ns: int | None = None) -> Computed:
        """The analyses of the view's window and of the period before it. Cached by the view's
        computation key plus what is not a view field: the data (the dataset's version, or the
        day the synthetic window ends), the teams file (when the view names teams) and the
        attribution overrides."""
        files = (teams_file_token(teams_path(store.data_dir())) if view.teams else None,
                 overrides_token(attribution_path(store.data_dir())))
        if view.dataset:
            version = version_of(view.dataset)
            return self.cache.get(("dataset",) + view.computation_key() + (version,) + files,
                                  lambda: self._compute_dataset(view, version))
        end = today_ns() if end_ns is None else end_ns
        return self.cache.get(("synthetic",) + view.computation_key() + (end,) + files, lambda: self._compute(view, end))

    def teams(self, view: View, end_ns: int | None = None) -> TeamsShown:
        """Every team's DORA numbers over the view's window and the period before (the chosen
        teams only, when the Team selector names some), each as ``--team NAME`` computes them."""
        path = teams_path(store.data_dir())
        try:
            found = read_teams(path)
        except TeamsError as e:
            return TeamsShown(str(path), problem=str(e))
        names = tuple(view.teams) or tuple(found)[:defaults.MAX_COMPARED_TEAMS]
        if not found:
            return TeamsShown(str(path))
        # the service filter does not apply to the comparison: views that differ only in it share it
        key = ("teams",) + replace(view, only=()).computation_key() + (teams_file_token(path),)
        if view.dataset:
            version = version_of(view.dataset)
            window = self._dataset_window(view.dataset, self._dataset_facts(view.dataset, version), view.days,
                                          view.start, view.end)
            tables = self._window_tables(view.dataset, version, window)
            key += (version,)
            periods = ((tables, window), (tables, window.previous()))
        else:
            end = today_ns() if end_ns is None else end_ns
            key += (end,)
            now, before = (self._universe(view, end, back) for back in (0, view.days))
            periods = ((now.tables, now.window), (before.tables, before.window))
        rows = self.cache.get(key, lambda: tuple(compare_teams(found, *periods, assumptions_of(view), list(names))))
        return TeamsShown(str(path), tuple(sort_teams(rows, view.team_order)), len(found), chosen=tuple(view.teams),
                          order=view.team_order)

    def outline(self, view: View, end_ns: int | None = None) -> Computed:
        """The view's window, the data's services and span and the synthetic profile, with no
        period analysed (``current`` and ``previous`` None): what the Teams tab shows besides its
        comparison (``teams``). Data, attribution overrides or teams that ``compute`` cannot use
        are the same DataError here."""
        overrides()
        if view.dataset:
            version = version_of(view.dataset)
            facts = self._dataset_facts(view.dataset, version)
            window = self._dataset_window(view.dataset, facts, view.days, view.start, view.end)
            if view.teams:           # the Team selector's teams must exist, as for ``compute``
                narrow(self._window_tables(view.dataset, version, window), view)
            return Computed(None, None, "", "", facts.services, facts.days, window=window)
        u = self._universe(view, today_ns() if end_ns is None else end_ns, 0)
        if view.teams:
            narrow(u.tables, view)
        return Computed(None, None, u.scenario, u.profile.name, tuple(services_of(u.tables)), window=u.window)

    # -- the synthetic universe ----------------------------------------------------------------

    def _universe(self, view: View, end_ns, days_back):
        args = (view.days, view.seed, view.scenario, view.services, view.team_size)
        return self.cache.get(("universe",) + args + (end_ns, days_back),
                              lambda: generate(*args, end=end_ns, days_back=days_back))

    def _period(self, view: View, end_ns, days_back) -> Analysis:
        u = self._universe(view, end_ns, days_back)
        # the previous period's analysis is compared with, not drawn: no monthly trends for it
        return analyze(narrow(u.tables, view), u.window, assumptions_of(view), present=kinds_present(u.tables),
                       overrides=overrides(), with_trends=not days_back)

    def _compute(self, view: View, end_ns) -> Computed:
        # changing an assumption recomputes the metrics over the same (cached) events; the previous
        # period is the next block of the same universe back, as it stood at its end
        if view.services * view.days < PARALLEL_FROM_SERVICE_DAYS:
            current, previous = self._period(view, end_ns, 0), self._period(view, end_ns, view.days)
        else:
            # two threads: much of generating and analysing runs in numpy, outside the GIL
            with ThreadPoolExecutor(2) as pool:
                current, previous = pool.map(lambda back: self._period(view, end_ns, back), (0, view.days))
        u = self._universe(view, end_ns, 0)
        return Computed(current, previous, u.scenario, u.profile.name, tuple(services_of(u.tables)))

    # -- a stored dataset ----------------------------------------------------------------------

    def _dataset_tables(self, name: str, version) -> EventTables:
        """The whole dataset's tables (SQLite), kept per version."""
        return self.cache.get(("dataset-tables", name, version), lambda: _stored(lambda: store.load_tables(name)),
                              lasting=True)

    def _dataset_facts(self, name: str, version) -> DatasetFacts:
        """The dataset's span, services and kinds: from its tables (SQLite), or asked of the
        database (PostgreSQL), kept per version."""
        if not store.reads_windows():
            return self.cache.get(("dataset-facts", name, version), lambda: facts_of(self._dataset_tables(name, version)))
        return self.cache.get(("dataset-facts", name, version), lambda: _stored(lambda: store.dataset_facts(name)))

    def _window_tables(self, name: str, version, window: Window) -> EventTables:
        """The tables a view of ``window`` and its previous period computes from: the whole dataset
        (SQLite), or the rows they need (PostgreSQL, ``metrics.reach``), kept per version and reach."""
        if not store.reads_windows():
            return self._dataset_tables(name, version)
        rows = reach(window, defaults.ATTRIBUTION_HOURS, overrides().pins)
        return self.cache.get(("dataset-window", name, version, rows),
                              lambda: _stored(lambda: store.load_window(name, rows)))

    @staticmethod
    def _dataset_window(name: str, facts: DatasetFacts, days: int, start: str, end: str):
        """The window a dataset view shows: its span, its last ``days`` days, or the date range."""
        try:
            return over_data(facts.span, days or None, to_ns(start) if start else None,
                             to_ns(end) + NS_PER_DAY if end else None)
        except ValueError as e:
            raise DataError(f"Dataset {name}: {e}.") from None

    def _compute_dataset(self, view: View, version) -> Computed:
        facts = self._dataset_facts(view.dataset, version)
        window = self._dataset_window(view.dataset, facts, view.days, view.start, view.end)
        tables = narrow(self._window_tables(view.dataset, version, window), view)
        pins = overrides()
        a = assumptions_of(view)
        # ``facts.present``: what the dataset holds at all, before any filter
        current = analyze(tables, window, a, present=facts.present, overrides=pins)
        previous = analyze(tables, window.previous(), a, present=facts.present, overrides=pins, with_trends=False)
        return Computed(current, previous, "", "", facts.services, facts.days)


def all_goals() -> tuple[list, str]:
    """The alerts file's goals, checked against the teams file's team names (when it can be read),
    and why they cannot be used ("" when they can: a sentence for the page)."""
    names, unreadable = team_choices()
    try:
        # a team's goal names a team of the teams file (no file: no team); unreadable: not checked
        return read_goals(alerts_path(store.data_dir()), None if unreadable else set(names)), ""
    except GoalsError as e:
        return [], defaults.sentence(e)


def stored_notes(view: View, window: Window) -> list:
    """The stored annotations of the view's dataset in ``window`` ([] for the synthetic universe, or
    when the store cannot say: the charts are drawn without them)."""
    if not view.dataset:
        return []
    try:
        return annotations_of(view.dataset, window.start_ns, window.end_ns)
    except store.StoreError as e:
        log.warning("annotations of %s not read: %s", view.dataset, e)
        return []


def view_services(c: Computed, view: View):
    """The services a narrowed view shows (those named, and those with deployments or incidents in
    the window), or None when it is not narrowed (every service)."""
    if not view.only and not view.teams:
        return None
    an = c.current
    codes = np.union1d(an.deployment_marks()["service"].to_numpy(), an.incident_marks()["service"].to_numpy())
    return set(view.only) | {str(s) for s in np.asarray(an.services, dtype=object)[codes.astype(np.int64)]}


def with_marks(c: Computed, view: View, views: "Views | None" = None) -> Computed:
    """``c`` with what the charts draw beside the numbers: the goals for this view (a team's, a
    service's or the whole data's; ``metrics.goals``) or why the file cannot be used, and the
    annotations (stored and automatic). On the Teams tab (an outline: no analysis), each team
    goal's team value, as ``--team NAME`` computes it (``views`` computes the teams' views)."""
    goals, problem = all_goals()
    if c.current is None:
        values = []
        if views is not None:
            rows = {row.team: row for row in (c.teams.rows if c.teams else ()) if not row.problem}
            values = [(goal, goal_value(views, view, goal, rows)) for goal in goals
                      if not goal.dataset or goal.dataset == view.dataset]
        return replace(c, goal_problem=problem, team_goals=tuple(values))
    shown = tuple(g for g in goals if g.applies(view.dataset, view.teams, view.only))
    notes = shown_annotations(stored_notes(view, c.window), automatic_annotations(c.current, c.previous),
                              view_services(c, view))
    return replace(c, goals=shown, goal_problem=problem, notes=notes.assign(hover=hover_texts(notes)))


def hover_texts(notes: pd.DataFrame) -> pd.Series:
    """Each annotation's hover text on the charts: its day, what it says, and who wrote it (a stored one)."""
    days = pd.Series(pd.to_datetime(notes["at_ns"].to_numpy(dtype=np.int64), utc=True, unit="ns").strftime("%Y-%m-%d"),
                     index=notes.index, dtype=object)
    by = notes["author"].astype(object)
    return days + ": " + notes["text"].astype(object) + by.where(by == "", " (" + by + ")")


def goal_value(views: "Views", view: View, goal, rows: dict):
    """The value of ``goal``'s metric now for whom it is for, over the view's window: the Teams
    tab's own number of the team (``rows``: team -> ``TeamDora``) when the tab compares that
    metric, else the view of the team, the service or the whole data computed (and cached) as
    ``--team NAME`` or ``--only-service NAME`` computes it; None when it is n/a or cannot be computed."""
    row = rows.get(goal.team)
    if row is not None and goal.metric in row.current:
        return row.current[goal.metric]
    narrowed = replace(view, teams=(goal.team,) if goal.team else (), only=(goal.service,) if goal.service else (),
                       tab="dora")
    try:
        return GOAL_METRICS[goal.metric].value(views.compute(narrowed).current)
    except DataError:
        return None


def _stored(load):
    """``load()``, a store failure as DataError (``unavailable`` when the dataset is damaged)."""
    try:
        return load()
    except store.StoreError as e:
        raise DataError(str(e), unavailable=isinstance(e, store.Damaged)) from None
