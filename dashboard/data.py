"""One computation per view: the window and the previous period of equal length (the next block
of the same universe back), cached per process (every worker computes the same)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from metrics import Analysis, Assumptions, analyze, generate
from metrics.window import today_ns

from .state import View

PARALLEL_FROM_SERVICE_DAYS = 3_000    # below this size, starting threads costs more than it saves


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


@lru_cache(maxsize=8)
def _universe(seed, days, scenario, services, team_size, end_ns, days_back):
    return generate(days, seed, scenario, services, team_size, end=end_ns, days_back=days_back)


def _period(seed, days, scenario, services, team_size, a: Assumptions, end_ns, days_back) -> Analysis:
    u = _universe(seed, days, scenario, services, team_size, end_ns, days_back)
    return analyze(u.tables, u.window, a)


@lru_cache(maxsize=8)
def _compute(seed, days, scenario, services, team_size, a: Assumptions, end_ns) -> Computed:
    # changing an assumption recomputes the metrics over the same (cached) events; the previous
    # period is the next block of the same universe back, as it stood at its end
    args = (seed, days, scenario, services, team_size, a, end_ns)
    if services * days < PARALLEL_FROM_SERVICE_DAYS:
        current, previous = _period(*args, 0), _period(*args, days)
    else:
        # two threads: much of generating and analysing runs in numpy, outside the GIL
        with ThreadPoolExecutor(2) as pool:
            current, previous = pool.map(lambda back: _period(*args, back), (0, days))
    u = _universe(seed, days, scenario, services, team_size, end_ns, 0)
    return Computed(current, previous, u.scenario, u.profile.name)
