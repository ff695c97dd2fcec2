"""The AI tab's figures and tables: AI-assisted against other PRs and deployments, adoption per week,
DORA's AI capabilities beside measured facts. Plain numbers in (the dicts of the ``--json`` key
``ai``), ``plotly.graph_objects`` figures and Dash tables out; nothing from ``metrics`` is imported."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html

from .figures import COLOURS, _counted, _figure, period_bars, window_axis

GROUP_COLOURS = {"ai": "#6610f2", "other": COLOURS["muted"]}
GROUP_NAMES = {"ai": "AI-assisted", "other": "other"}


def _value(x) -> float:
    return np.nan if x is None else float(x)


def whiskers(parts: list) -> dict:
    """Plotly's asymmetric error bars of medians with their [low, high] intervals (``parts``: dicts
    with ``median`` and ``median_interval``; none drawn where either is None)."""
    plus = [np.nan if p["median_interval"] is None else p["median_interval"][1] - p["median"] for p in parts]
    minus = [np.nan if p["median_interval"] is None else p["median"] - p["median_interval"][0] for p in parts]
    return {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus, "thickness": 1.5, "width": 5}


def group_medians(rows: list, theme: str, unit: str = "hours", title: str = "Median hours: AI-assisted vs other PRs",
                  subtitle: str = "") -> go.Figure:
    """Each measure's median for the two groups side by side, with its bootstrap interval as a whisker
    (``rows``: (label, ai part, other part), a part a dict with ``median``, ``median_interval`` and
    ``prs``, how many PRs it stands on); a bar's hover says its interval and count."""
    labels = [label for label, _, _ in rows]
    traces = []
    for g, at in (("ai", 1), ("other", 2)):
        parts = [row[at] for row in rows]
        said = [f"{_counted(p['prs'], 'PR')}" + ("" if p["median_interval"] is None else
                f"; 90 % interval {p['median_interval'][0]:,.1f} to {p['median_interval'][1]:,.1f}") for p in parts]
        traces.append(go.Bar(x=labels, y=[_value(p["median"]) for p in parts], name=GROUP_NAMES[g],
                             marker_color=GROUP_COLOURS[g], error_y=whiskers(parts), customdata=said,
                             hovertemplate=f"%{{x}}, {GROUP_NAMES[g]}: median %{{y:,.1f}} {unit} (%{{customdata}})"
                                           "<extra></extra>"))
    return _figure(traces, title, theme, f"{unit} (median)", hovermode="closest", barmode="group", subtitle=subtitle,
                   xaxis={"type": "category"}, yaxis={"rangemode": "tozero"})


def adoption_weekly(weeks: list, theme: str, span: tuple | None = None, usage: bool = False) -> go.Figure:
    """Per ISO week (``weeks``: dicts with ``start``, ``days``, ``judged``, ``ai_prs``, ``ai_share_pct``
    and ``active_users_mean``): the share of the week's PRs with a verdict that were AI-assisted as
    bars (labelled "AI-assisted of judged"), and with ``usage`` the assistant's mean daily active users
    as a line on a second axis."""
    start = pd.Series(pd.to_datetime([w["start"] for w in weeks], utc=True))
    days = pd.Series([w["days"] for w in weeks])
    centre, width = period_bars(start, days, span) if span is not None else \
        (start + pd.to_timedelta(days / 2, unit="D"), days * 86_400_000 * 0.8)
    said = [f"{w['ai_prs']:,} of {_counted(w['judged'], 'PR')}" for w in weeks]
    traces = [go.Bar(x=centre, y=[_value(w["ai_share_pct"]) for w in weeks], width=width, name="AI-assisted PRs %",
                     marker_color=GROUP_COLOURS["ai"], text=said, textposition="outside", cliponaxis=False,
                     customdata=said, hovertemplate="week of %{x|%Y-%m-%d}: %{y:.1f} % (%{customdata})<extra></extra>")]
    layout = {}
    if usage:
        traces.append(go.Scatter(x=centre, y=[_value(w["active_users_mean"]) for w in weeks], yaxis="y2",
                                 mode="lines+markers", name="Copilot active users (daily mean)",
                                 line={"color": COLOURS["warn"]},
                                 hovertemplate="week of %{x|%Y-%m-%d}: %{y:,.1f} active users a day<extra></extra>"))
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                            "title": {"text": "active users (daily mean)"}}
    return _figure(traces, "Adoption: AI-assisted share of PRs per week", theme, "% of PRs with a verdict",
                   hovermode="closest", subtitle="PRs created in the week; a PR without a verdict is left out",
                   xaxis=window_axis(span), yaxis={"rangemode": "tozero"}, **layout)


def deployment_rates(groups: dict, theme: str) -> go.Figure:
    """Change failure rate and rework rate of deployments that shipped mostly AI-assisted PRs against
    the others (``groups``: "ai" and "other", each a dict with ``deployments``, ``failed_deployments``,
    ``rework_deployments``, ``change_failure_rate_pct`` and ``rework_rate_pct``), each bar labelled
    "failed of deployments"."""
    traces = []
    for g in ("ai", "other"):
        d = groups[g]
        said = [f"{d['failed_deployments']:,} of {_counted(d['deployments'], 'deployment')}",
                f"{d['rework_deployments']:,} of {_counted(d['deployments'], 'deployment')}"]
        traces.append(go.Bar(x=["change failure rate", "rework rate"],
                             y=[_value(d["change_failure_rate_pct"]), _value(d["rework_rate_pct"])],
                             name="mostly AI-assisted" if g == "ai" else "other", marker_color=GROUP_COLOURS[g],
                             text=said, textposition="outside", cliponaxis=False, customdata=said,
                             hovertemplate="%{x}: %{y:.1f} % (%{customdata})<extra></extra>"))
    return _figure(traces, "Deployments: mostly AI-assisted PRs vs others", theme, "% of deployments",
                   hovermode="closest", barmode="group", subtitle="production deployments that shipped a PR with a verdict",
                   xaxis={"type": "category"}, yaxis={"rangemode": "tozero"})


def capabilities_table(rows: list, element_id: str = "ai-capabilities") -> html.Div:
    """DORA's AI capabilities, each with its survey mean (``rows``: dicts with ``name``, ``mean``
    text, ``responses`` and ``facts``, texts of the measured facts related to it) as a table."""
    head = html.Thead(html.Tr([html.Th("DORA AI capability"), html.Th("Survey mean (1-5)"), html.Th("Answers"),
                               html.Th("Related measured facts")]))
    body = html.Tbody([html.Tr([html.Td(r["name"]), html.Td(r["mean"]), html.Td(f"{r['responses']:,}"),
                                html.Td("; ".join(r["facts"]) or "not measured from events")]) for r in rows])
    return html.Div([html.H6("DORA's AI Capabilities Model", className="mb-1"),
                     dbc.Table([head, body], size="sm", className="small mb-0", id=element_id)])


def text_block(title: str, paragraphs: list, element_id: str) -> html.Div:
    """A titled block of sentences (what a comparison can and cannot show)."""
    return html.Div([html.H6(title, className="mb-1"), *[html.P(p, className="small mb-2") for p in paragraphs]],
                    id=element_id)
