"""What each tab shows: its KPI cards and its charts, from the computed analyses of a view.

Each builder takes a ``Computed`` (this period and the previous one) and the theme, and returns
(row of cards, row of chart panels). The cards are the registry's (``dashboard.cards``: one per
metric declared with a card); the thresholds drawn on the charts come from ``metrics.benchmarks``,
the same tables that place the badges.
"""
from __future__ import annotations

from datetime import datetime, timezone

import dash_bootstrap_components as dbc
from dash import html
import pandas as pd

from components import figures as fg
from components.colours import band_hex, tier_hex
from components.kpi import card_group, empty_state, how_to, kpi_card, problem_line
from components.panels import cards_row, graph, panel
from components.tables import data_table
from components.teams import goals_progress, no_teams_file, teams_table
from metrics import defaults, series
from metrics.compute.extensions import success_rate
from metrics.compute.stages import STAGES
from metrics.schema import PR_REVIEWED
from metrics.annotations import KINDS
from metrics.goals import GOAL_METRICS, progress
from metrics.benchmarks import BAND_TABLES, TIER_TABLES, TIERS, Baseline, band, baseline, tier_change
from metrics.builtin import BY_KEY
from metrics.plugins import EXAMPLE, custom_view, window_events
from metrics.teams import TEAM_METRICS
from metrics.units import say

from .ai_tab import ai
from .cards import Judged, quick_check, tab_cards
from .data import Computed
from .trend_charts import trends_figure

DRILLDOWN_ROWS = 500


def marked(c: Computed, figure, *keys: str, across: bool = False):
    """``figure`` with the view's goals for the metrics ``keys`` (the chart draws them in their
    units) as lines (vertical ones when the chart's x axis holds the metric: ``across``), and the
    view's annotations as markers (time charts only)."""
    goals = [(g.target, g.label) for g in c.goals if g.metric in keys]
    notes = c.notes
    drawn = (notes["at_ns"].to_numpy(), notes["hover"].to_numpy()) if notes is not None and len(notes) else None
    return fg.marked(figure, [] if across else goals, drawn, goals if across else [])


def pr_start(c: Computed) -> str:
    """What a PR's start is in this data: its opening, or its first commit (git history)."""
    return "first commit (git history)" if c.current.pr_times_from_git else "PR creation"


def badge_colour(c: Computed, key: str, judged: Judged) -> str:
    """The colour of the badge the card of metric ``key`` shows: its tier's when the tiers judge, its
    Quick Check standing's when the Quick Check does (grey when it shows none, or no tier)."""
    spec = BY_KEY[key]
    if judged.by_tiers:
        return tier_hex(c.current.summary["dora"]["tiers"][spec.tiers.metric] if spec.tiers else None)
    return band_hex(quick_check(judged.q, spec.quick_check, False).get("score_band") if spec.quick_check else None)


def why_empty(c: Computed, *keys: str) -> str | None:
    """Why the first of the metrics ``keys`` is n/a for lack of a source in the data ("No incident
    data in this dataset"), capitalised; None when the data has what they need (or is not known)."""
    an = c.current
    if not an.present or BY_KEY[keys[0]].value(an) is not None:
        return None
    for key in keys:
        reason = BY_KEY[key].missing(an.present)
        if reason:
            return reason[:1].upper() + reason[1:]
    return None


def window_span(c: Computed) -> tuple:
    """The view's window as (start_ns, end_ns): every chart over time spans exactly this."""
    return c.current.window.start_ns, c.current.window.end_ns


def quick_check_note(q: dict, base: Baseline, by_tiers: bool) -> str:
    """The line under the Throughput title: what the badges mean and the baseline compared with."""
    if by_tiers:
        return (f"DORA Quick Check: overall {say(q['scores']['overall'], after='/10')}, {base.title} average "
                f"{q['industry_average']['overall']:.1f} (lead time, deployment frequency, failed deployment recovery, "
                "change failure rate; hover a QC badge for its answer and average)")
    return (f"Judged by DORA's Quick Check against {base.title}: a badge is green at or above the average, amber within "
            "one standard deviation below it, red further below (hover it for the answer and the average)")


