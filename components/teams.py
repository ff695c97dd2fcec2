"""The Teams view's table: every team side by side, per metric its value, tier and change."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dash_table, dcc, html

from .colours import BADGE_HEX, BADGE_TEXT, NO_TIER, TIER_COLOURS
from .kpi import delta_line

TEAMS_EXAMPLE = """# teams.toml, in the data directory (or the file METRICS_TEAMS names)
[teams.payments]
services = ["checkout", "payments", "pay-*"]     # names or glob patterns

[teams.search]
services = ["search-api", "indexer"]
"""


CHANGE_TONES = {"text-success": "success", "text-danger": "danger", "text-body-secondary": NO_TIER}
TIER_TEXTS = {**{tier.upper(): colour for tier, colour in TIER_COLOURS.items()}, "no tier": NO_TIER}


def tier_text(tier: str | None) -> str:
    """A tier as its badge writes it: "HIGH", or "no tier"."""
    return tier.upper() if tier else "no tier"


def metric_cells(key: str, value, fmt: str, unit: str, previous, reverse_color: bool = False,
                 tier: str | None = None, threshold: str | None = None, show_tier: bool = True,
                 short: str = "", coloured_change: bool = True) -> tuple[dict, dict]:
    """One team's metric as the comparison table's cells and their tooltips: ``key`` the number,
    ``key-tier`` its tier (when ``show_tier``), ``key-change`` its change; ``key-tone`` the change's
    colour (a ``BADGE_HEX`` name: green better, red worse, grey when ``coloured_change`` is False or
    nothing changed) and ``key-muted`` ("yes" when ``short``: too little evidence to judge the number,
    which is then greyed, without a tier, the reason in its tooltip)."""
    delta, colour = delta_line(value, previous, unit, reverse_color, coloured_change)
    cells = {key: "n/a" if value is None else fmt.format(value) + unit, f"{key}-change": delta,
             f"{key}-tone": CHANGE_TONES[colour], f"{key}-muted": "yes" if short else ""}
    tips = {}
    if short:
        tips[key] = f"no tier: {short}" if show_tier else f"too little evidence: {short}"
    if show_tier:
        cells[f"{key}-tier"] = tier_text(None if short else tier)
        tips[f"{key}-tier"] = (tips[key] if short else f"{tier}: {threshold}" if tier else "not enough data for a tier")
    return cells, tips


def tier_styles(column: str) -> list:
    """``style_data_conditional`` rules painting ``column``'s tier text in its badge's colours."""
    return [{"if": {"column_id": column, "filter_query": f'{{{column}}} = "{text}"'},
             "backgroundColor": BADGE_HEX[colour], "color": BADGE_TEXT[colour], "fontWeight": 600}
            for text, colour in TIER_TEXTS.items()]


def teams_table(columns: list, rows: list, previous_label: str) -> html.Div:
    """The comparison table, one ``dash_table.DataTable`` (id ``teams-table``) of one row a team, in
    the order given (the Teams sort control's; the table itself does not sort). ``columns``: (key,
    title, fmt, unit, reverse_color, show_tier); ``rows``: dicts with ``id``, ``team``, ``services``
    (text), ``cells`` (key -> (value, previous, tier, threshold, too little evidence: why, coloured
    change)), ``overall`` and ``overall_previous`` tiers, ``overall_moved`` (whether the overall tier
    changed), and ``problem`` (why the team has no numbers, or "": said in its Services cell)."""
    head = [{"id": "team", "name": ["", "Team"]}, {"id": "services", "name": ["", "Services"]}]
    styles = []
    for key, title, *_, show in columns:
        head += [{"id": key, "name": [title, "value"]},
                 *([{"id": f"{key}-tier", "name": [title, "tier"]}] if show else []),
                 {"id": f"{key}-change", "name": [title, "change"]}]
        styles += [*(tier_styles(f"{key}-tier") if show else []),
                   {"if": {"column_id": key, "filter_query": f'{{{key}-muted}} = "yes"'}, "color": BADGE_HEX[NO_TIER]},
                   *[{"if": {"column_id": f"{key}-change", "filter_query": f'{{{key}-tone}} = "{tone}"'},
                      "color": BADGE_HEX[tone]} for tone in sorted(set(CHANGE_TONES.values()))]]
    head += [{"id": "overall", "name": ["Overall tier", "tier"]}, {"id": "overall-was", "name": ["Overall tier", "before"]}]
    styles += tier_styles("overall")
    data, tips = [], []
    for row in rows:
        line = {"id": row["id"], "team": row["team"], "services": row["problem"] or row["services"]}
        tip = {}
        if not row["problem"]:
            for key, _, fmt, unit, reverse, show in columns:
                value, previous, tier, threshold, short, coloured = row["cells"][key]
                cells, said = metric_cells(key, value, fmt, unit, previous, reverse, tier, threshold, show, short, coloured)
                line.update(cells)
                tip.update(said)
            line["overall"] = tier_text(row["overall"])
            tip["overall"] = f"{row['overall']}: the worst of the four tiers" if row["overall"] else "not enough data for a tier"
            line["overall-was"] = f"was {row['overall_previous'] or 'n/a'}" if row.get("overall_moved") else ""
        data.append(line)
        tips.append({column: {"value": text, "type": "text"} for column, text in tip.items()})
    grey = {"color": BADGE_HEX[NO_TIER]}
    table = dash_table.DataTable(
        id="teams-table", columns=head, data=data, tooltip_data=tips, tooltip_delay=0, tooltip_duration=None,
        merge_duplicate_headers=True, sort_action="none", style_table={"overflowX": "auto"},
        style_cell={"textAlign": "left", "padding": "4px 8px", "fontFamily": "var(--bs-body-font-family)", "fontSize": "0.85rem",
                    "backgroundColor": "var(--bs-body-bg)", "color": "var(--bs-body-color)"},
        style_header={"fontWeight": 600, "textAlign": "center"},
        style_cell_conditional=[{"if": {"column_id": "team"}, "fontWeight": 600},
                                {"if": {"column_id": "services"}, **grey, "whiteSpace": "normal", "minWidth": "8rem",
                                 "maxWidth": "16rem"},
                                {"if": {"column_id": "overall-was"}, **grey}],
        style_data_conditional=styles)
    return html.Div([
        table,
        html.Div(f"Changes compare each team with its own previous period ({previous_label}); hover a tier for its "
                 "threshold or why there is none.", className="small text-body-secondary mt-1"),
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
        html.Div("The Team selector and .venv/bin/python -m metrics --team NAME then narrow every number to a team.",
                 className="small"),
    ], color="info", id="teams-howto")


DORA_GUIDE = "https://dora.dev/guides/dora-metrics-four-keys/"
DORA_CAUTION = ("Setting metrics as a goal. Ignoring Goodhart\u2019s law and making broad statements like, \u201cEvery "
                "application must deploy multiple times per day by year\u2019s end,\u201d increases the likelihood that "
                "teams will try to game the metrics.")
DORA_LEVEL = "These metrics are meant to be applied at the application or service level"


def goal_caution() -> html.Div:
    """DORA's caution against turning its metrics into goals, quoted with its source."""
    return html.Div([
        html.Blockquote([html.P(DORA_CAUTION, className="mb-1"), html.P(f"{DORA_LEVEL}.", className="mb-1"),
                         html.Footer(["DORA, ", html.A("DORA\u2019s software delivery metrics: the four keys",
                                                       href=DORA_GUIDE, target="_blank", rel="noopener noreferrer"),
                                      ", \u201cCommon pitfalls\u201d"], className="blockquote-footer mt-1")],
                        className="small mb-1"),
        html.Div("A goal here is a team\u2019s or a service\u2019s, never a person\u2019s: use it to learn where the "
                 "work gets stuck, not to rank or judge anyone.", className="small text-body-secondary"),
    ], id="goals-caution", className="mb-2")


