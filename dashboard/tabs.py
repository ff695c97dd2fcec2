"""What each tab shows: its KPI cards and its charts, from the computed analyses of a view.

Each builder takes a ``Computed`` (this period and the previous one) and the theme, and returns
(row of cards, row of chart panels). The thresholds drawn on the charts come from
``metrics.benchmarks``, the same tables that place the badges.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import figures as fg
from components.kpi import card_group, empty_state, how_to, kpi_card, overall_card, problem_line
from components.panels import cards_row, graph, panel
from components.tables import data_table
from components.teams import no_teams_file, teams_table
from metrics import defaults
from metrics.analysis import why_missing
from metrics.schema import PR_REVIEWED
from metrics.benchmarks import BAND_TABLES, STANDINGS, TIER_TABLES, Baseline, band, baseline, tier, tier_change
from metrics.plugins import custom_view, window_events
from metrics.teams import TIER_OF_KEY

from .data import Computed

DRILLDOWN_ROWS = 500
LEAD_TIME_STAGES = (("review wait", "review_wait_hours_median"), ("review to merge", "review_to_merge_hours_median"),
                    ("merge to deploy", "merge_to_deploy_hours_median"))


def num(value, unit: str = "", fmt: str = "{:.1f}") -> str:
    """A number for a footnote, or "n/a"."""
    return "n/a" if value is None else fmt.format(value) + unit


def because(c: Computed, section: str, key: str, footnote: str) -> str:
    """The card's footnote: why the metric is n/a when the data lacks its source ("no incident
    data in this dataset"), else ``footnote``."""
    if c.current.summary[section].get(key) is None:
        reason = why_missing(section, key, c.current.present)
        if reason:
            return reason
    return footnote


SAMPLE_OF = {"deploys_per_day": ("dora", "deployments"), "change_failure_rate_pct": ("dora", "deployments"),
             "lead_time_hours_median": ("dora", "deployed PRs"), "mttr_minutes_median": ("dora", "resolved incidents"),
             "iar_pct": ("pvm", "successful deploys in the first half")}
TIER_KEYS = (("deployment frequency", "deploys_per_day"), ("lead time", "lead_time_hours_median"),
             ("change failure rate", "change_failure_rate_pct"), ("recovery time", "mttr_minutes_median"))
GIT_CREATED = "from first commit, git history (no PR opening time)"


def low_sample(c: Computed, key: str) -> str | None:
    """The card's warning when its tier or growth stands on fewer than ``defaults.MIN_SAMPLE``
    events ("low sample: n=6 deployments (minimum 20)"), else None (also when the metric is n/a)."""
    section, what = SAMPLE_OF[key]
    n = c.current.samples()[key]
    if c.current.summary[section].get(key) is None or not defaults.low_sample(n):
        return None
    return f"low sample: n={n} {what} (minimum {defaults.MIN_SAMPLE})"


def low_sample_tiers(c: Computed, noun: str = "tier") -> str | None:
    """The overall card's warning: which of its tiers (or Quick Check scores, ``noun``) stand on a
    low sample."""
    low = [name for name, key in TIER_KEYS if low_sample(c, key)]
    return f"low sample: {', '.join(low)} {noun}{'s' if len(low) > 1 else ''} from under {defaults.MIN_SAMPLE} events" \
        if low else None


def pr_start(c: Computed) -> str:
    """What a PR's start is in this data: its opening, or its first commit (git history)."""
    return "first commit (git history)" if c.current.pr_times_from_git else "PR creation"