def dora(c: Computed, theme: str) -> tuple:
    """DORA: the throughput and instability groups of cards with tiers and Quick Check scores,
    the overall tier, and the delivery & recovery charts."""
    s, d, an = c.current.summary["dora"], c.current.details, c.current
    base = baseline(c.baseline)
    q = an.current_dora(base)["quick_check"]
    by_tiers = c.benchmark == "tiers"
    judged = Judged(by_tiers, q)
    throughput = tab_cards(c, "dora", "throughput", judged, c.benchmark)
    instability = tab_cards(c, "dora", "instability", judged, c.benchmark)
    note = quick_check_note(q, base, by_tiers)
    cards = html.Div([card_group("Throughput", cards_row(throughput), "dora-throughput", note),
                      card_group("Instability", cards_row(instability), "dora-instability")])
    inc = an.incident_marks()
    resolved = inc[inc["recovery_minutes"].notna()]
    hours = an.lead_time_hours()
    elite = TIER_TABLES["lead_time"].lines()[0] if by_tiers else None      # the Quick Check draws no tier
    bucket = defaults.line_bucket(an.window.days)
    b = series.bucketed(an.daily, bucket)
    span = window_span(c)
    no_cfr = why_empty(c, "change_failure_rate_pct")
    charts = [
        panel(graph("deployments", marked(c, fg.deployments_per_day(b, theme, bucket, span),
                                          *(("deploys_per_day",) if bucket == "day" else ())))),
        panel(graph("recovery", marked(c, fg.recovery_per_incident(
            inc, an.services, an.daily_recovery(), s["mttr_minutes_median"], theme,
            badge_colour(c, "mttr_minutes_median", judged), span), "mttr_minutes_median"))
              if len(resolved)
              else empty_state(f"{why_empty(c, 'mttr_minutes_median') or 'No resolved incidents in this window'}: "
                               "no recovery time to show.", "empty-recovery")),
        panel(graph("timeline", marked(c, fg.timeline(an.deployment_marks(), inc, an.services, an.window.start_ns,
                                                      an.window.end_ns, theme)))
              if len(inc) or s["deployments"] else empty_state("No deployments or incidents in this window.", "empty-timeline"),
              width=12),
        panel(graph("lead-time", marked(c, fg.lead_time_distribution(hours, s["lead_time_hours_median"], elite, theme,
                                                                               pr_start(c)),
                                        "lead_time_hours_median", across=True)) if len(hours)
              else empty_state(f"{why_empty(c, 'lead_time_hours_median') or 'No deployed PRs in this window'}: "
                               "no lead time to show.", "empty-lead-time")),
        panel(empty_state(f"{no_cfr}: no change failure rate to chart.", "empty-cfr") if no_cfr
              else graph("cfr", marked(c, fg.change_failure_rate_weekly(
                  an.weekly_delivery, cfr_lines(q, by_tiers), theme, badge_colour(c, "change_failure_rate_pct", judged),
                  span), "change_failure_rate_pct"))
              if s["deployments"]
              else empty_state("No deployments in this window: no change failure rate.", "empty-cfr")),
        panel(stages_chart(c, an, theme, span)),
        *size_panels(c, theme),
        panel(graph("success-rate", marked(c, fg.deployment_success_rate(
            b, success_rate(b["deployments"], b["successful_deployments"]), theme, bucket, span)))
              if s["deployments"] and "failed deploy" in an.present
              else empty_state("No deployments in this window: no success rate." if not s["deployments"] else
                               "No deployment in this dataset is marked failed (git tags carry no status; a CI/CD "
                               "source such as GitHub Actions, Jenkins or Argo CD gives one): no success rate to show, "
                               "not 100 %.", "empty-success-rate")),
    ]
    if an.trends is not None:
        charts.append(panel(graph("trends", marked(c, trends_figure(an, theme, span))), width=12))
    return cards, dbc.Row(charts)


def stages_chart(c: Computed, an, theme: str, span: tuple):
    """The cycle-time stages' medians per period, stacked, with the view's annotations; the stages
    n/a over the window named under the title, or a sentence when none has a value."""
    missing = an.stages_not_available()
    if len(missing) == len(STAGES):
        return empty_state("No cycle-time stage in this window: " + "; ".join(missing.values()) + ".", "empty-lead-stages")
    note = "; ".join(f"{stage} n/a: {why}" for stage, why in missing.items())
    return graph("lead-stages", marked(c, fg.cycle_time_stages(an.stage_periods(), list(STAGES), theme, an.stage_bucket,
                                                                span, note)))


