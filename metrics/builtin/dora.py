"""The DORA metrics (METRICS.md section 3), declared once each, in the order of the summary's keys;
their computations are ``metrics.compute.dora``'s, read through the shared ``Context``."""
from __future__ import annotations

from .. import defaults
from ..benchmarks import TIER_TABLES
from ..compute.stages import STAGE_HOURS, median_key
from ..registry.metric import Card, Console, MetricSpec, Sample, Says, declarer
from ..units import say

METRICS: list = []
declare = declarer(METRICS, "dora")


def _s(an) -> dict:
    return an.summary["dora"]


DEPLOYMENTS = Sample("deployments", lambda an: _s(an)["deployments"], one="deployment", reads=("deployments",))
FREQUENCY = Sample("deployments", lambda an: _s(an)["deployments"], or_days=defaults.FREQUENCY_TIER_DAYS, one="deployment",
                   reads=("deployments",))
DEPLOYED_PRS = Sample("deployed PRs", lambda an: an.details["merged_prs"] - _s(an)["merged_prs_not_deployed"],
                      one="deployed PR", reads=("merged_prs_not_deployed",))
RESOLVED_INCIDENTS = Sample("resolved incidents", lambda an: _s(an)["incidents"] - _s(an)["open_incidents"],
                            one="resolved incident", reads=("incidents", "open_incidents"))
ATTRIBUTED_RECOVERIES = Sample("resolved incidents attributed to a deployment",
                               lambda an: an.details["failed_deployment_recovery"]["recoveries"],
                               one="resolved incident attributed to a deployment")


def tiered(table: str, sample: Sample, quick_check: bool = True) -> dict:
    """The fields of a DORA key placed in a tier: its tier table (``benchmarks.TIER_TABLES[table]``) and
    the sample the tier stands on; it is compared per team on the Teams tab and scored by the Quick
    Check question of the same name (none for recovery time: the Quick Check scores the failed
    deployment recovery time instead)."""
    return {"tiers": TIER_TABLES[table], "sample": sample, "teams": True, "quick_check": table if quick_check else ""}


declare("deployments", reads="frequency", label="Deployments",
        definition="Production deployments (`deploy` events with environment `production`) started in the window.",
        fmt="{:,}")


declare("successful_deployments", reads="frequency", label="Successful deployments",
        definition="Production deployments of the window with status `success`.", fmt="{:,}")


declare("deploys_per_day", reads="frequency", label="Deployment frequency", unit="/day", fmt="{:.2f}", needs=("deploy",),
        definition="Successful production deployments / days of the window (a daily series beside it).",
        **tiered("deployment_frequency", FREQUENCY), card=Card("kpi-deploys", "dora", 2, "throughput"),
        footnote=Says("{successful_deployments} successful of {deployments}"),
        console=Console(1, "Avg deployments/day: {deploys_per_day:.2f}"))


def _lead_footnote(an) -> str:
    d = an.details
    timed, from_merge = d["merged_prs"] - _s(an)["merged_prs_not_deployed"], d["timed_from_merge"]
    measures = ("from first commit (git history) · " if an.pr_times_from_git else "")
    if from_merge and from_merge < timed:
        measures += f"{from_merge} of {timed} from the merge (squash merges) · "
    return measures + Says("p75 {lead_time_hours_p75:.1f| h} · p90 {lead_time_hours_p90:.1f| h} · {merged_prs_not_deployed} "
                           "merged, not deployed")(an)


def _waited(hours: float) -> str:
    """A wait as a card says it: "30.5 h" under two days, else "9.2 d"."""
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} d"


def _lead_caution(an) -> str | None:
    """What the lead time card says as prominently as its median: the merged PRs still waiting for
    a release and for how long (DORA's lead time times only the deployed ones), and when every
    deployed PR is a squash merge read from git history (created at its merge), that the median is
    merge-to-deploy."""
    d, waiting = an.details, _s(an)["merged_prs_not_deployed"]
    said = []
    if waiting:
        said.append(f"{waiting} merged PR{'s' * (waiting != 1)} wait{'s' * (waiting == 1)} for a release: median "
                    f"{_waited(d['waiting_hours_median'])} since the merge, oldest {_waited(d['waiting_hours_max'])}")
    timed = d["merged_prs"] - waiting
    if timed and d["timed_from_merge"] == timed:
        said.append("measures merge to deploy: every deployed PR is a squash merge (no time before its merge)")
    return " · ".join(said) or None