def quick_check(q: dict, key: str, by_tiers: bool) -> dict:
    """A card's Quick Check badge as ``kpi_card`` takes it: the score ("QC 6.0/10"), its hover text
    (the answer, the baseline's average and how the score stands against it) and its colour (judged
    by the Quick Check: the standing's traffic light; by tiers: None, a neutral badge); no badge
    when the score is n/a."""
    score = q["scores"].get(key)
    if score is None:
        return {}
    answer, average = q["answers"].get(key), q["industry_average"].get(key)
    standing = q["standing"].get(key)
    hint = ("DORA Quick Check score, 0-10" + (f": \u201c{answer}\u201d" if answer else "")
            + (f"; {q['baseline']['name']} average ({q['edition']}) {average:.1f}, {STANDINGS[standing][0]}"
               if average is not None else "; no published average is used for it (docs/metrics.md)"))
    return {"score": f"QC {score:.1f}/10", "score_hint": hint,
            "score_band": None if by_tiers or standing is None else STANDINGS[standing][1]}


def quick_check_note(q: dict, base: Baseline, by_tiers: bool) -> str:
    """The line under the Throughput title: what the badges mean and the baseline compared with."""
    if by_tiers:
        return (f"DORA Quick Check: overall {num(q['scores']['overall'])}/10, {base.title} average "
                f"{q['industry_average']['overall']:.1f} (lead time, deployment frequency, failed deployment recovery, "
                "change failure rate; hover a QC badge for its answer and average)")
    return (f"Judged by DORA's Quick Check against {base.title}: a badge is green at or above the average, amber within "
            "one standard deviation below it, red further below (hover it for the answer and the average)")


def quick_check_overall(q: dict, qp: dict, prev: str, caution: str | None):
    """The card that replaces the overall tier when the Quick Check judges: the overall score (the
    mean of the four), its change, and where it stands against the baseline's average (the badge:
    "at or above avg 6.7" in the standing's colour); ``caution``: scores from low samples."""
    score, average, standing = q["scores"]["overall"], q["industry_average"]["overall"], q["standing"]["overall"]
    words, colour, badge = STANDINGS[standing] if standing else ("n/a until all four scores are known", None, "vs")
    return kpi_card("kpi-qc-overall", "Quick Check overall", score, "{:.1f}", "/10", qp["scores"]["overall"], prev,
                    score=f"{badge} avg {average:.1f}", score_band=colour,
                    score_hint=f"your overall score is {words}: {q['baseline']['name']} average {average:.1f}, "
                               f"{q['edition']} Quick Check",
                    footnote=f"{words} · {q['baseline']['name']} ({q['edition']})", caution=caution)


