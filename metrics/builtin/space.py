"""The SPACE metrics (METRICS.md section 4), declared once each, in the order of the summary's keys;
their computations are ``metrics.compute.space``'s, read through the shared ``Context``."""
from __future__ import annotations

from ..registry.metric import Card, Console, Says, declarer

METRICS: list = []
declare = declarer(METRICS, "space")
GIT_CREATED = "from first commit, git history (no PR opening time)"


def _s(an) -> dict:
    return an.summary["space"]


declare("prs_per_day", reads="activity", label="PRs created", unit="/day", fmt="{:.2f}", needs=("pr_created",),
        details=lambda c: {k: c.activity[k] for k in ("prs_created", "merges")},
        definition="Activity: PRs created (`pr_created`) / days of the window; daily PRs, reviews and merges beside it.",
        card=Card("kpi-prs", "space", 1),
        footnote=lambda an: f"{an.details['prs_created']} PRs, {an.details['merges']} merges"
                            + (" · dated by first commit (git history)" if an.pr_times_from_git else ""),
        console=Console(1, "Activity: Avg PRs/day: {prs_per_day:.2f} | Avg reviews/day: {reviews_per_day:.2f}"))


declare("reviews_per_day", reads="activity", label="Reviews", unit="/day", fmt="{:.2f}", needs=("pr_reviewed",),
        details=lambda c: {"reviews": c.activity["reviews"]},
        definition="Activity: reviews (`pr_reviewed` events, every one) / days of the window.",
        card=Card("kpi-reviews", "space", 2), footnote=Says("{reviews} reviews"))


declare("review_turnaround_hours_mean", reads="collaboration", label="Review turnaround", unit="h", lower_is_better=True,
        definition="Collaboration: hours from `pr_created` to the PR's first `pr_reviewed`, mean over the window's "
                   "reviewed PRs (weekly mean and median by creation week beside it).",
        card=Card("kpi-turnaround", "space", 3), footnote=Says("creation to first review, mean"),
        console=Console(2, "Collaboration: Avg code review turnaround: {review_turnaround_hours_mean:.1f| hours}"))


def _satisfaction_details(c) -> dict:
    s = c.satisfaction
    return {"satisfaction_trend_per_30_days": s["trend_per_30_days"], "satisfaction_trend_start": s["trend_start"],
            "satisfaction_after_incident_mean": s["after_incident_mean"], "satisfaction_other_mean": s["other_mean"]}


declare("satisfaction_mean", reads="satisfaction", label="Satisfaction", unit="/5", fmt="{:.2f}", needs=("satisfaction_survey",),
        details=_satisfaction_details,
        definition="Satisfaction & well-being: mean of the window's survey scores (1-5); trend in points per 30 days, "
                   "and the mean within 7 days after an incident start beside the others'.",
        card=Card("kpi-satisfaction", "space", 4),
        footnote=Says("{satisfaction_responses} responses · after incidents {satisfaction_after_incident_mean:.2f}, "
                      "otherwise {satisfaction_other_mean:.2f}"),
        console=Console(3, "Satisfaction: Avg satisfaction score: {satisfaction_mean:.1f|/5.0}"))


declare("satisfaction_responses", reads="satisfaction", label="Survey responses", fmt="{:,}",
        definition="Survey answers (`satisfaction_survey` events) in the window.")


def _merge_time_caution(an) -> str | None:
    unmeasured = an.details["unmeasured_prs"]
    if _s(an)["merge_time_hours_mean"] is None and unmeasured:
        return (f"not measurable from squash merges: {unmeasured} merged PR{'s' * (unmeasured != 1)} created at "
                f"{'their' if unmeasured != 1 else 'its'} merge")
    if an.pr_times_from_git and _s(an)["merge_time_hours_mean"] is not None:
        return f"time {GIT_CREATED}" + (f"; {unmeasured} squash merges not timed" if unmeasured else "")
    return None


declare("merge_time_hours_mean", reads="efficiency", label="PR → merge time", unit="h", lower_is_better=True,
        details=lambda c: {"unmeasured_prs": c.efficiency["unmeasured_prs"]},
        definition="Efficiency & flow: hours from `pr_created` to `pr_merged` per merged PR created in the window, "
                   "mean (weekly mean and sample standard deviation beside it); a PR created at its merge (a squash "
                   "merge read from git history) is counted, not timed: squash merges alone make it n/a.",
        card=Card("kpi-merge-time", "space", 5),
        footnote=lambda an: "first commit to merge, mean" if an.pr_times_from_git else "creation to merge, mean",
        caution=_merge_time_caution,
        console=Console(4, "Efficiency: Avg PR→merge time: {merge_time_hours_mean:.1f| hours}"))


declare("incident_rate_pct", reads="performance", label="Incident rate", unit="%", fmt="{:.2f}", lower_is_better=True,
        needs=("deploy", "incident_start"),
        definition="Performance: incidents started in the window / deployments x 100 (attributed or not).",
        card=Card("kpi-incident-rate", "space", 6), footnote=Says("incidents per deployment"),
        console=Console(5, "Performance: Incident rate: {incident_rate_pct:.2f|%} per deployment"))