def _lead_details(c) -> dict:
    lead = c.lead
    # the medians of the stages lead time spans, under their first names: the cycle-time stages' (``c.stages``)
    stages = c.stages if c.per_pr else {}
    return {**{k: lead[k] for k in ("lead_time_hours_p75", "merged_prs", "waiting_hours_median", "waiting_hours_max",
                                    "timed_from_merge")},
            **{f"{STAGE_HOURS[stage]}_median": stages.get(median_key(stage)) for stage in ("pickup", "review", "deploy")}}


declare("lead_time_hours_median", reads="lead", label="Lead time (median)", unit="h", lower_is_better=True,
        needs=("pr_created", "deploy"), details=_lead_details,
        definition="Per merged PR created in the window: hours from `pr_created` to the deployment that shipped it "
                   "(its `deploy_id`, else the first successful deployment of its service at or after the merge); "
                   "the median. Merged PRs without one are counted, not timed.",
        **tiered("lead_time", DEPLOYED_PRS), card=Card("kpi-lead-time", "dora", 1, "throughput"),
        footnote=_lead_footnote, caution=_lead_caution,
        console=Console(4, "Lead time for changes: median {lead_time_hours_median:.1f| h} | "
                           "p90 {lead_time_hours_p90:.1f| h} | merged PRs not yet deployed: {merged_prs_not_deployed}"))


declare("lead_time_hours_p90", reads="lead", label="Lead time (p90)", unit="h", lower_is_better=True,
        definition="The 90th percentile (linear interpolation) of the lead times of the window's deployed PRs.")


declare("merged_prs_not_deployed", reads="lead", label="Merged PRs not deployed", fmt="{:,}", lower_is_better=True,
        definition="Merged PRs created in the window that no deployment has shipped by its end (counted, not timed "
                   "by lead time); the median and longest hours since their merge beside it.")


declare("change_failure_rate_pct", reads="cfr", label="Change failure rate", unit="%", lower_is_better=True,
        needs=("deploy", "incident_start|failed deploy"), details=lambda c: {"failed_deployments": c.cfr["failed_deployments"]},
        definition="Failed deployments / deployments x 100. A deployment failed if its status is `failed` or an "
                   "incident is attributed to it (its `deploy_id`, else the latest successful deployment of its "
                   "service within the attribution window before it); counted once.",
        **tiered("change_failure_rate", DEPLOYMENTS), card=Card("kpi-cfr", "dora", 1, "instability"),
        footnote=Says("{failed_deployments} failed of {deployments} · {unattributed_incidents} incidents "
                      "unattributed"),
        console=Console(5, "Change failure rate: {change_failure_rate_pct:.1f|%} ({failed_deployments} of "
                           "{deployments} deployments)"))


declare("incidents", reads="recovery", label="Incidents", fmt="{:,}", lower_is_better=True,
        definition="Incidents started in the window.",
        console=Console(2, "Incidents: {incidents} | Avg MTTR: {mttr_minutes_mean:.1f| min} | P95 MTTR: "
                           "{mttr_minutes_p95:.1f| min}"))


declare("open_incidents", reads="recovery", label="Open incidents", fmt="{:,}", lower_is_better=True,
        definition="Incidents of the window not resolved (counted and listed, not timed).")


declare("unattributed_incidents", reads="recovery", label="Unattributed incidents", fmt="{:,}", lower_is_better=True,
        definition="Incidents of the window attributed to no deployment (they still count in the incident rate).")


declare("mttr_minutes_mean", reads="recovery", label="Recovery time (mean)", unit="min", lower_is_better=True,
        definition="Avg MTTR: the mean of the minutes from `incident_start` to `incident_resolved` per resolved "
                   "incident of the window.")