def dora(c: Computed, theme: str) -> tuple:
    """DORA: the throughput and instability groups of cards with tiers and Quick Check scores,
    the overall tier, and the delivery & recovery charts."""
    s, p, d = c.current.summary["dora"], c.previous.summary["dora"], c.current.details
    an = c.current
    why = d["tier_thresholds"]
    tiers = s["tiers"]
    prev = f"previous {c.current.window.days} days"
    f, fp = d["failed_deployment_recovery"], c.previous.details["failed_deployment_recovery"]
    base = baseline(c.baseline)
    q, qp = c.current.current_dora(base)["quick_check"], c.previous.current_dora(base)["quick_check"]
    by_tiers = c.benchmark == "tiers"
    qc = {k: quick_check(q, k, by_tiers) for k in ("lead_time", "deployment_frequency",
                                                   "failed_deployment_recovery_time", "change_failure_rate",
                                                   "rework_rate")}
    throughput = [
        kpi_card("kpi-lead-time", "Lead time (median)", s["lead_time_hours_median"], "{:.1f}", " h",
                 p["lead_time_hours_median"], prev, reverse_color=True, tier=tiers["lead_time"],
                 tier_threshold=why["lead_time"], show_tier=by_tiers, caution=low_sample(c, "lead_time_hours_median"),
                 **qc["lead_time"],
                 footnote=because(c, "dora", "lead_time_hours_median",
                                  ("from first commit (git history) · " if an.pr_times_from_git else "") +
                                  f"p75 {num(d['lead_time_hours_p75'], ' h')} · p90 {num(s['lead_time_hours_p90'], ' h')} · "
                                  f"{d['undeployed_prs']} merged, not deployed")),
        kpi_card("kpi-deploys", "Deployment frequency", s["deploys_per_day"], "{:.2f}", " /day", p["deploys_per_day"], prev,
                 tier=tiers["deployment_frequency"], tier_threshold=why["deployment_frequency"], show_tier=by_tiers,
                 **qc["deployment_frequency"],
                 caution=low_sample(c, "deploys_per_day"), footnote=because(c, "dora", "deploys_per_day", f"{s['successful_deployments']} successful of {s['deployments']}")),
        kpi_card("kpi-fdrt", "Failed deployment recovery (median)", f["recovery_minutes_median"], "{:.1f}", " min",
                 fp["recovery_minutes_median"], prev, reverse_color=True,
                 **qc["failed_deployment_recovery_time"],
                 footnote=because(c, "dora", "mttr_minutes_median",
                                  f"incidents attributed to a deployment only: {f['recoveries']} resolved of "
                                  f"{f['incidents']} · avg {num(f['recovery_minutes_mean'], ' min')}")),
        kpi_card("kpi-mttr", "Recovery time, all incidents (median)", s["mttr_minutes_median"], "{:.1f}", " min",
                 p["mttr_minutes_median"], prev, reverse_color=True, tier=tiers["recovery_time"],
                 tier_threshold=why["recovery_time"], show_tier=by_tiers,
                 caution=low_sample(c, "mttr_minutes_median"), footnote=because(c, "dora", "mttr_minutes_median",
                                  f"avg {num(s['mttr_minutes_mean'], ' min')} · p95 {num(s['mttr_minutes_p95'], ' min')} · "
                                  f"{s['incidents']} incidents, {s['open_incidents']} open")),
        sla_card(c, prev),
    ]
    instability = [
        kpi_card("kpi-cfr", "Change failure rate", s["change_failure_rate_pct"], "{:.1f}", "%", p["change_failure_rate_pct"],
                 prev, reverse_color=True, tier=tiers["change_failure_rate"], tier_threshold=why["change_failure_rate"],
                 show_tier=by_tiers, caution=low_sample(c, "change_failure_rate_pct"),
                 **qc["change_failure_rate"],
                 footnote=because(c, "dora", "change_failure_rate_pct",
                                  f"{d['failed_deployments']} failed of {s['deployments']} · "
                                  f"{s['unattributed_incidents']} incidents unattributed")),
        kpi_card("kpi-rework", "Rework rate", s["rework_rate_pct"], "{:.1f}", "%", p["rework_rate_pct"], prev,
                 reverse_color=True, **qc["rework_rate"],
                 footnote=because(c, "dora", "rework_rate_pct",
                                  f"{d['rework_deployments']} hotfixes, rollbacks or deploys during incidents")),
        overall_card(tiers["overall"], p["tiers"]["overall"], tier_change(tiers["overall"], p["tiers"]["overall"]),
                     low_sample_tiers(c)) if by_tiers else quick_check_overall(q, qp, prev,
                                                                               low_sample_tiers(c, "score")),
    ]
    note = quick_check_note(q, base, by_tiers)
    cards = html.Div([card_group("Throughput", cards_row(throughput), "dora-throughput", note),
                      card_group("Instability", cards_row(instability), "dora-instability")])
    inc = an.incident_marks()
    resolved = inc[inc["recovery_minutes"].notna()]
    hours = an.lead_time_hours()
    stages = [(name, d[key]) for name, key in LEAD_TIME_STAGES]
    elite = TIER_TABLES["lead_time"].lines()[0] if by_tiers else None      # the Quick Check draws no tier
    charts = [
        panel(graph("deployments", fg.deployments_per_day(an.daily, theme, defaults.line_bucket(an.window.days)))),
        panel(graph("recovery", fg.recovery_per_incident(inc, an.services, an.daily_recovery(), s["mttr_minutes_median"],
                                                         theme)) if len(resolved)
              else empty_state("No resolved incidents in this window: no recovery time to show.", "empty-recovery")),
        panel(graph("timeline", fg.timeline(an.deployment_marks(), inc, an.services, an.window.start_ns,
                                            an.window.end_ns, theme))
              if len(inc) or s["deployments"] else empty_state("No deployments or incidents in this window.", "empty-timeline"),
              width=12),
        panel(graph("lead-time", fg.lead_time_distribution(hours, s["lead_time_hours_median"], elite, theme,
                                                                     pr_start(c))) if len(hours)
              else empty_state("No deployed PRs in this window: no lead time to show.", "empty-lead-time")),
        panel(graph("cfr", fg.change_failure_rate_weekly(an.weekly_delivery, cfr_lines(q, by_tiers), theme))
              if s["deployments"]
              else empty_state("No deployments in this window: no change failure rate.", "empty-cfr")),
        panel(graph("lead-stages", fg.lead_time_stages(stages, theme)) if any(h is not None for _, h in stages)
              else empty_state("No reviewed, merged or deployed PRs in this window: no lead time stages.",
                               "empty-lead-stages")),
        panel(graph("success-rate", fg.deployment_success_rate(an.daily, theme, defaults.line_bucket(an.window.days)))
              if s["deployments"] else empty_state("No deployments in this window: no success rate.", "empty-success-rate")),
    ]
    return cards, dbc.Row(charts)


