"""Tab content: the KPI cards and figures of one tab, from the computed analyses."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dash_table, dcc, html

from components import figures as fg
from components.kpi import empty_state, kpi_card, tier_badge
from metrics.dora import TIERS

from .data import Computed

GRAPH_CONFIG = {"displaylogo": False}


def graph(name: str, figure) -> dcc.Graph:
    """A chart; its figure is also a callback output of its own (``CHART``), so it can be redrawn in place."""
    return dcc.Graph(id={"type": "chart", "name": name}, figure=figure, config=GRAPH_CONFIG,
                     className=f"metric-graph chart-{name}")


def panel(child, width: int = 6) -> dbc.Col:
    """A chart (or its empty state) in a card: Col > Card > CardBody > child."""
    return dbc.Col(dbc.Card(dbc.CardBody(child), className="h-100 chart-card"), lg=width, className="mb-3")


def content(tab: str, charts: dbc.Row) -> html.Div:
    """A tab's charts: Div > Row of panels."""
    return html.Div(charts, id=f"content-{tab}")


def panels(charts: dbc.Row) -> list:
    """The child of every panel (a graph or an empty state), in order."""
    return [col.children.children.children for col in charts.children]


def shape(tab: str, charts: dbc.Row) -> list:
    """The tab and, per panel, its chart's name or "empty": charts of the same shape stay mounted
    and only get new figures."""
    return [tab] + [c.id["name"] if isinstance(c, dcc.Graph) else "empty" for c in panels(charts)]


def figures(charts: dbc.Row) -> dict:
    """Chart name -> figure."""
    return {c.id["name"]: c.figure for c in panels(charts) if isinstance(c, dcc.Graph)}


def cards_row(cards: list) -> dbc.Row:
    return dbc.Row([dbc.Col(c, xs=12, sm=6, lg=True, className="mb-3") for c in cards], className="g-3 kpi-row")


def dora(c: Computed, theme: str) -> tuple:
    """DORA: five metric cards with tiers, the overall tier, and the delivery & recovery charts."""
    s, p, d = c.current.summary["dora"], c.previous.summary["dora"], c.current.details
    why = d["tier_thresholds"]
    tiers = s["tiers"]
    prev = f"previous {c.current.window.days} days"
    cards = [
        kpi_card("kpi-deploys", "Deployment frequency", s["deploys_per_day"], "{:.2f}", " /day", p["deploys_per_day"], prev,
                 tier=tiers["deployment_frequency"], tier_threshold=why["deployment_frequency"], show_tier=True,
                 footnote=f"{s['successful_deployments']} successful of {s['deployments']}"),
        kpi_card("kpi-lead-time", "Lead time (median)", s["lead_time_hours_median"], "{:.1f}", " h",
                 p["lead_time_hours_median"], prev, reverse_color=True, tier=tiers["lead_time"],
                 tier_threshold=why["lead_time"], show_tier=True,
                 footnote=f"p90 {_num(s['lead_time_hours_p90'], ' h')} · {d['undeployed_prs']} merged, not deployed"),
        kpi_card("kpi-cfr", "Change failure rate", s["change_failure_rate_pct"], "{:.1f}", "%", p["change_failure_rate_pct"],
                 prev, reverse_color=True, tier=tiers["change_failure_rate"], tier_threshold=why["change_failure_rate"],
                 show_tier=True, footnote=f"{d['failed_deployments']} failed of {s['deployments']}"),
        kpi_card("kpi-mttr", "Recovery time (median)", s["mttr_minutes_median"], "{:.1f}", " min", p["mttr_minutes_median"],
                 prev, reverse_color=True, tier=tiers["recovery_time"], tier_threshold=why["recovery_time"], show_tier=True,
                 footnote=f"avg {_num(s['mttr_minutes_mean'], ' min')} · p95 {_num(s['mttr_minutes_p95'], ' min')} · "
                          f"{s['incidents']} incidents, {s['open_incidents']} open"),
        kpi_card("kpi-rework", "Rework rate", s["rework_rate_pct"], "{:.1f}", "%", p["rework_rate_pct"], prev,
                 reverse_color=True, footnote=f"{d['rework_deployments']} hotfixes, rollbacks or deploys during incidents"),
        overall_card(tiers["overall"], p["tiers"]["overall"]),
    ]
    inc = c.current.incident_marks()
    resolved = inc[inc["recovery_minutes"].notna()]
    hours = c.current.lead_time_hours()
    daily = c.current.daily
    charts = [
        panel(graph("deployments", fg.deployments_per_day(daily, theme))),
        panel(graph("recovery", fg.recovery_per_incident(inc, c.current.services, theme)) if len(resolved)
              else empty_state("No resolved incidents in this window: no recovery time to show.", "empty-recovery")),
        panel(graph("timeline", fg.timeline(c.current.deployment_marks(), inc, c.current.services,
                                                  c.current.window.start_ns, c.current.window.end_ns, theme))
              if len(inc) or s["deployments"] else empty_state("No deployments or incidents in this window.", "empty-timeline"),
              width=12),
        panel(graph("lead-time", fg.lead_time_distribution(hours, s["lead_time_hours_median"], theme)) if len(hours)
              else empty_state("No deployed PRs in this window: no lead time to show.", "empty-lead-time")),
        panel(graph("cfr", fg.change_failure_rate_weekly(daily, theme)) if s["deployments"]
              else empty_state("No deployments in this window: no change failure rate.", "empty-cfr")),
    ]
    return cards_row(cards), dbc.Row(charts)