declare("mttr_minutes_median", reads="recovery", label="Recovery time (median)", unit="min", lower_is_better=True,
        needs=("incident_start",),
        definition="The median of the minutes from `incident_start` to `incident_resolved` per resolved incident of "
                   "the window (all incidents, attributed or not).",
        **tiered("recovery_time", RESOLVED_INCIDENTS, quick_check=False),
        card=Card("kpi-mttr", "dora", 4, "throughput", title="Recovery time, all incidents (median)"),
        footnote=Says("avg {mttr_minutes_mean:.1f| min} · p95 {mttr_minutes_p95:.1f| min} · {incidents} incidents, "
                      "{open_incidents} open"),
        console=Console(3, "Median MTTR: {mttr_minutes_median:.1f| min} | Open incidents: {open_incidents} | "
                           "Unattributed incidents: {unattributed_incidents}"))


declare("mttr_minutes_p95", reads="recovery", label="Recovery time (p95)", unit="min", lower_is_better=True,
        definition="The 95th percentile (linear interpolation, as `pandas.Series.quantile(0.95)`) of the recovery "
                   "minutes of the window's resolved incidents.")


declare("rework_rate_pct", reads="rework", label="Rework rate", unit="%", lower_is_better=True,
        needs=("deploy", "incident_start|rework deploy"),
        details=lambda c: {"rework_deployments": c.rework["rework_deployments"]},
        definition="Rework deployments / deployments x 100: a deployment is rework if its `change_type` is `hotfix` "
                   "or `rollback`, or it deployed a service while an incident of the window on it was open.",
        teams=True, quick_check="rework_rate", sample=DEPLOYMENTS,
        partial=("rework deploy", "counts only deployments during incidents: the data marks no hotfix or rollback "
                                  "(a CI/CD source's change types, or the change_type column, give them)"),
        card=Card("kpi-rework", "dora", 2, "instability"),
        footnote=Says("{rework_deployments} hotfixes, rollbacks or deploys during incidents"),
        console=Console(6, "Rework rate: {rework_rate_pct:.1f|%} ({rework_deployments} of {deployments} deployments)"))


def _recovery_block(c) -> dict:
    r = c.recovery
    return {"failed_deployment_recovery": {k: r["failed_deployment_" + k] for k in (
        "incidents", "recoveries", "recovery_minutes_mean", "recovery_minutes_median", "recovery_minutes_p95")}}


def _fdrt_footnote(an) -> str:
    f = an.details["failed_deployment_recovery"]
    return (f"incidents attributed to a deployment only: {f['recoveries']} resolved of {f['incidents']} · "
            f"avg {say(f['recovery_minutes_mean'], after=' min')}")


# DORA's current definition of recovery (State of DevOps 2024 on): beside the summary, not one of its keys
declare("failed_deployment_recovery_minutes_median", reads="recovery", label="Failed deployment recovery (median)", unit="min",
        lower_is_better=True, summary=False, at=("details", "failed_deployment_recovery", "recovery_minutes_median"),
        needs=("incident_start",), details=_recovery_block, quick_check="failed_deployment_recovery_time",
        sample=ATTRIBUTED_RECOVERIES,
        definition="The median recovery minutes of the window's resolved incidents attributed to a deployment "
                   "(explicitly, inferred or pinned). `--json`: `failed_deployment_recovery`.",
        card=Card("kpi-fdrt", "dora", 3, "throughput"), footnote=_fdrt_footnote)


# derived by ``analyze`` from the others, not computed: the overall tier and the Quick Check's overall score
METRICS.append(MetricSpec(
    "overall_tier", "dora", "Overall DORA tier", "The worst of the four tiers; n/a unless all four could be placed.",
    summary=False, fmt="{}", at=("summary", "dora", "tiers", "overall"),
    card=Card("kpi-overall", "dora", 3, "instability", benchmark="tiers")))
METRICS.append(MetricSpec(
    "quick_check_overall", "dora", "Quick Check overall",
    "The mean of the four DORA Quick Check scores (lead time, deployment frequency, failed deployment recovery time, "
    "change failure rate), 0-10; n/a unless all four are known.",
    summary=False, unit="/10", at=("details", "quick_check", "scores", "overall"),
    card=Card("kpi-qc-overall", "dora", 3, "instability", benchmark="quick-check")))