def cfr_lines(q: dict, by_tiers: bool) -> list:
    """The change failure rate chart's lines: the tier bounds, or the Quick Check baseline's average
    rate (its score on the 0-10 scale is (100 - rate) / 10)."""
    if by_tiers:
        return TIER_TABLES["change_failure_rate"].lines()
    rate = 100 - q["industry_average"]["change_failure_rate"] * 10
    return [(rate, f"{q['baseline']['name']} average {rate:.0f} %")]


def sla_targets_text(targets: dict) -> str:
    """The SLA targets as a footnote says them: "api 30 min, others 60 min"."""
    named = [f"{name} {minutes:g} min" for name, minutes in sorted(targets.items()) if name != "*"]
    rest = f"{targets.get('*', defaults.SLA_MINUTES):g} min"
    return ", ".join(named + [f"others {rest}"]) if named else f"{rest} every service"


def sla_card(c: Computed, prev: str):
    """SLA compliance: incidents resolved within their service's recovery target (``METRICS_SLA_MINUTES``)."""
    d, p = c.current.details, c.previous.details
    if d["sla_problem"]:
        return kpi_card("kpi-sla", "SLA compliance", None, unit="%", previous_label=prev, caution=d["sla_problem"])
    footnote = because(c, "dora", "mttr_minutes_median",
                       f"{d['sla_met']} of {d['sla_judged']} incidents within target"
                       + (f" ({d['sla_open_breaches']} open past it)" if d["sla_open_breaches"] else "")
                       + f" · target {sla_targets_text(d['sla_targets'])}")
    return kpi_card("kpi-sla", "SLA compliance", d["sla_compliance_pct"], "{:.1f}", "%", p["sla_compliance_pct"], prev,
                    footnote=footnote)