def overall_card(tier: str | None, previous: str | None) -> dbc.Card:
    moved = "" if tier is None or previous is None else (
        "same as before" if tier == previous else ("better than" if TIERS.index(tier) < TIERS.index(previous) else "worse than")
        + f" the previous period ({previous})")
    return dbc.Card(dbc.CardBody([
        html.Div(html.Span("Overall DORA tier", className="kpi-title")),
        html.Div((tier or "n/a").upper(), id="kpi-overall-value", className="kpi-value"),
        html.Div(tier_badge(tier, "the worst of the four tiers"), className="mb-1"),
        html.Div(moved or "worst of the four tiers", id="kpi-overall-delta", className="kpi-delta text-body-secondary"),
    ]), className="kpi-card h-100", id="kpi-overall")


def space(c: Computed, theme: str) -> tuple:
    """SPACE: activity, collaboration, satisfaction, efficiency and performance."""
    s, p, d = c.current.summary["space"], c.previous.summary["space"], c.current.details
    prev = f"previous {c.current.window.days} days"
    after = d["satisfaction_after_incident_mean"]
    cards = [
        kpi_card("kpi-prs", "PRs created", s["prs_per_day"], "{:.2f}", " /day", p["prs_per_day"], prev,
                 footnote=f"{d['prs_created']} PRs, {d['merges']} merges"),
        kpi_card("kpi-reviews", "Reviews", s["reviews_per_day"], "{:.2f}", " /day", p["reviews_per_day"], prev,
                 footnote=f"{d['reviews']} reviews"),
        kpi_card("kpi-turnaround", "Review turnaround", s["review_turnaround_hours_mean"], "{:.1f}", " h",
                 p["review_turnaround_hours_mean"], prev, reverse_color=True, footnote="creation to first review, mean"),
        kpi_card("kpi-satisfaction", "Satisfaction", s["satisfaction_mean"], "{:.2f}", " /5", p["satisfaction_mean"], prev,
                 footnote=f"{s['satisfaction_responses']} responses · after incidents {_num(after, '', '{:.2f}')}"),
        kpi_card("kpi-merge-time", "PR → merge time", s["merge_time_hours_mean"], "{:.1f}", " h", p["merge_time_hours_mean"],
                 prev, reverse_color=True, footnote="creation to merge, mean"),
        kpi_card("kpi-incident-rate", "Incident rate", s["incident_rate_pct"], "{:.2f}", "%", p["incident_rate_pct"], prev,
                 reverse_color=True, footnote="incidents per deployment"),
    ]
    an = c.current
    weekly = an.weekly
    charts = [
        panel(graph("activity", fg.activity(an.daily, theme))),
        panel(graph("collaboration", fg.collaboration(weekly, theme)) if d["prs_created"] and s["review_turnaround_hours_mean"] is not None
              else empty_state("No reviewed PRs in this window.", "empty-collaboration")),
        panel(graph("satisfaction", fg.satisfaction(weekly, d["satisfaction_trend_start"], d["satisfaction_trend_per_30_days"],
                                                         an.window.start_ns, an.window.end_ns, theme))
              if s["satisfaction_responses"] else empty_state("No survey responses in this window.", "empty-satisfaction")),
        panel(graph("efficiency", fg.efficiency(weekly, theme)) if s["merge_time_hours_mean"] is not None
              else empty_state("No merged PRs in this window.", "empty-efficiency")),
        panel(graph("performance", fg.performance(an.daily, theme)) if an.summary["dora"]["deployments"]
              else empty_state("No deployments in this window: no incident rate.", "empty-performance"), width=12),
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
                 footnote=f"{s['first_period_deploys']} → {s['second_period_deploys']} successful deploys "
                          f"({d['iar_half_days']}-day halves)"),
        kpi_card("kpi-dtr", "DTR: toil ratio", s["dtr_pct"], "{:.1f}", "%", p["dtr_pct"], prev, reverse_color=True,
                 band=d["dtr_band"], footnote=f"{s['toil_minutes']:,.0f} toil min / {s['feature_minutes']:,.0f} feature min"),
        kpi_card("kpi-platform-hours", "Platform hours", s["platform_hours"], "{:,.0f}", " h", p["platform_hours"], prev,
                 reverse_color=True, footnote=f"{_num(d['deploys_per_platform_hour'], '', '{:.2f}')} deploys per platform hour"),
        kpi_card("kpi-onboarding", "Weeks to productivity", s["onboarding_weeks_mean"], "{:.1f}", " wk",
                 p["onboarding_weeks_mean"], prev, reverse_color=True, footnote=f"{d['onboardings']} onboardings"),
    ]
    an = c.current
    charts = [
        panel(graph("vcr", fg.vcr(s["vcr_pct"], p["vcr_pct"], theme))),
        panel(graph("iar", fg.iar(an.iar_periods, theme)) if len(an.iar_periods) >= 2
              else empty_state("IAR by period needs at least two full periods: choose 14 days or more.", "empty-iar")),
        panel(graph("dtr", fg.dtr(s["dtr_pct"], p["dtr_pct"], theme))),
        panel(graph("impact", fg.impact(an.daily, theme))),
    ]
    return cards_row(cards), dbc.Row(charts)


