"""The AI comparison (issue 29; docs/metrics.md "AI-assisted delivery: the comparison"): the window's
merged PRs that were AI-assisted against the others, with sample sizes and bootstrap intervals;
deployments that shipped mostly AI-assisted PRs against the others; adoption per ISO week; DORA's AI
capabilities as surveyed. A comparison of what happened, never a cause: who chooses an assistant,
and for which work, differs from PR to PR.

Everything is read from lead time's per-PR table (``dora.lead_time(...)["prs"]``: the PRs created
in the window), the PR table's ``ai_assisted`` verdicts (1, 0, NaN unknown), the window's
production deployments with their failed and rework flags, and the team-level tables ``ai_usage``
and ``ai_capabilities``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..defaults import (AI_MIN_SAMPLE, BOOTSTRAP_BLOCK_CELLS, BOOTSTRAP_LEVEL_PCT, BOOTSTRAP_RESAMPLES,
                        BOOTSTRAP_SEED, MOSTLY_AI_SHARE)
from ..schema import AI_ACCEPTANCES, AI_ACTIVE_USERS, AI_CAPABILITIES, AI_SUGGESTIONS, AI_USAGE_KINDS, NS_PER_DAY
from ..series import clean, pct, period_bounds, period_of
from ..tables import NA, EventTables, lookup_value
from ..window import Window
from .stages import STAGES, stage_hours

GROUPS = ("ai", "other")                  # ai_assisted == 1, == 0 (NaN: unknown, counted apart)
QUANTILES = (0.5, 0.75)                   # each measure's median and p75
# what is compared, in order: (key, unit, what it is); the stages as ``compute.stages`` counts them
MEASURES = (("lead_time", "hours", "lead time: PR creation to the deployment that shipped it"),
            *((stage, "hours", f"cycle-time stage {stage}") for stage in STAGES),
            ("pr_size", "lines", "changed lines (added + removed)"),
            ("review_turnaround", "hours", "PR creation to its first review"))
# DORA's AI capabilities beside the measured facts that relate to them: capability kind -> the keys
# of the facts (``Analysis.summary`` keys, or this comparison's ``reviewed_before_merge_pct``)
RELATED_FACTS = {
    "ai_capability_small_batches": ("deploy_batch_prs_median", "pr_size_lines_median", "large_pr_share_pct"),
    "ai_capability_version_control": ("reviewed_before_merge_pct", "pr_size_lines_median"),
}


def verdicts(tables: EventTables, prs: pd.DataFrame) -> np.ndarray:
    """Each row of lead time's per-PR table ``prs``: 1.0 (AI-assisted), 0.0 (checked, not) or NaN
    (unknown), from the PR table's ``ai_assisted``."""
    return lookup_value(tables.prs["ai_assisted"].to_numpy(), tables.prs["key"].to_numpy(), prs["pr_key"].to_numpy())


def measures(prs: pd.DataFrame) -> dict:
    """Measure key -> each PR's value (NaN where it has none): lead time, the four stages
    (``stages.stage_hours``), the size in changed lines and the review turnaround (hours from
    creation to the first review, whenever it came: SPACE's collaboration measure)."""
    hours = stage_hours(prs)
    return {"lead_time": prs["lead_time_hours"].to_numpy(dtype=float), **{s: hours[s] for s in STAGES},
            "pr_size": prs["size_lines"].to_numpy(dtype=float),
            "review_turnaround": prs["review_wait_hours"].to_numpy(dtype=float)}