def space(c: Computed, theme: str) -> tuple:
    """SPACE: activity, collaboration, satisfaction, efficiency and performance."""
    s, p, d = c.current.summary["space"], c.previous.summary["space"], c.current.details
    prev = f"previous {c.current.window.days} days"
    after, other = d["satisfaction_after_incident_mean"], d["satisfaction_other_mean"]
    git = c.current.pr_times_from_git
    cards = [
        kpi_card("kpi-prs", "PRs created", s["prs_per_day"], "{:.2f}", " /day", p["prs_per_day"], prev,
                 footnote=because(c, "space", "prs_per_day", f"{d['prs_created']} PRs, {d['merges']} merges"
                                  + (" · dated by first commit (git history)" if git else ""))),
        kpi_card("kpi-reviews", "Reviews", s["reviews_per_day"], "{:.2f}", " /day", p["reviews_per_day"], prev,
                 footnote=because(c, "space", "reviews_per_day", f"{d['reviews']} reviews")),
        kpi_card("kpi-turnaround", "Review turnaround", s["review_turnaround_hours_mean"], "{:.1f}", " h",
                 p["review_turnaround_hours_mean"], prev, reverse_color=True, footnote="creation to first review, mean"),
        kpi_card("kpi-satisfaction", "Satisfaction", s["satisfaction_mean"], "{:.2f}", " /5", p["satisfaction_mean"], prev,
                 footnote=because(c, "space", "satisfaction_mean",
                                  f"{s['satisfaction_responses']} responses · after incidents {num(after, '', '{:.2f}')}, "
                                  f"otherwise {num(other, '', '{:.2f}')}")),
        kpi_card("kpi-merge-time", "PR → merge time", s["merge_time_hours_mean"], "{:.1f}", " h", p["merge_time_hours_mean"],
                 prev, reverse_color=True, footnote="first commit to merge, mean" if git else "creation to merge, mean",
                 caution=f"time {GIT_CREATED}" if git and s["merge_time_hours_mean"] is not None else None),
        kpi_card("kpi-incident-rate", "Incident rate", s["incident_rate_pct"], "{:.2f}", "%", p["incident_rate_pct"], prev,
                 reverse_color=True, footnote=because(c, "space", "incident_rate_pct", "incidents per deployment")),
    ]
    an = c.current
    weekly = an.weekly
    charts = [
        panel(graph("activity", fg.activity(an.daily, theme, defaults.line_bucket(an.window.days),
                                                        reviews_known=not an.present or PR_REVIEWED in an.present))),
        panel(graph("collaboration", fg.collaboration(weekly, theme)) if d["prs_created"] and s["review_turnaround_hours_mean"] is not None
              else empty_state("No reviewed PRs in this window.", "empty-collaboration")),
        panel(graph("satisfaction", fg.satisfaction(weekly, d["satisfaction_trend_start"], d["satisfaction_trend_per_30_days"],
                                                    an.window.start_ns, an.window.end_ns, theme))
              if s["satisfaction_responses"] else empty_state("No survey responses in this window.", "empty-satisfaction")),
        panel(graph("efficiency", fg.efficiency(weekly, theme, pr_start(c))) if s["merge_time_hours_mean"] is not None
              else empty_state("No merged PRs in this window.", "empty-efficiency")),
        panel(graph("performance", fg.performance(an.weekly_delivery, theme))
              if an.summary["dora"]["deployments"] and an.summary["dora"]["incidents"]
              else empty_state("No incidents in this window: the incident rate is 0 % every week."
                               if an.summary["dora"]["deployments"] and s["incident_rate_pct"] is not None
                               else "No deployments or no incident data in this window: no incident rate.",
                               "empty-performance"), width=12),
    ]
    return cards_row(cards), dbc.Row(charts)


