"""One computation per view: the window and the previous period of equal length, cached per
process (every worker computes the same).

Synthetic universe: the window ends today; the previous period is the next block of the same
universe back. Stored dataset: the window is the data's span (or its last ``days`` days, or the
date range); the previous period is the block of the same length before it, from the same events.
The service filter narrows both periods alike.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from metrics import Analysis, Assumptions, analyze, generate, store
from metrics.schema import NS_PER_DAY
from metrics.selection import services_of, tables_of_services
from metrics.tables import EventTables, tables_from_frame
from metrics.window import over_data, to_ns, today_ns

from .state import View

PARALLEL_FROM_SERVICE_DAYS = 3_000    # below this size, starting threads costs more than it saves


@dataclass(frozen=True)
class Computed:
    current: Analysis
    previous: Analysis
    scenario: str                     # synthetic: the scenario and its profile's name; dataset: ""
    profile: str
    services: tuple                   # every service of the data (the filter's choices)
    span: tuple | None = None         # dataset: first and last day with events (YYYY-MM-DD)


class DataError(Exception):
    """The view cannot be computed from its data (an unknown dataset, an empty window): say why."""


def compute(view: View, end_ns: int | None = None) -> Computed:
    """The analyses of the view's window and of the period before it."""
    a = Assumptions(hourly_rate=view.hourly_rate, value_per_deploy=view.value_per_deploy, team_size=view.developers)
    if view.dataset:
        try:
            version = store.version(view.dataset)
        except store.StoreError as e:
            raise DataError(str(e)) from None
        return _compute_dataset(view.dataset, version, view.days, view.start, view.end, view.only, a)
    return _compute(view.seed, view.days, view.scenario, view.services, view.team_size, view.only, a,
                    today_ns() if end_ns is None else end_ns)


# ---------------------------------------------------------------------------------------------
# the synthetic universe


@lru_cache(maxsize=8)
def _universe(seed, days, scenario, services, team_size, end_ns, days_back):
    return generate(days, seed, scenario, services, team_size, end=end_ns, days_back=days_back)


@lru_cache(maxsize=8)
def _universe_tables(seed, days, scenario, services, team_size, end_ns, days_back, only) -> EventTables:
    u = _universe(seed, days, scenario, services, team_size, end_ns, days_back)
    return tables_of_services(u.tables, only)


def _period(seed, days, scenario, services, team_size, only, a: Assumptions, end_ns, days_back) -> Analysis:
    u = _universe(seed, days, scenario, services, team_size, end_ns, days_back)
    return analyze(_universe_tables(seed, days, scenario, services, team_size, end_ns, days_back, only), u.window, a)


@lru_cache(maxsize=8)
def _compute(seed, days, scenario, services, team_size, only, a: Assumptions, end_ns) -> Computed:
    # changing an assumption recomputes the metrics over the same (cached) events; the previous
    # period is the next block of the same universe back, as it stood at its end
    args = (seed, days, scenario, services, team_size, only, a, end_ns)
    if services * days < PARALLEL_FROM_SERVICE_DAYS:
        current, previous = _period(*args, 0), _period(*args, days)
    else:
        # two threads: much of generating and analysing runs in numpy, outside the GIL
        with ThreadPoolExecutor(2) as pool:
            current, previous = pool.map(lambda back: _period(*args, back), (0, days))
    u = _universe(seed, days, scenario, services, team_size, end_ns, 0)
    return Computed(current, previous, u.scenario, u.profile.name, tuple(services_of(u.tables)))


# ---------------------------------------------------------------------------------------------
# a stored dataset


@lru_cache(maxsize=4)
def _dataset_frame(name: str, version) -> pd.DataFrame:
    try:
        return store.load(name)
    except store.StoreError as e:
        raise DataError(str(e)) from None


@lru_cache(maxsize=8)
def _dataset_tables(name: str, version, only) -> EventTables:
    if only:
        return tables_of_services(_dataset_tables(name, version, ()), only)
    return tables_from_frame(_dataset_frame(name, version))


@lru_cache(maxsize=8)
def _compute_dataset(name: str, version, days: int, start: str, end: str, only, a: Assumptions) -> Computed:
    everything = _dataset_tables(name, version, ())
    span = everything.time_span()
    try:
        window = over_data(span, days or None, to_ns(start) if start else None,
                           to_ns(end) + NS_PER_DAY if end else None)
    except ValueError as e:
        raise DataError(f"Dataset {name}: {e}.") from None
    tables = _dataset_tables(name, version, only)
    current, previous = analyze(tables, window, a), analyze(tables, window.previous(), a)
    first, last = (pd.Timestamp(t, tz="UTC").strftime("%Y-%m-%d") for t in span)
    return Computed(current, previous, "", "", tuple(services_of(everything)), (first, last))