def resampled(values, seed: int, resamples: int = BOOTSTRAP_RESAMPLES, qs=QUANTILES,
              block_cells: int = BOOTSTRAP_BLOCK_CELLS) -> np.ndarray:
    """The quantiles ``qs`` (linear interpolation) of ``resamples`` bootstrap resamples of ``values``:
    an array (resamples, len(qs)). The resamples' indices are ``default_rng(seed).integers(0, n,
    (resamples, n))``, drawn a block of rows at a time (at most ``block_cells`` indices held; the
    same numbers as one draw), each block's quantiles computed at once along its rows."""
    v = np.asarray(values, dtype=float)
    n = len(v)
    out = np.empty((resamples, len(qs)))
    rng = np.random.default_rng(seed)
    rows = max(1, block_cells // max(n, 1))
    for first in range(0, resamples, rows):          # one pass per block of resamples, not per resample
        take = min(rows, resamples - first)
        out[first:first + take] = np.quantile(v[rng.integers(0, n, (take, n))], qs, axis=1).T
    return out


def interval(stats: np.ndarray, level_pct: float = BOOTSTRAP_LEVEL_PCT) -> np.ndarray:
    """The percentile interval of bootstrap statistics (a column each): rows (low, high), the
    (100 - level) / 2 and (100 + level) / 2 percentiles (linear interpolation) of each column."""
    tail = (100.0 - level_pct) / 2
    return np.percentile(stats, [tail, 100.0 - tail], axis=0)


def _pair(a) -> list:
    return [clean(a[0]), clean(a[1])]


def described(values, seed: int, resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[dict, np.ndarray | None]:
    """(one group's measure: ``prs`` with a value, ``median``, ``p75`` and their 90 % intervals
    ``median_interval``, ``p75_interval`` as [low, high]; None where no PR has a value), and its
    resampled statistics (None without values)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if not len(v):
        return {"prs": 0, "median": None, "p75": None, "median_interval": None, "p75_interval": None}, None
    stats = resampled(v, seed, resamples)
    lo_hi = interval(stats)
    point = np.quantile(v, QUANTILES)
    return {"prs": len(v), "median": float(point[0]), "p75": float(point[1]),
            "median_interval": _pair(lo_hi[:, 0]), "p75_interval": _pair(lo_hi[:, 1])}, stats


def difference(ai: dict, other: dict, ai_stats, other_stats) -> dict:
    """AI-assisted minus other: the medians' and p75s' differences and their 90 % intervals (the
    percentile interval of the differences of the two groups' resampled statistics, resample i with
    resample i); None where a group has no value."""
    if ai_stats is None or other_stats is None:
        return {"median": None, "p75": None, "median_interval": None, "p75_interval": None}
    lo_hi = interval(ai_stats - other_stats)
    return {"median": ai["median"] - other["median"], "p75": ai["p75"] - other["p75"],
            "median_interval": _pair(lo_hi[:, 0]), "p75_interval": _pair(lo_hi[:, 1])}


def not_comparable(counts: dict, noun: str, min_sample: int) -> str | None:
    """Why two groups are not compared (a sentence naming the counts), or None when each has at
    least ``min_sample``."""
    if all(counts[g] >= min_sample for g in GROUPS):
        return None
    return (f"Too few to compare: {counts['ai']} AI-assisted and {counts['other']} other {noun} in this window; "
            f"a comparison needs at least {min_sample} of each.")


def merged_counts(prs: pd.DataFrame, ai: np.ndarray) -> dict:
    """The window's merged PRs (``prs``: lead time's per-PR table; ``ai``: ``verdicts``) per group:
    ``ai``, ``other``, ``unknown``, and ``ai_share_pct``: AI-assisted / merged PRs with a verdict x 100."""
    merged = prs["merged"].to_numpy() != NA
    counts = {"ai": int((merged & (ai == 1)).sum()), "other": int((merged & (ai == 0)).sum()),
              "unknown": int((merged & np.isnan(ai)).sum())}
    return {**counts, "ai_share_pct": pct(counts["ai"], counts["ai"] + counts["other"])}


def compare_prs(prs: pd.DataFrame, ai: np.ndarray, min_sample: int = AI_MIN_SAMPLE,
                resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> dict:
    """The window's merged PRs (``prs``: lead time's per-PR table; ``ai``: ``verdicts``) by group:
    ``merged_prs`` per group (``ai``, ``other``, ``unknown``), ``ai_share_pct`` (AI-assisted / merged
    PRs with a verdict x 100), ``reviewed_before_merge_pct`` per group and over all merged PRs, and,
    when each group has at least ``min_sample`` merged PRs, per measure (``MEASURES``) each group's
    median and p75 with their bootstrap intervals and the AI-minus-other difference (``measures``;
    None below the sample, ``not_comparable`` saying why)."""
    merged_ts = prs["merged"].to_numpy()
    merged = merged_ts != NA
    first_review = prs["first_review"].to_numpy()
    before = merged & (first_review != NA) & (first_review <= merged_ts)
    member = {"ai": merged & (ai == 1), "other": merged & (ai == 0)}
    counted = merged_counts(prs, ai)
    counts = {g: counted[g] for g in GROUPS}
    out = {"merged_prs": {g: counted[g] for g in ("ai", "other", "unknown")}, "ai_share_pct": counted["ai_share_pct"],
           "reviewed_before_merge_pct": {**{g: pct(int((before & member[g]).sum()), counts[g]) for g in GROUPS},
                                         "all": pct(int(before.sum()), int(merged.sum()))},
           "min_sample": min_sample}
    why = not_comparable(counts, "merged PRs", min_sample)
    out["not_comparable"] = why
    if why:
        out["measures"] = None
        return out
    compared = {}
    for key, values in measures(prs).items():
        ai_part, ai_stats = described(values[member["ai"]], seed, resamples)
        other_part, other_stats = described(values[member["other"]], seed + 1, resamples)
        compared[key] = {"ai": ai_part, "other": other_part,
                         "difference": difference(ai_part, other_part, ai_stats, other_stats)}
    out["measures"] = compared
    return out


def compare_deployments(prs: pd.DataFrame, ai: np.ndarray, inside: pd.DataFrame, failed, rework,
                        min_sample: int = AI_MIN_SAMPLE, share: float = MOSTLY_AI_SHARE) -> dict:
    """The window's production deployments (``inside``, with ``failed`` and ``rework`` flags aligned
    as ``dora.change_failure_rate`` and ``dora.rework`` give them) by the PRs lead time attributes
    to each (their ``deploy_key``): "mostly AI" when more than ``share`` of its PRs with a verdict
    were AI-assisted, "other" when it shipped a PR with a verdict and is not mostly AI; the rest
    (``without_verdict``) in neither. Per group: deployments, failed ones, change failure rate,
    rework deployments, rework rate (the rates None below ``min_sample`` deployments in a group,
    ``not_comparable`` saying why)."""
    keys = inside["key"].to_numpy()
    at = pd.Index(keys).get_indexer(prs["deploy_key"].to_numpy())       # each PR's deployment's row, or -1
    known = (at >= 0) & ~np.isnan(ai)
    judged = np.bincount(at[known], minlength=len(keys))
    assisted = np.bincount(at[known], weights=ai[known], minlength=len(keys))
    mostly = (judged > 0) & (assisted > share * judged)
    member = {"ai": mostly, "other": (judged > 0) & ~mostly}
    failed, rework = np.asarray(failed, dtype=bool), np.asarray(rework, dtype=bool)
    counts = {g: int(member[g].sum()) for g in GROUPS}
    why = not_comparable(counts, "deployments (mostly AI-assisted PRs, others)", min_sample)
    groups = {}
    for g in GROUPS:
        bad, redo = int((failed & member[g]).sum()), int((rework & member[g]).sum())
        groups[g] = {"deployments": counts[g], "failed_deployments": bad, "rework_deployments": redo,
                     "change_failure_rate_pct": None if why else pct(bad, counts[g]),
                     "rework_rate_pct": None if why else pct(redo, counts[g])}
    return {"mostly_ai_share": share, "mostly_ai": groups["ai"], "other": groups["other"],
            "without_verdict": int(len(keys) - counts["ai"] - counts["other"]), "min_sample": min_sample,
            "not_comparable": why}


def daily_usage(usage: pd.DataFrame, kind: str) -> pd.Series:
    """One assistant-report measure (``kind`` of ``schema.AI_USAGE_KINDS``) per UTC day that has it,
    summed over services (several organisations' reports add up), indexed by the day's start (ns)."""
    one = usage[usage["measure"].to_numpy() == AI_USAGE_KINDS.index(kind)]
    day = one["ts"].to_numpy() // NS_PER_DAY * NS_PER_DAY
    return one["value"].groupby(day).sum()


def adoption(prs: pd.DataFrame, ai: np.ndarray, usage: pd.DataFrame, window: Window) -> list[dict]:
    """Per ISO week of the window (its first and last weeks the part inside it): ``start``, ``end``,
    ``days``; the PRs created in it (``prs``), those with a verdict (``judged``), the AI-assisted ones
    (``ai_prs``) and their share of the judged (``ai_share_pct``); from the assistant's reports
    (``usage``: the window's ``ai_usage``), the mean over the week's reported days of the daily active
    users (``active_users_mean``), the suggestions and acceptances summed and the acceptance rate
    (acceptances / suggestions x 100); None where the week has none."""
    bounds = period_bounds(window, "week")
    n = len(bounds) - 1
    week = period_of(prs["created"].to_numpy(), bounds)
    known = ~np.isnan(ai)
    count = {"prs": np.bincount(week, minlength=n)[:n], "judged": np.bincount(week[known], minlength=n)[:n],
             "ai": np.bincount(week[known], weights=ai[known], minlength=n)[:n]}
    days = {kind: daily_usage(usage, kind) for kind in (AI_ACTIVE_USERS, AI_SUGGESTIONS, AI_ACCEPTANCES)}
    usage_week = {kind: period_of(d.index.to_numpy(dtype=np.int64), bounds) for kind, d in days.items()}

    def per_week(kind, how):
        d, w = days[kind], usage_week[kind]
        reported = np.bincount(w, minlength=n)[:n]
        total = np.bincount(w, weights=d.to_numpy(dtype=float), minlength=n)[:n]
        return [None if not reported[i] else float(total[i] / reported[i] if how == "mean" else total[i])
                for i in range(n)]

    users = per_week(AI_ACTIVE_USERS, "mean")
    suggested, accepted = per_week(AI_SUGGESTIONS, "sum"), per_week(AI_ACCEPTANCES, "sum")
    rows = []
    for i in range(n):
        start, end = pd.Timestamp(bounds[i], tz="UTC"), pd.Timestamp(bounds[i + 1], tz="UTC")
        rows.append({"start": start.isoformat().replace("+00:00", "Z"), "end": end.isoformat().replace("+00:00", "Z"),
                     "days": int((bounds[i + 1] - bounds[i]) // NS_PER_DAY), "prs": int(count["prs"][i]),
                     "judged": int(count["judged"][i]), "ai_prs": int(count["ai"][i]),
                     "ai_share_pct": pct(float(count["ai"][i]), int(count["judged"][i])),
                     "active_users_mean": users[i], "suggestions": suggested[i], "acceptances": accepted[i],
                     "acceptance_pct": None if accepted[i] is None or suggested[i] is None
                     else pct(accepted[i], suggested[i])})
    return rows


def capabilities(answers: pd.DataFrame) -> list[dict]:
    """DORA's seven AI capabilities in their order (``schema.AI_CAPABILITIES``): ``kind``, ``name``
    (DORA's), the window's survey answers (``responses``) and their mean (1-5; None without answers),
    and the keys of the measured facts related to it (``RELATED_FACTS``)."""
    index = answers["capability"].to_numpy()
    score = answers["score"].to_numpy(dtype=float)
    rows = []
    for i, (kind, name, _) in enumerate(AI_CAPABILITIES):
        mine = score[index == i]
        rows.append({"kind": kind, "name": name, "responses": len(mine),
                     "mean": float(mine.mean()) if len(mine) else None, "facts": list(RELATED_FACTS.get(kind, ()))})
    return rows


def comparison(tables: EventTables, window: Window, prs: pd.DataFrame, inside: pd.DataFrame, failed, rework,
               min_sample: int = AI_MIN_SAMPLE) -> dict:
    """The whole comparison of one window (``tables``: the window's, clipped; ``prs``: lead time's
    per-PR table; ``inside``, ``failed``, ``rework``: the window's production deployments and their
    flags): ``prs_with_verdict`` (PRs created in the window with a ``pr_ai_assisted`` event), ``prs``
    (``compare_prs``), ``deployments`` (``compare_deployments``), ``adoption`` per week, ``usage``
    (whether the data holds an assistant's report), ``capabilities`` and the bootstrap's settings."""
    ai = verdicts(tables, prs)
    return {"prs_with_verdict": int((~np.isnan(ai)).sum()),
            "bootstrap": {"resamples": BOOTSTRAP_RESAMPLES, "level_pct": BOOTSTRAP_LEVEL_PCT, "seed": BOOTSTRAP_SEED,
                          "method": "percentile"},
            "prs": compare_prs(prs, ai, min_sample),
            "deployments": compare_deployments(prs, ai, inside, failed, rework, min_sample),
            "adoption": adoption(prs, ai, tables.ai_usage, window),
            "usage": bool(len(tables.ai_usage)),
            "capabilities": capabilities(tables.ai_capabilities)}