def pvm(c: Computed, theme: str) -> tuple:
    """Platform value: VCR, IAR, DTR and the impact summary."""
    s, p, d = c.current.summary["pvm"], c.previous.summary["pvm"], c.current.details
    prev = f"previous {c.current.window.days} days"
    cards = [
        kpi_card("kpi-vcr", "VCR: value to cost", s["vcr_pct"], "{:,.0f}", "%", p["vcr_pct"], prev, band=d["vcr_band"],
                 footnote=f"${s['total_value_usd']:,.0f} value / ${s['total_cost_usd']:,.0f} cost"
                          + (f" (${d['infra_cost_usd']:,.0f} infrastructure)" if d["infra_cost_usd"] else "")),
        kpi_card("kpi-iar", "IAR: adoption growth", s["iar_pct"], "{:+.1f}", "%", p["iar_pct"], prev, band=d["iar_band"],
                 caution=low_sample(c, "iar_pct"), footnote=because(c, "pvm", "iar_pct", f"{s['first_period_deploys']} → {s['second_period_deploys']} "
                                                       f"successful deploys ({d['iar_half_days']}-day halves)")),
        kpi_card("kpi-dtr", "DTR: toil ratio", s["dtr_pct"], "{:.1f}", "%", p["dtr_pct"], prev, reverse_color=True,
                 band=d["dtr_band"], footnote=because(c, "pvm", "dtr_pct",
                                                      f"{s['toil_minutes']:,.0f} toil min / {s['feature_minutes']:,.0f} "
                                                      f"feature min (capacity {d['capacity_minutes']:,.0f} min)")),
        kpi_card("kpi-platform-hours", "Platform hours", s["platform_hours"], "{:,.0f}", " h", p["platform_hours"], prev,
                 reverse_color=True, footnote=because(c, "pvm", "platform_hours",
                                                      f"{num(d['deploys_per_platform_hour'], '', '{:.2f}')} deploys per "
                                                      "platform hour")),
        kpi_card("kpi-onboarding", "Weeks to productivity", s["onboarding_weeks_mean"], "{:.1f}", " wk",
                 p["onboarding_weeks_mean"], prev, reverse_color=True, footnote=f"{d['onboardings']} onboardings"),
        kpi_card("kpi-per-developer", "Deployments per developer", per_developer(c.current), "{:.1f}", "",
                 per_developer(c.previous), prev, footnote=because(
                     c, "dora", "deploys_per_day", f"{c.current.summary['dora']['successful_deployments']} successful "
                     f"deploys / {c.current.assumptions.team_size} developers")),
        on_call_card(c, prev),
    ]
    an = c.current
    periods = an.iar_periods
    period_bands = [band("iar", None if g != g else g) for g in periods["growth_pct"].astype(float)]
    charts = [
        panel(graph("vcr", fg.vcr(s["vcr_pct"], p["vcr_pct"], BAND_TABLES["vcr"].lines(), theme))),
        panel(graph("iar", fg.iar(periods, period_bands, BAND_TABLES["iar"].lines(), theme)) if len(periods) >= 2
              else empty_state("IAR by period needs at least two full periods: choose 14 days or more.", "empty-iar")),
        panel(graph("dtr", fg.dtr(s["dtr_pct"], p["dtr_pct"], BAND_TABLES["dtr"].lines(), theme))),
        panel(graph("impact", fg.impact(an.weekly_delivery, theme))),
    ]
    return cards_row(cards), dbc.Row(charts)


def per_developer(an) -> float | None:
    """Deployments per developer, n/a where the data has no deployments at all."""
    return None if an.summary["dora"]["deploys_per_day"] is None else an.details["deploys_per_developer"]


def on_call_card(c: Computed, prev: str):
    """On-call burden: hours per developer per week, its share of DTR's toil and the DTR points it adds."""
    d, p = c.current.details, c.previous.details
    if "on_call_hours" not in c.current.present:
        return kpi_card("kpi-on-call", "On-call burden", None, unit=" h", previous_label=prev,
                        footnote="no on-call data in this dataset (on_call_hours events)")
    return kpi_card("kpi-on-call", "On-call burden", d["on_call_hours_per_developer_week"], "{:.1f}", " h",
                    p["on_call_hours_per_developer_week"], prev, reverse_color=True,
                    footnote=f"per developer a week · {d['on_call_hours']:,.0f} h on call, "
                             f"{num(d['on_call_share_of_toil_pct'], '%', '{:.0f}')} of DTR's toil, "
                             f"{num(d['on_call_dtr_points'], ' pp', '{:+.1f}')} DTR")


PLUGIN_EXAMPLE = '''# my_metrics.py, then: METRICS_PLUGINS=my_metrics.py python app.py
import pandas as pd
from metrics.plugins import metric

@metric(name="hotfix_share", label="Hotfix share", unit="%", lower_is_better=True)
def hotfix_share(events: pd.DataFrame):
    deploys = events[events["kind"] == "deploy"]
    return 100.0 * (deploys["change_type"] == "hotfix").mean() if len(deploys) else None'''


