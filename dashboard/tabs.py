"""What each tab shows: its KPI cards and its charts, from the computed analyses of a view.

Each builder takes a ``Computed`` (this period and the previous one) and the theme, and returns
(row of cards, row of chart panels). The thresholds drawn on the charts come from
``metrics.benchmarks``, the same tables that place the badges.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components import figures as fg
from components.kpi import empty_state, kpi_card, overall_card
from components.panels import cards_row, graph, panel
from components.tables import data_table
from components.teams import no_teams_file, teams_table
from metrics import defaults
from metrics.analysis import why_missing
from metrics.benchmarks import BAND_TABLES, TIER_TABLES, band, tier, tier_change
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


def low_sample_tiers(c: Computed) -> str | None:
    """The overall card's warning: which of its tiers stand on a low sample."""
    low = [name for name, key in TIER_KEYS if low_sample(c, key)]
    return f"low sample: {', '.join(low)} tier{'s' if len(low) > 1 else ''} from under {defaults.MIN_SAMPLE} events" \
        if low else None


def pr_start(c: Computed) -> str:
    """What a PR's start is in this data: its opening, or its first commit (git history)."""
    return "first commit (git history)" if c.current.pr_times_from_git else "PR creation"


def dora(c: Computed, theme: str) -> tuple:
    """DORA: five metric cards with tiers, the overall tier, and the delivery & recovery charts."""
    s, p, d = c.current.summary["dora"], c.previous.summary["dora"], c.current.details
    an = c.current
    why = d["tier_thresholds"]
    tiers = s["tiers"]
    prev = f"previous {c.current.window.days} days"
    cards = [
        kpi_card("kpi-deploys", "Deployment frequency", s["deploys_per_day"], "{:.2f}", " /day", p["deploys_per_day"], prev,
                 tier=tiers["deployment_frequency"], tier_threshold=why["deployment_frequency"], show_tier=True,
                 caution=low_sample(c, "deploys_per_day"), footnote=because(c, "dora", "deploys_per_day", f"{s['successful_deployments']} successful of {s['deployments']}")),
        kpi_card("kpi-lead-time", "Lead time (median)", s["lead_time_hours_median"], "{:.1f}", " h",
                 p["lead_time_hours_median"], prev, reverse_color=True, tier=tiers["lead_time"],
                 tier_threshold=why["lead_time"], show_tier=True, caution=low_sample(c, "lead_time_hours_median"),
                 footnote=because(c, "dora", "lead_time_hours_median",
                                  ("from first commit (git history) · " if an.pr_times_from_git else "") +
                                  f"p75 {num(d['lead_time_hours_p75'], ' h')} · p90 {num(s['lead_time_hours_p90'], ' h')} · "
                                  f"{d['undeployed_prs']} merged, not deployed")),
        kpi_card("kpi-cfr", "Change failure rate", s["change_failure_rate_pct"], "{:.1f}", "%", p["change_failure_rate_pct"],
                 prev, reverse_color=True, tier=tiers["change_failure_rate"], tier_threshold=why["change_failure_rate"],
                 show_tier=True, caution=low_sample(c, "change_failure_rate_pct"),
                 footnote=because(c, "dora", "change_failure_rate_pct",
                                                  f"{d['failed_deployments']} failed of {s['deployments']}")),
        kpi_card("kpi-mttr", "Recovery time (median)", s["mttr_minutes_median"], "{:.1f}", " min", p["mttr_minutes_median"],
                 prev, reverse_color=True, tier=tiers["recovery_time"], tier_threshold=why["recovery_time"], show_tier=True,
                 caution=low_sample(c, "mttr_minutes_median"), footnote=because(c, "dora", "mttr_minutes_median",
                                  f"avg {num(s['mttr_minutes_mean'], ' min')} · p95 {num(s['mttr_minutes_p95'], ' min')} · "
                                  f"{s['incidents']} incidents, {s['open_incidents']} open")),
        kpi_card("kpi-rework", "Rework rate", s["rework_rate_pct"], "{:.1f}", "%", p["rework_rate_pct"], prev,
                 reverse_color=True, footnote=because(c, "dora", "rework_rate_pct",
                                                      f"{d['rework_deployments']} hotfixes, rollbacks or deploys during incidents")),
        overall_card(tiers["overall"], p["tiers"]["overall"], tier_change(tiers["overall"], p["tiers"]["overall"]),
                     low_sample_tiers(c)),
    ]
    inc = an.incident_marks()
    resolved = inc[inc["recovery_minutes"].notna()]
    hours = an.lead_time_hours()
    stages = [(name, d[key]) for name, key in LEAD_TIME_STAGES]
    elite = TIER_TABLES["lead_time"].lines()[0]
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
        panel(graph("cfr", fg.change_failure_rate_weekly(an.weekly_delivery, TIER_TABLES["change_failure_rate"].lines(),
                                                         theme)) if s["deployments"]
              else empty_state("No deployments in this window: no change failure rate.", "empty-cfr")),
        panel(graph("lead-stages", fg.lead_time_stages(stages, theme)) if any(h is not None for _, h in stages)
              else empty_state("No reviewed, merged or deployed PRs in this window: no lead time stages.",
                               "empty-lead-stages")),
    ]
    return cards_row(cards), dbc.Row(charts)


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
        panel(graph("activity", fg.activity(an.daily, theme, defaults.line_bucket(an.window.days)))),
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
                 footnote=f"${s['total_value_usd']:,.0f} value / ${s['total_cost_usd']:,.0f} cost"),
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


TAB_VIEWS = {"dora": dora, "space": space, "pvm": pvm, "teams": teams}


def drilldown_deployments(c: Computed) -> list:
    """The production deployments behind the DORA numbers, newest first."""
    total = c.current.summary["dora"]["deployments"]
    return [html.Div(drilldown_note(total, "production deployments", "Deployments CSV"), className="small mb-2",
                     id="drilldown-deploys-note"),
            data_table("drilldown-deployments", c.current.deployment_rows(DRILLDOWN_ROWS), ("ts",))]


def drilldown_incidents(c: Computed) -> list:
    """The incidents behind the DORA numbers, newest first."""
    total = c.current.summary["dora"]["incidents"]
    return [html.Div(drilldown_note(total, "incidents", "Incidents CSV"), className="small mb-2",
                     id="drilldown-incidents-note"),
            data_table("drilldown-incidents", c.current.incident_rows(DRILLDOWN_ROWS), ("start", "resolved"),
                       ("recovery_minutes",))]


def drilldown_note(total: int, what: str, download: str) -> str:
    """The line above a drill-down table: how many rows it shows of how many."""
    if total <= DRILLDOWN_ROWS:
        return f"{total} {what} in the window, newest first."
    return f"The newest {DRILLDOWN_ROWS} of {total:,} {what} in the window; \u201c{download}\u201d above has all of them."
