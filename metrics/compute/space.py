"""SPACE metrics (METRICS.md section 4): activity, collaboration, satisfaction, efficiency, performance."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import NS_PER_DAY
from ..series import daily_counts, mean, pct, soon_after, weekly
from ..tables import EventTables
from ..window import Window


def activity(tables: EventTables, window: Window) -> dict:
    """Daily PRs created, reviews (``pr_reviewed`` events) and merges; headlines per day of the window."""
    created = daily_counts(tables.prs["created"].to_numpy(), window).astype(int)
    reviews = daily_counts(tables.reviews["ts"].to_numpy(), window).astype(int)
    merges = daily_counts(tables.merges["ts"].to_numpy(), window).astype(int)
    return {"daily_prs_created": created, "daily_reviews": reviews, "daily_merges": merges,
            "prs_created": int(created.sum()), "reviews": int(reviews.sum()), "merges": int(merges.sum()),
            "prs_per_day": created.sum() / window.days, "reviews_per_day": reviews.sum() / window.days}


def collaboration(prs: pd.DataFrame, window: Window) -> dict:
    """Review turnaround: hours from ``pr_created`` to the first ``pr_reviewed``, per PR of the window.

    ``prs`` is the per-PR table of ``dora.lead_time``. Weekly mean and median by creation week.
    """
    done = prs[prs["review_wait_hours"].notna()]
    hours = done["review_wait_hours"].to_numpy()
    table = weekly(done["created"].to_numpy(), hours, window,
                   {"review_turnaround_hours_mean": "mean", "review_turnaround_hours_median": "median", "reviewed_prs": "count"})
    return {"weekly": table, "review_turnaround_hours_mean": mean(hours), "reviewed_prs": len(hours)}


def satisfaction(tables: EventTables, window: Window, incident_starts: np.ndarray) -> dict:
    """Survey scores (1-5) of the window: weekly mean and count, overall mean, trend, post-incident means.

    Trend: least-squares slope of score against time, in points per 30 days, and the fitted score
    at the window's start (n/a with fewer than two distinct response times). Post-incident: responses within 7 days after the start of one of
    the window's incidents, against all other responses.
    """
    sv = tables.surveys
    sv = sv[window.contains(sv["ts"].to_numpy())]
    ts = sv["ts"].to_numpy()
    score = sv["score"].to_numpy()
    table = weekly(ts, score, window, {"satisfaction_mean": "mean", "responses": "count"})
    trend = start = None
    if len(np.unique(ts)) >= 2:
        x = (ts - window.start_ns) / NS_PER_DAY
        slope, intercept = np.polyfit(x, score, 1)
        trend, start = float(slope * 30), float(intercept)
    after = soon_after(ts, incident_starts, 7 * NS_PER_DAY)
    return {"weekly": table, "satisfaction_mean": mean(score), "satisfaction_responses": len(score),
            "trend_per_30_days": trend, "trend_start": start, "after_incident_mean": mean(score[after]),
            "other_mean": mean(score[~after])}


def efficiency(prs: pd.DataFrame, window: Window) -> dict:
    """Merge time: hours from ``pr_created`` to ``pr_merged`` per merged PR of the window that has a
    life before its merge. A PR created at its very merge (a squash merge read from git history: the
    squash commit's author date is the merge) has none to measure: it is counted
    (``unmeasured_prs``), not timed, so squash merges alone make merge time n/a, never 0 h.

    Weekly mean and sample standard deviation (ddof=1) by creation week.
    """
    merged = prs["merge_time_hours"].notna()
    lived = merged & (prs["merge_time_hours"] > 0)
    done = prs[lived]
    hours = done["merge_time_hours"].to_numpy()
    table = weekly(done["created"].to_numpy(), hours, window,
                   {"merge_time_hours_mean": "mean", "merge_time_hours_std": "std", "merged_prs": "count"})
    return {"weekly": table, "merge_time_hours_mean": mean(hours), "merged_prs": len(hours),
            "unmeasured_prs": int((merged & ~lived).sum())}


def performance(incidents: int, deployments: int) -> dict:
    """Incident rate: ``incidents started / deployments x 100`` (attributed or not)."""
    return {"incident_rate_pct": pct(incidents, deployments)}