def unit_suffix(unit: str) -> str:
    """A custom metric's unit as written after its number: "%" tight, anything else after a space."""
    return unit if unit in ("", "%") else f" {unit}"


def custom(c: Computed, theme: str) -> tuple:
    """Custom metrics from ``METRICS_PLUGINS``: a card per number-valued metric with its change,
    a chart per frame-valued one, one sentence per plug-in that failed; how to add one when none."""
    an, before = c.current, c.previous
    view = custom_view(window_events(an.tables, an.window), window_events(before.tables, before.window))
    if not view.configured:
        return how_to("No custom metrics yet", [
            ("A custom metric is a Python function over the window's events, in a file that the METRICS_PLUGINS "
             "setting names (files or folders, separated by ':'). Each returns a number (a card here, with its "
             "change against the previous period) or a frame with a 'period' column (a chart)."),
            "examples/plugins/ holds files to copy; docs/metrics.md describes the events they receive.",
        ], PLUGIN_EXAMPLE, "custom-howto"), dbc.Row([])
    prev = f"previous {an.window.days} days"
    problems = [problem_line(defaults.sentence(Exception(p)), f"custom-problem-{i}")
                for i, p in enumerate(view.problems)]
    cards, charts = [], []
    for v in view.values:
        spec = v.spec
        if v.current.frame is None:
            cards.append(kpi_card(f"kpi-custom-{spec.name}", spec.label, v.current.headline, "{:,.2f}",
                                  unit_suffix(spec.unit), v.previous, prev, reverse_color=spec.lower_is_better,
                                  footnote=("lower is better" if spec.lower_is_better else "higher is better")
                                  + f" · {spec.name}"))
        elif len(v.current.frame):
            charts.append(panel(graph(f"custom-{spec.name}", fg.custom_series(v.current.frame, spec.label, spec.unit,
                                                                               theme))))
        else:
            charts.append(panel(empty_state(f"{spec.label}: no values in this window.", f"empty-custom-{spec.name}")))
    if not view.values and not view.problems:
        problems.append(empty_state("The plug-ins METRICS_PLUGINS names declare no @metric function.",
                                    "custom-none"))
    return html.Div(problems + ([cards_row(cards)] if cards else [])), dbc.Row(charts)


# the Teams view's columns: summary key, title, format, unit, lower is better, element id (as the DORA cards')
TEAM_METRICS = (("deploys_per_day", "Deployment frequency", "{:.2f}", " /day", False, "deploys"),
                ("lead_time_hours_median", "Lead time (median)", "{:.1f}", " h", True, "lead-time"),
                ("change_failure_rate_pct", "Change failure rate", "{:.1f}", "%", True, "cfr"),
                ("mttr_minutes_median", "Recovery time (median)", "{:.1f}", " min", True, "mttr"),
                ("rework_rate_pct", "Rework rate", "{:.1f}", "%", True, "rework"))


def team_cell(row, key: str) -> tuple:
    """(value, previous value, tier, the tier's threshold in words) of one team's metric."""
    value = row.current[key]
    previous = None if row.previous is None else row.previous[key]
    metric = TIER_OF_KEY[key]
    placed = row.current["tiers"][metric] if metric else None
    return value, previous, placed, tier(metric, value)[1] if placed else None


