"""What the page shows for a view: (View, its computed analyses, the theme, what is on screen) ->
the named outputs of the main callback and the figures of the charts on screen. Pure: no Dash
call, so it is unit-tested without a browser.

Charts of the same shape stay mounted and only get new figures (Plotly redraws them in place);
otherwise the tab's charts are built anew. What the page already shows (the filter's choices, the
date bounds, the panels of an unchanged tab) is not resent.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html, no_update

from components.panels import content, figures, shape
from components.sync_status import sync_status

from components.kpi import headline_box

from .data import Computed
from .headline import headline
from .tabs import TAB_VIEWS
from .transitions import HIDDEN, SHOWN

COMPUTE_FAILED = "These metrics could not be computed; the error is in the server log."


def team_facts(view, choices: tuple) -> dict:
    """The Team selector's choices (the teams file's, plus any chosen team it lacks, so a link's
    unknown team stays visible), its placeholder, and the line under it when the file is unusable."""
    names, problem = choices
    unknown = [t for t in view.teams if t not in names]
    options = [{"label": t, "value": t} for t in names] + [{"label": f"{t} (not in the teams file)", "value": t}
                                                           for t in unknown]
    placeholder = "All teams" if names else ("Teams file unusable" if problem else "No teams file (see Teams)")
    return {"team_options": options, "team_placeholder": placeholder,
            "team_note": "The teams file cannot be used: see the Teams tab." if problem else ""}


def window_facts(view, c: Computed) -> dict:
    """The line under the controls saying what is shown, the service filter's choices and the
    date picker's bounds."""
    w = c.window
    last = (w.end - pd.Timedelta(days=1)).date()
    n = len(c.services)
    services = (", ".join(view.only) + " only (team-level events kept)" if view.only
                else f"all {n} service{'' if n == 1 else 's'}")
    if view.teams:
        services = (f"team{'s' if len(view.teams) > 1 else ''} {', '.join(view.teams)}"
                    + (f" plus {', '.join(view.only)}" if view.only else "") + " (as --team)")
    if view.tab == "teams":
        services = "each team as .venv/bin/python -m metrics --team NAME computes it (the service filter does not apply)"
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


def render(view, computed: Computed | None, problem: str | None, theme, shown, mounted: list, message: str,
           on_screen: dict, sync_runs: list = (), team_choices: tuple = ((), "")) -> tuple[dict, list]:
    """The named outputs and the figure of each chart in ``mounted`` (no_update where unchanged).

    ``computed`` is the view's analyses, or None with ``problem`` saying why it could not be
    computed (a sentence for the page). ``shown`` is the shape of the tab on screen, ``on_screen``
    what the page shows of the data already (filter choices, date bounds), ``sync_runs`` each
    source's last sync of the dataset (the live-sync line), ``team_choices`` the teams file's team
    names and why it cannot be read ("" when it can).
    """
    theme = "dark" if theme == "dark" else "light"
    out = {"panel": {"display": "block"} if view.tab == "pvm" else {"display": "none"},
           "benchmark_panel": {"display": "block"} if view.tab == "dora" else {"display": "none"},
           "teams_panel": {"display": "block"} if view.tab == "teams" else {"display": "none"}, "message": message,
           "sync": sync_status(list(sync_runs)), **team_facts(view, team_choices)}
    unchanged = [no_update] * len(mounted)
    if computed is None:
        colour = "danger" if problem == COMPUTE_FAILED else "warning"
        return {**out, "content": dbc.Alert(problem, color=colour), "line": "", "shape": None, "cards": "",
                "drilldown": HIDDEN, "headline": ""}, unchanged
    cards, charts = TAB_VIEWS[view.tab](computed, theme)
    if computed.goal_problem:
        out["message"] = (message + " The goals of the alerts file are not drawn: " + computed.goal_problem).strip()
    unknown = [s for s in view.only if s not in computed.services]
    if unknown:
        out["message"] = (message + f" No service named \u201c{unknown[0][:60]}\u201d in this data.").strip()
    out.update({k: v for k, v in window_facts(view, computed).items() if k not in on_screen or on_screen[k] != v})
    now = shape(view.tab, charts)
    # an outline (the Teams tab) analyses no period of the whole data: no headline
    said = headline_box(headline(computed)) if computed.current is not None else ""
    out.update(shape=now, cards=html.Div(cards, className=f"cards-{view.tab}"), headline=said,
               drilldown=SHOWN if view.tab == "dora" else HIDDEN)
    if shown and shown[0] == view.tab:
        del out["panel"], out["drilldown"], out["benchmark_panel"], out["teams_panel"]   # the same tab: its panels stay as they are
    if now == shown:
        new = figures(charts)
        return out, [new.get(name, no_update) for name in mounted]
    out["content"] = content(view.tab, charts)
    return out, unchanged