def window_facts(view, c: Computed) -> dict:
    """The line under the controls saying what is shown, the service filter's choices and the
    date picker's bounds."""
    w = c.current.window
    last = (w.end - pd.Timedelta(days=1)).date()
    n = len(c.services)
    services = (", ".join(view.only) + " only (team-level events kept)" if view.only
                else f"all {n} service{'' if n == 1 else 's'}")
    if view.dataset:
        line = (f"Dataset {view.dataset} · window {w.start.date()} to {last} ({w.days} days, UTC) · data from "
                f"{c.span[0]} to {c.span[1]} · {services} · changes compare with the previous {w.days} days")
    else:
        line = (f"Window {w.start.date()} to {w.end.date()} ({w.days} days, UTC) · seed {view.seed} ({c.profile}) · "
                f"{view.services} services, team of {view.team_size} · {services} · changes compare with the previous "
                f"{w.days} days")
    span = c.span or (None, None)
    return {"line": line, "only_options": [{"label": s, "value": s} for s in c.services],
            "min_date": span[0], "max_date": span[1]}


DRILLDOWN_ROWS = 500
TIME_FORMAT = "%Y-%m-%d %H:%M"
COLUMN_LABELS = {"ts": "time (UTC)", "start": "start (UTC)", "resolved": "resolved (UTC)",
                 "recovery_minutes": "recovery (min)", "deploy_id": "deployment", "incident_id": "incident",
                 "caused_incident": "caused an incident", "change_type": "change type"}


def _table(table_id: str, frame, times: tuple, numbers: tuple = ()) -> dash_table.DataTable:
    """A sortable, paged table of text (cells are never HTML)."""
    shown = frame.copy()
    for c in times:
        shown[c] = shown[c].dt.strftime(TIME_FORMAT).fillna("")
    for c in numbers:
        shown[c] = shown[c].round(1)
    for c in shown.columns:
        if shown[c].dtype == bool:
            shown[c] = shown[c].map({True: "yes", False: ""})
    return dash_table.DataTable(
        id=table_id, data=shown.to_dict("records"),
        columns=[{"name": COLUMN_LABELS.get(c, c.replace("_", " ")), "id": c} for c in shown.columns],
        page_size=10, sort_action="native", filter_action="native", style_table={"overflowX": "auto"},
        style_cell={"textAlign": "left", "padding": "4px 8px", "fontFamily": "inherit"},
        style_header={"fontWeight": 600})


def drilldown_deployments(c: Computed) -> list:
    """The production deployments behind the DORA numbers, newest first."""
    total = c.current.summary["dora"]["deployments"]
    return [html.Div(_note(total, "production deployments", "Deployments CSV"), className="small mb-2",
                     id="drilldown-deploys-note"),
            _table("drilldown-deployments", c.current.deployment_rows(DRILLDOWN_ROWS), ("ts",))]


def drilldown_incidents(c: Computed) -> list:
    """The incidents behind the DORA numbers, newest first."""
    total = c.current.summary["dora"]["incidents"]
    return [html.Div(_note(total, "incidents", "Incidents CSV"), className="small mb-2", id="drilldown-incidents-note"),
            _table("drilldown-incidents", c.current.incident_rows(DRILLDOWN_ROWS), ("start", "resolved"),
                   ("recovery_minutes",))]


def _note(total: int, what: str, download: str) -> str:
    if total <= DRILLDOWN_ROWS:
        return f"{total} {what} in the window, newest first."
    return f"The newest {DRILLDOWN_ROWS} of {total:,} {what} in the window; \u201c{download}\u201d above has all of them."


def _num(value, unit: str = "", fmt: str = "{:.1f}") -> str:
    return "n/a" if value is None else fmt.format(value) + unit


TAB_VIEWS = {"dora": dora, "space": space, "pvm": pvm}
