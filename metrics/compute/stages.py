"""Cycle-time stages (issue 27): where a PR's lead time goes, from the per-PR table of lead time
(``dora.lead_time(...)["prs"]``): coding (first commit -> PR opened), pickup (opened -> first
review), review (first review -> merge) and deploy (merge -> the deployment that shipped it); their
median and 75th percentile over the window, and their medians per period (ISO week, or calendar
month from ``defaults.MONTHLY_MIN_DAYS`` days on). A period's numbers are those of a window that is
that period: its PRs by creation, a deployment counted only before the period's end."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import NS_PER_DAY
from ..series import Groups, period_of
from ..tables import NA

STAGES = ("coding", "pickup", "review", "deploy")
# each stage's hours in lead time's per-PR table (NaN where the PR has no such stage)
STAGE_HOURS = {"coding": "coding_hours", "pickup": "review_wait_hours", "review": "review_to_merge_hours",
               "deploy": "merge_to_deploy_hours"}


def median_key(stage: str) -> str:
    """The summary key of a stage's median: "coding_hours_median"."""
    return f"{stage}_hours_median"


def p75_key(stage: str) -> str:
    """The summary key of a stage's 75th percentile: "coding_hours_p75"."""
    return f"{stage}_hours_p75"


def stage_hours(prs: pd.DataFrame) -> dict:
    """Stage -> each PR's hours in it (``prs``: lead time's per-PR table; NaN where the PR has no
    such stage). A PR first reviewed after its merge was merged unreviewed: no pickup or review stage.
    A PR whose merge names a deployment made before the merge has no deploy stage (its lead time
    still runs to that deployment, as METRICS.md defines it)."""
    hours = {stage: prs[column].to_numpy(dtype=float) for stage, column in STAGE_HOURS.items()}
    first_review, merged = prs["first_review"].to_numpy(), prs["merged"].to_numpy()
    late = (first_review != NA) & (merged != NA) & (first_review > merged)
    if late.any():
        for stage in ("pickup", "review"):
            hours[stage] = np.where(late, np.nan, hours[stage])
    deployed = prs["deployed"].to_numpy()
    early = (deployed != NA) & (merged != NA) & (deployed < merged)
    if early.any():
        hours["deploy"] = np.where(early, np.nan, hours["deploy"])
    return hours


def stage_summary(prs: pd.DataFrame) -> dict:
    """Per stage, the median and the 75th percentile (linear interpolation) of its hours over the
    window's PRs that have it (``prs``: lead time's per-PR table; ``stage_hours``); None where no PR
    has it."""
    out = {}
    for stage, hours in stage_hours(prs).items():
        hours = hours[~np.isnan(hours)]
        # both from one partition: each exactly as ``series.median`` and ``series.quantile(..., 0.75)``
        both = np.quantile(hours, [0.5, 0.75]).tolist() if len(hours) else [None, None]
        out[median_key(stage)], out[p75_key(stage)] = both
    return out


def period_stage_hours(prs: pd.DataFrame, bounds: np.ndarray) -> tuple[np.ndarray, dict]:
    """(the period of each PR by its creation, stage -> its hours as a window that is that period
    sees them): the deploy stage only where the deployment came before the period's end."""
    period = period_of(prs["created"].to_numpy(), bounds)
    hours = stage_hours(prs)
    deployed = prs["deployed"].to_numpy()
    shipped_in_time = (deployed != NA) & (deployed < bounds[1:][period])
    hours["deploy"] = np.where(shipped_in_time, hours["deploy"], np.nan)
    return period, hours


def stage_periods(prs: pd.DataFrame, bounds: np.ndarray) -> pd.DataFrame:
    """Per period (``bounds``: ``series.period_bounds``): ``start``, ``end`` (UTC), ``days``, ``prs``
    (created in it), and per stage the median hours (``<stage>_hours_median``, NaN where no PR of
    the period has the stage) and how many PRs it stands on (``<stage>_prs``)."""
    n = len(bounds) - 1
    period, hours = period_stage_hours(prs, bounds)
    out = {"start": pd.to_datetime(bounds[:-1], utc=True, unit="ns"), "end": pd.to_datetime(bounds[1:], utc=True, unit="ns"),
           "days": np.diff(bounds) // NS_PER_DAY, "prs": np.bincount(period, minlength=n)[:n]}
    by_period = Groups(period, n)
    for stage in STAGES:
        out[median_key(stage)] = by_period.quantile(hours[stage], 0.5)
        has = ~np.isnan(hours[stage])
        out[f"{stage}_prs"] = np.bincount(period[has], minlength=n)[:n]
    return pd.DataFrame(out)
