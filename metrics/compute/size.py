"""PR size and deployment batch size (docs/metrics.md, "Size"), and their relation to lead time and
change failure: do big PRs take longer, do big batches fail more?

A PR's size is its changed lines (``size_lines``: added + removed, from ``pr_lines_added`` and
``pr_lines_removed``); a deployment's batch is the PRs lead time attributes to it (their
``deploy_key`` in ``dora.lead_time``'s per-PR table: PRs created in the window) and their lines.
The bins' edges are ``defaults.PR_SIZE_BINS`` and ``defaults.BATCH_SIZE_BINS``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..defaults import BATCH_SIZE_BINS, LARGE_PR_LINES, PR_SIZE_BINS
from ..series import median, pct, quantile
from ..tables import NA, lookup


def bin_labels(edges: tuple) -> list[str]:
    """The bins' names from their lower edges (each bin runs up to the next edge, the last is
    open-ended): (0, 50, 200) -> ["<50", "50-199", ">=200"]; (1, 2, 4) -> ["1", "2-3", ">=4"]."""
    labels = []
    for i, lo in enumerate(edges):
        if i == len(edges) - 1:
            labels.append(f">={lo}")
        elif lo == 0:
            labels.append(f"<{edges[i + 1]}")
        elif edges[i + 1] - lo == 1:
            labels.append(f"{lo}")
        else:
            labels.append(f"{lo}-{edges[i + 1] - 1}")
    return labels


def bin_of(values, edges: tuple) -> np.ndarray:
    """Each value's bin (the index of the last edge at or below it); -1 below the first edge."""
    return np.searchsorted(np.asarray(edges, dtype=float), np.asarray(values, dtype=float), side="right") - 1


def pr_sizes(prs: pd.DataFrame, large_lines: int = LARGE_PR_LINES) -> dict:
    """Over the window's merged PRs with a size (``prs``: ``dora.lead_time``'s per-PR table): the
    median and p75 of their changed lines, and the share of them with more than ``large_lines``
    lines (a PR of exactly ``large_lines`` lines is not large); how many were sized and large."""
    size = prs["size_lines"].to_numpy(dtype=float)
    sized = size[(prs["merged"].to_numpy() != NA) & ~np.isnan(size)]
    large = int((sized > large_lines).sum())
    return {"pr_size_lines_median": median(sized), "pr_size_lines_p75": quantile(sized, 0.75),
            "large_pr_share_pct": pct(large, len(sized)), "sized_prs": len(sized), "large_prs": large}


def deploy_batches(prs: pd.DataFrame, inside: pd.DataFrame) -> pd.DataFrame:
    """Per production deployment of the window (``inside``, in its order): ``key``, ``prs`` (how many
    PRs lead time attributes to it) and ``lines`` (their changed lines; NaN when it shipped none or
    one of them has no size: a partial sum would understate the batch)."""
    keys = inside["key"].to_numpy()
    size = prs["size_lines"].to_numpy(dtype=float)
    at = lookup(np.arange(len(keys)), keys, prs["deploy_key"].to_numpy())    # each PR's deployment's row, or NA
    found = at != NA
    row = at[found]
    counts = np.bincount(row, minlength=len(keys))
    unsized = np.bincount(row, weights=np.isnan(size[found]), minlength=len(keys)) > 0
    lines = np.bincount(row, weights=np.nan_to_num(size[found]), minlength=len(keys))
    return pd.DataFrame({"key": keys, "prs": counts.astype(np.int64),
                         "lines": np.where((counts > 0) & ~unsized, lines, np.nan)})


def batch_sizes(batches: pd.DataFrame) -> dict:
    """The median PRs and lines per deployment, over the deployments that shipped at least one PR
    (``batches``: ``deploy_batches``; lines over those whose every PR has a size)."""
    shipped = batches[batches["prs"].to_numpy() >= 1]
    lines = shipped["lines"].dropna().to_numpy()
    return {"deploy_batch_prs_median": median(shipped["prs"].to_numpy()), "deploy_batch_lines_median": median(lines),
            "batch_deployments": len(shipped), "sized_batch_deployments": len(lines)}


def lead_time_by_size(prs: pd.DataFrame, edges: tuple = PR_SIZE_BINS) -> list[dict]:
    """Per PR size bin (``edges``: lower edges in changed lines): the deployed PRs of the window with
    a size in it and the median of their lead times (None for an empty bin)."""
    hours = prs["lead_time_hours"].to_numpy(dtype=float)
    size = prs["size_lines"].to_numpy(dtype=float)
    timed = ~np.isnan(hours) & ~np.isnan(size)
    where, hours = bin_of(size[timed], edges), hours[timed]
    return [{"bin": label, "lines_from": lo, "lines_below": edges[i + 1] if i + 1 < len(edges) else None,
             "prs": int((where == i).sum()), "lead_time_hours_median": median(hours[where == i])}
            for i, (lo, label) in enumerate(zip(edges, bin_labels(edges), strict=True))]


def failure_by_batch(batches: pd.DataFrame, failed: np.ndarray, edges: tuple = BATCH_SIZE_BINS) -> list[dict]:
    """Per batch size bin (``edges``: lower edges in PRs): the deployments of the window that shipped
    that many PRs, the failed ones among them (``failed``: ``dora.change_failure_rate``'s, aligned
    with ``batches``) and their change failure rate (None for an empty bin). Deployments that
    shipped no PR are in no bin."""
    where = bin_of(batches["prs"].to_numpy(), edges)
    failed = np.asarray(failed, dtype=bool)
    rows = []
    for i, (lo, label) in enumerate(zip(edges, bin_labels(edges), strict=True)):
        inside, bad = int((where == i).sum()), int((failed & (where == i)).sum())
        rows.append({"bin": label, "prs_from": lo, "prs_below": edges[i + 1] if i + 1 < len(edges) else None,
                     "deployments": inside, "failed_deployments": bad, "change_failure_rate_pct": pct(bad, inside)})
    return rows