def teams(c: Computed, theme: str) -> tuple:
    """Teams: every team side by side on the five DORA keys, with tiers and changes against each
    team's previous period (a table), and one small bar chart a metric."""
    shown = c.teams
    if shown is None or shown.problem or not shown.rows:
        return no_teams_file(shown.path if shown else "teams.toml", shown.problem if shown else ""), dbc.Row([])
    rows = []
    for i, row in enumerate(shown.rows):
        services = ", ".join(row.services) if row.services else ""
        if row.problem:
            rows.append({"id": f"team-{i}", "team": row.team, "services": services, "problem": row.problem[:1].upper()
                         + row.problem[1:] + ".", "cells": {}, "overall": None, "overall_previous": None})
            continue
        before = None if row.previous is None else row.previous["tiers"]["overall"]
        rows.append({"id": f"team-{i}", "team": row.team, "services": services, "problem": "",
                     "cells": {element: team_cell(row, key) for key, _, _, _, _, element in TEAM_METRICS},
                     "overall": row.current["tiers"]["overall"], "overall_previous": before,
                     "overall_moved": tier_change(row.current["tiers"]["overall"], before) not in (None, "same as")})
    columns = [(element, title, fmt, unit, reverse, TIER_OF_KEY[key] is not None)
               for key, title, fmt, unit, reverse, element in TEAM_METRICS]
    notes = []
    if shown.chosen:
        notes.append("Only the teams chosen in the Team selector; clear it to compare every team.")
    elif shown.named > len(shown.rows):
        notes.append(f"The first {len(shown.rows)} of the {shown.named} teams of the teams file; choose others in "
                     "the Team selector.")
    table = html.Div([teams_table(columns, rows, f"the {c.current.window.days} days before"),
                      *[html.Div(n, className="small text-body-secondary mb-2", id="teams-note") for n in notes]])
    compared = [r for r in shown.rows if not r.problem]
    charts = []
    for key, title, fmt, unit, _, element in TEAM_METRICS:
        metric = TIER_OF_KEY[key]
        values = [r.current[key] for r in compared]
        tiers = [r.current["tiers"][metric] if metric else None for r in compared]
        charts.append(panel(graph(f"teams-{element}", fg.team_bars([r.team for r in compared], values, tiers, title,
                                                                   unit, fmt, theme))
                            if any(v is not None for v in values)
                            else empty_state(f"{title}: n/a for every team in this window.", f"empty-teams-{element}"),
                            width=4))
    return table, dbc.Row(charts)


TAB_VIEWS = {"dora": dora, "space": space, "pvm": pvm, "custom": custom, "teams": teams}


def drilldown_deployments(c: Computed) -> list:
    """The production deployments behind the DORA numbers, newest first."""
    total = c.current.summary["dora"]["deployments"]
    return [html.Div(drilldown_note(total, "production deployments", "Deployments CSV"), className="small mb-2",
                     id="drilldown-deploys-note"),
            data_table("drilldown-deployments", c.current.deployment_rows(DRILLDOWN_ROWS), ("ts",))]


ATTRIBUTION_NOTE = (" The reason column says why each counts against a deployment: an explicit link (its deploy_id), "
                    "the same service within {hours:g} hours, an override, or none. To correct one, pin it in "
                    "attribution.toml in the data directory ([pin] \"INCIDENT\" = \"DEPLOY\", or "
                    "not_caused = [\"INCIDENT\"]).")


def drilldown_incidents(c: Computed) -> list:
    """The incidents behind the DORA numbers, newest first, with why each counts against a deployment."""
    total = c.current.summary["dora"]["incidents"]
    note = drilldown_note(total, "incidents", "Incidents CSV") + ATTRIBUTION_NOTE.format(hours=c.current.attribution_hours)
    return [html.Div(note, className="small mb-2", id="drilldown-incidents-note"),
            data_table("drilldown-incidents", c.current.incident_rows(DRILLDOWN_ROWS), ("start", "resolved"),
                       ("recovery_minutes",))]


def drilldown_note(total: int, what: str, download: str) -> str:
    """The line above a drill-down table: how many rows it shows of how many."""
    if total <= DRILLDOWN_ROWS:
        return f"{total} {what} in the window, newest first."
    return f"The newest {DRILLDOWN_ROWS} of {total:,} {what} in the window; \u201c{download}\u201d above has all of them."
