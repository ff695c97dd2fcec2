"""PR size and deployment batch size (docs/metrics.md, "Size"), declared once each in the DORA
section of the summary; their computations are ``metrics.compute.size``'s, read through the shared
``Context``. They are n/a where the data holds no PR sizes (``pr_lines_added``/``pr_lines_removed``
events); their relation to lead time and change failure is ``--json``'s ``size_relation``."""
from __future__ import annotations

from ..registry.metric import declarer

METRICS: list = []
declare = declarer(METRICS, "dora")
SIZED = ("pr_lines_added", "pr_lines_removed")

declare("pr_size_lines_median", reads="sizes", label="PR size (median)", unit="lines", fmt="{:,.0f}",
        lower_is_better=True, needs=("pr_created",) + SIZED,
        details=lambda c: {k: c.sizes[k] for k in ("sized_prs", "large_prs")},
        definition="Per merged PR created in the window with a size: its changed lines (`pr_lines_added` + "
                   "`pr_lines_removed`); the median. PRs without a size are left out (`sized_prs` counts the others).")


declare("pr_size_lines_p75", reads="sizes", label="PR size (p75)", unit="lines", fmt="{:,.0f}", lower_is_better=True,
        needs=("pr_created",) + SIZED,
        definition="The 75th percentile (linear interpolation) of the changed lines of the window's merged PRs with "
                   "a size.")


declare("large_pr_share_pct", reads="sizes", label="Large PRs", unit="%", lower_is_better=True,
        needs=("pr_created",) + SIZED,
        definition="Merged PRs of the window with more than `LARGE_PR_LINES` changed lines (default 400; "
                   "`--large-pr-lines`) / merged PRs of the window with a size x 100. A PR of exactly 400 lines is "
                   "not large.")


declare("deploy_batch_prs_median", reads="batches", label="Deployment batch (median PRs)", fmt="{:.1f}",
        lower_is_better=True, needs=("deploy", "pr_created"),
        details=lambda c: {k: c.batches[k] for k in ("batch_deployments", "sized_batch_deployments")},
        definition="Per production deployment of the window: the PRs lead time attributes to it (PRs created in the "
                   "window that it shipped); the median over the deployments that shipped at least one.")


declare("deploy_batch_lines_median", reads="batches", label="Deployment batch (median lines)", unit="lines",
        fmt="{:,.0f}", lower_is_better=True, needs=("deploy", "pr_created") + SIZED,
        definition="Per production deployment of the window that shipped at least one PR, every one with a size: "
                   "the sum of their changed lines; the median.")
