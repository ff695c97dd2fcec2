"""One computation per view: the window and the previous period of equal length, from one
generation of the synthetic universe, cached per process (every worker computes the same)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from metrics import Analysis, Assumptions, Window, analyze, generate
from metrics.window import today_ns

from .state import View

NS_PER_DAY = 86_400_000_000_000
PARALLEL_FROM_EVENTS = 200_000      # below this, starting threads costs more than it saves


@dataclass(frozen=True)
class Computed:
    current: Analysis
    previous: Analysis
    scenario: str
    profile: str


def compute(view: View, end_ns: int | None = None) -> Computed:
    """The analyses of the view's window (ending today, UTC) and of the period before it."""
    a = Assumptions(hourly_rate=view.hourly_rate, value_per_deploy=view.value_per_deploy, team_size=view.developers)
    return _compute(view.seed, view.days, view.scenario, view.services, view.team_size, a,
                    today_ns() if end_ns is None else end_ns)


@lru_cache(maxsize=4)
def _universe(seed, days, scenario, services, team_size, end_ns):
    return generate(days, seed, scenario, services, team_size, end=end_ns)


@lru_cache(maxsize=8)
def _compute(seed, days, scenario, services, team_size, a: Assumptions, end_ns) -> Computed:
    # changing an assumption recomputes the metrics over the same (cached) universe
    universe = _universe(seed, 2 * days, scenario, services, team_size, end_ns)
    window = Window(end_ns - days * NS_PER_DAY, end_ns)
    windows = (window, window.previous())
    if universe.tables.event_count() < PARALLEL_FROM_EVENTS:
        current, previous = (analyze(universe.tables, w, a) for w in windows)
    else:
        # two threads: the periods' sorts and searches run in numpy, outside the GIL
        with ThreadPoolExecutor(2) as pool:
            current, previous = pool.map(lambda w: analyze(universe.tables, w, a), windows)
    return Computed(current, previous, universe.scenario, universe.profile.name)
