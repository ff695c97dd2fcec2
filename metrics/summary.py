"""The console summary of METRICS.md section 7: the seed documents' lines plus lead time, CFR,
rework and tiers; ``n/a`` wherever a value cannot be computed."""
from __future__ import annotations

import json

from . import defaults
from .analysis import Analysis
from .benchmarks import STANDINGS, Baseline, baseline


def fmt(value, spec: str = ".1f", suffix: str = "") -> str:
    """A number formatted with ``spec`` and ``suffix``, or ``n/a``."""
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def text_lines(an: Analysis, header: str | None = None, base: Baseline | None = None) -> list[str]:
    """The summary as console lines; the Quick Check scores against ``base`` (default: the default baseline)."""
    s, d = an.summary, an.details
    dora, space, pvm, tiers = s["dora"], s["space"], s["pvm"], s["dora"]["tiers"]
    w = s["window"]
    lines = [header or f"Window: {w['start'][:10]} to {w['end'][:10]} ({w['days']} days)", ""]
    lines += [
        "--- DORA METRICS (Delivery & Reliability) ---",
        f"Avg deployments/day: {fmt(dora['deploys_per_day'], '.2f')}",
        f"Incidents: {dora['incidents']} | Avg MTTR: {fmt(dora['mttr_minutes_mean'], '.1f', ' min')} | "
        f"P95 MTTR: {fmt(dora['mttr_minutes_p95'], '.1f', ' min')}",
        f"Median MTTR: {fmt(dora['mttr_minutes_median'], '.1f', ' min')} | Open incidents: {dora['open_incidents']} | "
        f"Unattributed incidents: {dora['unattributed_incidents']}",
        f"Lead time for changes: median {fmt(dora['lead_time_hours_median'], '.1f', ' h')} | "
        f"p90 {fmt(dora['lead_time_hours_p90'], '.1f', ' h')} | merged PRs not yet deployed: {d['undeployed_prs']}",
        f"Change failure rate: {fmt(dora['change_failure_rate_pct'], '.1f', '%')} "
        f"({d['failed_deployments']} of {dora['deployments']} deployments)",
        f"Rework rate: {fmt(dora['rework_rate_pct'], '.1f', '%')} ({d['rework_deployments']} of {dora['deployments']} deployments)",
        "Tiers: " + " | ".join(f"{label} {tiers[key] or 'n/a'}" for key, label in (
            ("deployment_frequency", "deployment frequency"), ("lead_time", "lead time"),
            ("change_failure_rate", "change failure rate"), ("recovery_time", "recovery time")))
        + f" | overall {(tiers['overall'] or 'n/a').upper()}",
        *current_dora_lines(an, base),
        "",
        "--- SPACE METRICS (Team & Developer Health) ---",
        f"Activity: Avg PRs/day: {fmt(space['prs_per_day'], '.2f')} | Avg reviews/day: {fmt(space['reviews_per_day'], '.2f')}",
        f"Collaboration: Avg code review turnaround: {fmt(space['review_turnaround_hours_mean'], '.1f', ' hours')}",
        f"Satisfaction: Avg satisfaction score: {fmt(space['satisfaction_mean'], '.1f', '/5.0')}",
        f"Efficiency: Avg PR→merge time: {fmt(space['merge_time_hours_mean'], '.1f', ' hours')}",
        f"Performance: Incident rate: {fmt(space['incident_rate_pct'], '.2f', '%')} per deployment",
        "",
        "--- PLATFORM VALUE METRICS (PVM) ---",
        f"VCR: {fmt(pvm['vcr_pct'], '.0f', '%')} | Platform hours invested: {fmt(pvm['platform_hours'], '.0f')}",
        f"IAR: {fmt(pvm['iar_pct'], '.1f', '%')} | First period: {pvm['first_period_deploys']} deploys | "
        f"Second period: {pvm['second_period_deploys']} deploys",
        f"DTR: {fmt(pvm['dtr_pct'], '.1f', '%')} | Toil: {fmt(pvm['toil_minutes'], '.0f', ' min')} | "
        f"Feature: {fmt(pvm['feature_minutes'], '.0f', ' min')}",
    ]
    return lines


def current_dora_lines(an: Analysis, base: Baseline | None = None) -> list[str]:
    """DORA's current definitions: failed deployment recovery time, the two groups and the Quick
    Check scores with the averages of ``base`` (default: ``defaults.BASELINE``)."""
    base = base or baseline(defaults.BASELINE)
    f, q = an.details["failed_deployment_recovery"], an.current_dora(base)["quick_check"]
    sc, avg = q["scores"], q["industry_average"]
    overall_standing = q["standing"]["overall"]

    def score(key, label):
        return f"{label} {fmt(sc[key])}" + (f" (avg {avg[key]:.1f})" if key in avg else "")
    return [
        f"Failed deployment recovery time: median {fmt(f['recovery_minutes_median'], '.1f', ' min')} | "
        f"avg {fmt(f['recovery_minutes_mean'], '.1f', ' min')} | {f['incidents']} incidents attributed to a deployment",
        f"Quick Check ({q['edition']}, 0-10) throughput: " + " | ".join(score(k, w) for k, w in (
            ("lead_time", "lead time"), ("deployment_frequency", "deployment frequency"),
            ("failed_deployment_recovery_time", "recovery"))) + " -- instability: " + " | ".join(
            score(k, w) for k, w in (("change_failure_rate", "change failure rate"), ("rework_rate", "rework")))
        + f" -- overall {fmt(sc['overall'])}/10 (avg {avg['overall']:.1f}"
        + (f": {STANDINGS[overall_standing][0]}" if overall_standing else "") + ")"
        + f" -- averages: {base.title}",
    ]


def to_json(an: Analysis) -> str:
    """The summary as one JSON object with exactly the keys of METRICS.md section 7."""
    return json.dumps(an.summary, indent=2)