def size_panels(c: Computed, theme: str) -> list:
    """Do big PRs take longer, do big batches fail more? Lead time by PR size bin and change failure
    rate by deployment batch size bin (``size_relation``), or why there is nothing to draw."""
    an = c.current
    relation = an.details["size_relation"]
    by_size, by_batch = relation["lead_time_by_pr_size"], relation["change_failure_by_batch_size"]
    no_sizes = why_empty(c, "pr_size_lines_median")
    return [
        panel(graph("lead-by-size", fg.lead_time_by_pr_size(by_size, theme, pr_start(c)))
              if any(b["prs"] for b in by_size)
              else empty_state(f"{no_sizes or 'No deployed PR with a size in this window'}: no lead time by PR size.",
                               "empty-lead-by-size")),
        panel(graph("cfr-by-batch", fg.failure_by_batch_size(by_batch, theme))
              if any(b["deployments"] for b in by_batch)
              else empty_state("No deployment in this window shipped a PR: no change failure rate by batch size.",
                               "empty-cfr-by-batch")),
    ]


def cfr_lines(q: dict, by_tiers: bool) -> list:
    """The change failure rate chart's lines: the tier bounds (value, label, tier), or the Quick Check
    baseline's average rate (its score on the 0-10 scale is (100 - rate) / 10)."""
    if by_tiers:
        return [(value, label, tier) for (value, label), tier in zip(TIER_TABLES["change_failure_rate"].lines(), TIERS)]
    rate = 100 - q["industry_average"]["change_failure_rate"] * 10
    return [(rate, f"{q['baseline']['name']} average {rate:.0f} %")]


def space(c: Computed, theme: str) -> tuple:
    """SPACE: activity, collaboration, satisfaction, efficiency and performance."""
    s, d = c.current.summary["space"], c.current.details
    cards_of_tab = tab_cards(c, "space")
    an = c.current
    bucket = defaults.line_bucket(an.window.days)
    weekly = an.weekly
    span = window_span(c)
    charts = [
        panel(graph("activity", marked(c, fg.activity(series.bucketed(an.daily, bucket), theme, bucket,
                                                      reviews_known=not an.present or PR_REVIEWED in an.present,
                                                      span=span),
                                       *(("prs_per_day", "reviews_per_day") if bucket == "day" else ())))),
        panel(graph("collaboration", marked(c, fg.collaboration(weekly, theme, span), "review_turnaround_hours_mean")) if d["prs_created"] and s["review_turnaround_hours_mean"] is not None
              else empty_state("No reviewed PRs in this window.", "empty-collaboration")),
        panel(graph("satisfaction", marked(c, fg.satisfaction(
            weekly, d["satisfaction_trend_start"], d["satisfaction_trend_per_30_days"], an.window.start_ns,
            an.window.end_ns, theme), "satisfaction_mean"))
              if s["satisfaction_responses"] else empty_state("No survey responses in this window.", "empty-satisfaction")),
        panel(graph("efficiency", marked(c, fg.efficiency(weekly, theme, pr_start(c), span), "merge_time_hours_mean")) if s["merge_time_hours_mean"] is not None
              else empty_state("No merged PRs in this window.", "empty-efficiency")),
        panel(graph("performance", marked(c, fg.performance(an.weekly_delivery, theme, span), "incident_rate_pct"))
              if an.summary["dora"]["deployments"] and an.summary["dora"]["incidents"]
              else empty_state("No incidents in this window: the incident rate is 0 % every week."
                               if an.summary["dora"]["deployments"] and s["incident_rate_pct"] is not None
                               else "No deployments or no incident data in this window: no incident rate.",
                               "empty-performance"), width=12),
    ]
    return cards_row(cards_of_tab), dbc.Row(charts)


def pvm(c: Computed, theme: str) -> tuple:
    """Platform value: VCR, IAR, DTR and the impact summary."""
    s, p = c.current.summary["pvm"], c.previous.summary["pvm"]
    cards_of_tab = tab_cards(c, "pvm")
    an = c.current
    periods = an.iar_periods
    period_bands = [band("iar", None if g != g else g) for g in periods["growth_pct"].astype(float)]
    span = window_span(c)
    charts = [
        panel(graph("vcr", marked(c, fg.vcr(s["vcr_pct"], p["vcr_pct"], BAND_TABLES["vcr"].lines(), theme,
                                            an.details["vcr_band"]), "vcr_pct"))
              if s["vcr_pct"] is not None or p["vcr_pct"] is not None
              else empty_state(neither(c, "vcr_pct", "platform_hours"), "empty-vcr")),
        panel(graph("iar", marked(c, fg.iar(periods, period_bands, BAND_TABLES["iar"].lines(), theme, span), "iar_pct"))
              if len(periods) >= 2
              else empty_state("IAR by period needs at least two full periods: choose 14 days or more.", "empty-iar")),
        panel(graph("dtr", marked(c, fg.dtr(s["dtr_pct"], p["dtr_pct"], BAND_TABLES["dtr"].lines(), theme,
                                            an.details["dtr_band"]), "dtr_pct"))
              if s["dtr_pct"] is not None or p["dtr_pct"] is not None
              else empty_state(neither(c, "dtr_pct"), "empty-dtr")),
        panel(graph("impact", marked(c, fg.impact(an.weekly_delivery, theme, span, why_empty(c, "platform_hours"))))),
    ]
    return cards_row(cards_of_tab), dbc.Row(charts)


