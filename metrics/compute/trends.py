"""The DORA keys per calendar month of a window (issue 27, trends): deployment frequency, lead time
(median), change failure rate, failed deployment recovery time (median) and rework rate, with the
cycle-time stages' medians. Each month's numbers are those of a window that is that month (the part
of it the window holds, at the window's edges), computed columnar from the window's own results
(lead time's per-PR table, its deployments and attributed incidents), without a pass per month:

- deployments and PRs belong to the month of their time / creation, incidents to the month of their start;
- a PR counts as deployed in its month only when its deployment came before the month's end;
- a deployment failed when its status says so or an incident of the same month is attributed to it;
- an incident counts as attributed in its month only when its deployment came before the month's end;
- a deployment is rework when it is a hotfix or rollback, or it deployed a service while an incident of
  the same month on it was open.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import NS_PER_DAY
from ..series import Groups, TimeIndex, grouped_quantile, period_of, rate_pct
from ..tables import NA, lookup
from .stages import STAGES, median_key, period_stage_hours

# the keys of a month, in order: the five DORA keys, then the stages' medians
DORA_TREND_KEYS = ("deploys_per_day", "lead_time_hours_median", "change_failure_rate_pct",
                   "failed_deployment_recovery_minutes_median", "rework_rate_pct")
TREND_KEYS = DORA_TREND_KEYS + tuple(median_key(s) for s in STAGES)
NAMED = ("explicit", "pinned")          # attributions by a link the incident or an override names


def monthly(bounds: np.ndarray, prs: pd.DataFrame, inside: pd.DataFrame, incidents: pd.DataFrame,
            caused: np.ndarray, rework: np.ndarray) -> dict:
    """Per period of ``bounds`` (``series.period_bounds(window, "month")``): ``days`` and each of
    ``TREND_KEYS`` as an array (NaN where n/a: no deployment, no timed PR ...), and the counts they
    stand on (``deployments``, ``deployed_prs``, ``recoveries``). ``prs``: lead time's per-PR table;
    ``inside``: the window's production deployments, ``caused`` and ``rework`` their flags over the
    whole window (``dora.change_failure_rate``, ``dora.rework``: a month's flags are some of them);
    ``incidents``: the window's attributed incidents (``dora.attribute_incidents``)."""
    n = len(bounds) - 1
    ends = bounds[1:]
    days = np.diff(bounds) // NS_PER_DAY
    out = {"days": days}

    ts = inside["ts"].to_numpy()
    month = period_of(ts, bounds)
    ok = inside["success"].to_numpy()
    deployments = np.bincount(month, minlength=n)[:n]
    out["deploys_per_day"] = np.bincount(month[ok], minlength=n)[:n] / days
    out["deployments"] = deployments

    start = incidents["start"].to_numpy()
    inc_month = period_of(start, bounds)
    link = incidents["deploy_key"].to_numpy()
    attributed = link != NA
    # an explicit or pinned link may name a deployment after the incident's month: not the month's
    named = attributed & np.isin(incidents["attribution"].to_numpy(), NAMED)
    if named.any():
        at = lookup(inside["ts"], inside["key"], link[named])
        attributed[np.flatnonzero(named)[(at != NA) & (at >= ends[inc_month[named]])]] = False
    # caused in its month: by an incident of that month (those caused over the window are the candidates)
    failed = ~ok
    maybe = np.flatnonzero(caused)
    if len(maybe):
        pairs = link[attributed].astype(np.int64) * n + inc_month[attributed]
        failed[maybe] |= np.isin(inside["key"].to_numpy()[maybe].astype(np.int64) * n + month[maybe], pairs)
    out["change_failure_rate_pct"] = rate_pct(np.bincount(month[failed], minlength=n)[:n], deployments)

    recovery = incidents["recovery_minutes"].to_numpy(dtype=float)
    timed = attributed & ~np.isnan(recovery)
    out["failed_deployment_recovery_minutes_median"] = grouped_quantile(recovery[timed], inc_month[timed], n, 0.5)
    out["recoveries"] = np.bincount(inc_month[timed], minlength=n)[:n]

    # rework in its month: a hotfix or rollback, or during an incident of that month (those during an
    # incident of the window are the candidates)
    reworked = inside["change_type"].to_numpy() > 0
    maybe = np.flatnonzero(rework & ~reworked)
    if len(maybe):
        service = inside["service"].to_numpy()[maybe].astype(np.int64)
        reworked[maybe] = TimeIndex(ts[maybe], service * n + month[maybe]).inside_any(
            start, incidents["resolved"].to_numpy(), incidents["service"].to_numpy().astype(np.int64) * n + inc_month)
    out["rework_rate_pct"] = rate_pct(np.bincount(month[reworked], minlength=n)[:n], deployments)

    period, hours = period_stage_hours(prs, bounds)
    deployed = prs["deployed"].to_numpy()
    shipped = (deployed != NA) & (deployed < ends[period])
    by_month = Groups(period, n)
    out["lead_time_hours_median"] = by_month.quantile(np.where(shipped, prs["lead_time_hours"].to_numpy(dtype=float),
                                                               np.nan), 0.5)
    out["deployed_prs"] = np.bincount(period[shipped], minlength=n)[:n]
    for stage in STAGES:
        out[median_key(stage)] = by_month.quantile(hours[stage], 0.5)
    return out
