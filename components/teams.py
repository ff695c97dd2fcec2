"""The Teams view's table: every team side by side, one cell a metric (value, tier, change)."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from .kpi import delta_line, tier_badge

TEAMS_EXAMPLE = """# teams.toml, in the data directory (or the file METRICS_TEAMS names)
[teams.payments]
services = ["checkout", "payments", "pay-*"]     # names or glob patterns

[teams.search]
services = ["search-api", "indexer"]
"""


def metric_cell(cell_id: str, value, fmt: str, unit: str, previous, reverse_color: bool = False,
                tier: str | None = None, threshold: str | None = None, show_tier: bool = True,
                short: str = "", coloured_change: bool = True) -> html.Td:
    """One team's metric: the number (``{cell_id}-value``), its tier badge (``{cell_id}-tier``) and
    its change (``{cell_id}-delta``, on a line of its own). Plain spans in one cell: a table of
    31 teams is ~1,000 of them, and each component costs the browser time to build. ``short``: why
    the number has too little evidence to be judged: then it is greyed, without a tier badge, and
    the reason is said (``{cell_id}-caution``); ``coloured_change``: False shows the change grey."""
    text = "n/a" if value is None else fmt.format(value) + unit
    delta, colour = delta_line(value, previous, unit, reverse_color, coloured_change)
    parts = [html.Span(text, id=f"{cell_id}-value", className="fw-semibold me-1" + (" text-body-secondary" if short else ""))]
    if show_tier and not short:
        parts.append(tier_badge(tier, threshold, f"{cell_id}-tier"))
    why = [html.Span(f"no tier: {short}" if show_tier else f"too little evidence: {short}", id=f"{cell_id}-caution",
                     className="d-block small text-body-secondary")] if short else []
    return html.Td([*parts, html.Span(delta, id=f"{cell_id}-delta", className=f"d-block small {colour}"), *why])


def teams_table(columns: list, rows: list, previous_label: str) -> html.Div:
    """The comparison table. ``columns``: (key, title, fmt, unit, reverse_color, show_tier);
    ``rows``: dicts with ``id`` (for element ids), ``team``, ``services`` (text), ``cells`` (key ->
    (value, previous, tier, threshold, too little evidence: why, coloured change)), ``overall`` and ``overall_previous`` tiers, ``overall_moved``
    (whether the overall tier changed), and ``problem`` (why the team has no numbers, or "")."""
    head = html.Thead(html.Tr([html.Th("Team"), *[html.Th(title) for _, title, *_ in columns],
                               html.Th("Overall tier")]))
    body = []
    for row in rows:
        name = html.Td([html.Span(row["team"], className="d-block fw-semibold"),
                        html.Span(row["services"], className="d-block small text-body-secondary")])
        if row["problem"]:
            body.append(html.Tr([name, html.Td(row["problem"], colSpan=len(columns) + 1, id=f"{row['id']}-problem",
                                               className="text-body-secondary")], id=row["id"]))
            continue
        cells = []
        for key, _, fmt, unit, reverse, show in columns:
            value, previous, tier, threshold, short, coloured = row["cells"][key]
            cells.append(metric_cell(f"{row['id']}-{key}", value, fmt, unit, previous, reverse, tier, threshold, show,
                                     short, coloured))
        moved = row.get("overall_moved")
        overall = html.Td([tier_badge(row["overall"], "the worst of the four tiers", f"{row['id']}-overall"),
                           *([html.Span(f"was {row['overall_previous'] or 'n/a'}",
                                        className="d-block small text-body-secondary")] if moved else [])])
        body.append(html.Tr([name, *cells, overall], id=row["id"]))
    return html.Div([
        html.Div(html.Table([head, html.Tbody(body)], className="table table-sm table-hover align-middle mb-1",
                            id="teams-table"), className="table-responsive"),
        html.Div(f"Changes compare each team with its own previous period ({previous_label}).",
                 className="small text-body-secondary"),
    ], className="mb-3")


def no_teams_file(path: str, problem: str = "") -> dbc.Alert:
    """What the Teams view says without a usable teams file: the problem, or how to write one."""
    if problem:
        return dbc.Alert([html.Strong("The teams file cannot be used: "), problem,
                          html.Div("Fix it and reload the page; the other tabs still show every service.",
                                   className="small mt-1")], color="warning", id="teams-problem")
    return dbc.Alert([
        html.Div([html.Strong("No teams yet. "), "Name each team's services in a TOML file, ",
                  html.Code(path), ", then reload the page:"]),
        dcc.Markdown(f"```toml\n{TEAMS_EXAMPLE}```", className="mt-2 mb-1"),
        html.Div("The Team selector and python -m metrics --team NAME then narrow every number to a team.",
                 className="small"),
    ], color="info", id="teams-howto")