def goals_progress(rows: list, problem: str = "") -> html.Div:
    """The goals' progress on the Teams tab: one line a goal (``rows``: dicts with ``scope`` "team
    payments", ``goal`` its words, ``value`` the current value as text, ``met`` True, False or None
    (n/a), ``left`` days left (negative: past), ``date``, ``reason``), DORA's caution beside them;
    ``problem``: why the alerts file's goals cannot be used (a notice instead of the lines)."""
    if problem:
        body = [dbc.Alert([html.Strong("The goals cannot be shown: "), problem], color="warning", id="goals-problem")]
    elif not rows:
        body = [html.Div("No goals yet: add [[goal]] tables to alerts.toml in the data directory (team or service, "
                         "metric, target, date, reason).", className="small text-body-secondary", id="goals-none")]
    else:
        items = []
        for i, r in enumerate(rows):
            state = "n/a" if r["met"] is None else "met" if r["met"] else "not met"
            colour = BADGE_HEX[NO_TIER if r["met"] is None else "success" if r["met"] else "danger"]
            when = (f"{r['left']} day{'' if r['left'] == 1 else 's'} left" if r["left"] > 0 else "due today"
                    if r["left"] == 0 else f"{-r['left']} day{'' if r['left'] == -1 else 's'} past its date")
            items.append(html.Li([
                html.Strong(f"{r['scope']}: "), f"{r['goal']} by {r['date']} \u00b7 now {r['value']} \u00b7 ",
                html.Span(state, className="fw-semibold goal-state", style={"color": colour}),
                f" \u00b7 {when}", html.Div(r["reason"], className="small text-body-secondary")],
                id=f"goal-{i}", className="mb-1"))
        body = [html.Ul(items, className="list-unstyled mb-1", id="goals-list")]
    return html.Div([html.H6("Goals", className="mb-1"), *body, goal_caution()], id="goals-progress", className="mb-3")