def neither(c: Computed, *keys: str) -> str:
    """What a chart of this period against the previous one says when the metric (``keys[0]``) is
    n/a in both: why, from the data's missing source when that is the reason (``why_empty``)."""
    spec = BY_KEY[keys[0]]
    head = f"{spec.label}: n/a in this window and the previous {c.current.window.days} days"
    reason = why_empty(c, *keys)
    return f"{head} ({reason[:1].lower() + reason[1:]})." if reason else f"{head}: nothing to compare."


PLUGIN_EXAMPLE = "# my_metrics.py, then: METRICS_PLUGINS=my_metrics.py .venv/bin/python app.py\n" + EXAMPLE


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
            cards.append(kpi_card(spec.card.element, spec.title, v.current.headline, spec.fmt,
                                  spec.suffix, v.previous, prev, reverse_color=spec.lower_is_better,
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


def team_element(spec) -> str:
    """A team comparison column's element id part: the metric's card id without "kpi-" ("lead-time")."""
    return spec.card.element.removeprefix("kpi-")


def team_cell(row, spec, previous_in_data: bool = True) -> tuple:
    """(value, previous value, tier, the tier's threshold in words, why it has too little evidence to
    be judged ("" when it has enough), whether its change is coloured) of one team's metric: the
    change is coloured only when both periods hold enough evidence (METRICS.md section 3) and the
    previous one holds any data (``Computed.previous_in_data``)."""
    value = row.current[spec.key]
    previous = None if row.previous is None else row.previous[spec.key]
    placed = row.current["tiers"][spec.tiers.metric] if spec.tiers else None
    short = row.current["evidence"].get(spec.key, "")
    judged_before = row.previous is None or spec.key not in row.previous["evidence"]
    coloured = not short and judged_before and previous_in_data
    return value, previous, placed, spec.tiers.tier(value)[1] if placed else None, short, coloured


def teams(c: Computed, theme: str) -> tuple:
    """Teams: every team side by side on the DORA keys (``metrics.teams.TEAM_METRICS``), with tiers and changes against each
    team's previous period (a table), and one small bar chart a metric."""
    shown = c.teams
    goals = goals_progress(goal_rows(c), c.goal_problem)
    if shown is None or shown.problem or not shown.rows:
        return html.Div([no_teams_file(shown.path if shown else "teams.toml", shown.problem if shown else ""),
                         goals]), dbc.Row([])
    rows = []
    for i, row in enumerate(shown.rows):
        services = ", ".join(row.services) if row.services else ""
        if row.problem:
            rows.append({"id": f"team-{i}", "team": row.team, "services": services, "problem": row.problem[:1].upper()
                         + row.problem[1:] + ".", "cells": {}, "overall": None, "overall_previous": None})
            continue
        before = None if row.previous is None else row.previous["tiers"]["overall"]
        rows.append({"id": f"team-{i}", "team": row.team, "services": services, "problem": "",
                     "cells": {team_element(spec): team_cell(row, spec, c.previous_in_data) for spec in TEAM_METRICS},
                     "overall": row.current["tiers"]["overall"], "overall_previous": before,
                     "overall_moved": tier_change(row.current["tiers"]["overall"], before) not in (None, "same as")})
    columns = [(team_element(spec), spec.label, spec.fmt, spec.suffix, spec.lower_is_better, spec.tiers is not None)
               for spec in TEAM_METRICS]
    notes = []
    if shown.chosen:
        notes.append("Only the teams chosen in the Team selector; clear it to compare every team.")
    elif shown.named > len(shown.rows):
        notes.append(f"The first {len(shown.rows)} of the {shown.named} teams of the teams file, sorted among themselves; "
                     "choose others in the Team selector.")
    table = html.Div([teams_table(columns, rows, f"the {c.window.days} days before"),
                      *[html.Div(n, className="small text-body-secondary mb-2", id="teams-note") for n in notes], goals])
    compared = [r for r in shown.rows if not r.problem]
    charts = []
    for spec in TEAM_METRICS:
        element = team_element(spec)
        values = [r.current[spec.key] for r in compared]
        tiers = [r.current["tiers"][spec.tiers.metric] if spec.tiers else None for r in compared]
        charts.append(panel(graph(f"teams-{element}", fg.team_bars([r.team for r in compared], values, tiers,
                                                                   spec.label, spec.suffix, spec.fmt, theme))
                            if any(v is not None for v in values)
                            else empty_state(f"{spec.label}: n/a for every team in this window.",
                                             f"empty-teams-{element}"),
                            width=4))
    return table, dbc.Row(charts)


def goal_rows(c: Computed, today=None) -> list:
    """The Teams tab's line of each goal (``Computed.team_goals``: each with its value now): whom it
    is for, its words, the value now, met or not (the metric's declared direction), the days left
    until its date (from ``today``, default today UTC) and its reason."""
    today = today or datetime.now(timezone.utc).date()
    rows = []
    for goal, value in c.team_goals:
        spec = GOAL_METRICS[goal.metric]
        standing = progress(goal, value, today)
        rows.append({"scope": goal.scope, "goal": goal.label.removeprefix("goal: "),
                     "value": "n/a" if standing.value is None else spec.fmt.format(standing.value) + spec.suffix,
                     "met": standing.met, "left": standing.days_left, "date": goal.due.isoformat(),
                     "reason": goal.reason})
    return rows


TAB_VIEWS = {"dora": dora, "space": space, "pvm": pvm, "ai": ai, "custom": custom, "teams": teams}


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


PR_NOTE = (" Stages: coding (first commit to opening), pickup (opening to first review), review (first review to "
           "merge), deploy (merge to the deployment); empty where the data has no time for one. An id links to its "
           "PR where the data names the repository with its owner (acme/checkout#12 on GitHub).")


def drilldown_prs(c: Computed) -> list:
    """The PRs behind lead time: the window's deployed PRs, slowest first, with their size, each
    stage's hours and the deployment that shipped them."""
    an = c.current
    total = an.details["merged_prs"] - an.summary["dora"]["merged_prs_not_deployed"]
    note = drilldown_note(total, "deployed PRs", "PRs CSV", "slowest") + PR_NOTE
    return [html.Div(note, className="small mb-2", id="drilldown-prs-note"),
            data_table("drilldown-prs", an.pr_rows(DRILLDOWN_ROWS), (),
                       ("coding_hours", "pickup_hours", "review_hours", "deploy_hours", "lead_time_hours"),
                       links={"pr_id": "url"}, sort_by=(("lead_time_hours", "desc"),))]


def drilldown_note(total: int, what: str, download: str, first: str = "newest") -> str:
    """The line above a drill-down table: how many rows it shows of how many, ``first`` first."""
    if total <= DRILLDOWN_ROWS:
        return f"{total} {what} in the window, {first} first."
    return (f"The {first} {DRILLDOWN_ROWS} of {total:,} {what} in the window; \u201c{download}\u201d above has all "
            "of them.")


def drilldown_annotations(c: Computed) -> list:
    """The annotations drawn on the view's time charts, newest first: the stored ones (an editor's
    notes, with their author) and the automatic ones (incidents, deployments after a gap or of
    many PRs), at most ``DRILLDOWN_ROWS``."""
    notes = c.notes if c.notes is not None else pd.DataFrame(columns=["at_ns", "kind", "service", "text", "author"])
    total = len(notes)
    newest = notes.iloc[::-1].head(DRILLDOWN_ROWS)
    rows = pd.DataFrame({"at": pd.to_datetime(newest["at_ns"].to_numpy(dtype="int64"), utc=True, unit="ns"),
                         "kind": newest["kind"].map(KINDS).to_numpy(), "service": newest["service"].to_numpy(),
                         "text": newest["text"].to_numpy(), "author": newest["author"].to_numpy()})
    said = (f"{total} annotations on the time charts, newest first" if total <= DRILLDOWN_ROWS else
            f"The newest {DRILLDOWN_ROWS} of {total:,} annotations on the time charts")
    said += (f". Automatic ones: each incident, the first deployment after {defaults.ANNOTATION_GAP_DAYS} days or more "
             f"without one, a deployment of {defaults.ANNOTATION_MANY_PRS} PRs or more.")
    return [html.Div(said, className="small mb-2", id="drilldown-annotations-note"),
            data_table("drilldown-annotations", rows, ("at",))]


# the drill-down's items (``layout.drilldown_section``): item id -> what builds its table
DRILLDOWNS = {"deployments": drilldown_deployments, "incidents": drilldown_incidents, "prs": drilldown_prs,
              "annotations": drilldown_annotations}
