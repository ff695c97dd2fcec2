"""Callbacks, registered on the app the factory builds. The URL is the state: controls write it,
a URL (link, back/forward) sets the controls, and the content always follows, in one round trip."""
from __future__ import annotations

import json
import logging

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
import dash_bootstrap_components as dbc

from .data import compute
from .state import View, from_query, to_query, validate
from .views import TAB_VIEWS, content, figures, shape

log = logging.getLogger(__name__)
CHART = {"type": "chart", "name": ALL}       # every chart on screen


def register(app, defaults: View, day_choices) -> None:
    @app.callback(
        Output("url", "search"), Output("seed-input", "value"), Output("days-dropdown", "value"),
        Output("scenario-dropdown", "value"), Output("tabs", "active_tab"), Output("rate-input", "value"),
        Output("value-input", "value"), Output("devs-input", "value"), Output("input-message", "children"),
        Output("tab-content", "children"), Output("window-line", "children"), Output("assumptions-panel", "style"),
        Output("content-shape", "data"), Output("kpi-cards", "children"), Output(CHART, "figure"),
        Input("url", "search"), Input("refresh-button", "n_clicks"), Input("seed-input", "n_submit"),
        Input("days-dropdown", "value"), Input("scenario-dropdown", "value"), Input("tabs", "active_tab"),
        Input("apply-assumptions", "n_clicks"), Input("rate-input", "n_submit"), Input("value-input", "n_submit"),
        Input("devs-input", "n_submit"), Input("theme", "data"),
        State("seed-input", "value"), State("rate-input", "value"), State("value-input", "value"),
        State("devs-input", "value"), State("content-shape", "data"),
    )
    def update(search, _refresh, _enter, days, scenario, tab, _apply, _r, _v, _d, theme, seed, rate, value, devs, shown):
        """One round trip per change. A control change is validated and written to the URL; the URL
        (first load, a shared link, back/forward) sets the controls; either way the content follows.
        Invalid input changes nothing but the message: the last good dashboard stays."""
        trigger = ctx.triggered_id
        mounted = [o["id"]["name"] for o in ctx.outputs_list[-1]]      # charts on screen now
        if trigger in (None, "url", "theme"):
            # the theme store is set on page load too, so it takes the URL's path: controls follow the URL
            view, errors = from_query(search, defaults, day_choices)
            controls = (str(view.seed), view.days, view.scenario, view.tab, f"{view.hourly_rate:g}",
                        f"{view.value_per_deploy:g}", str(view.developers))
            return (no_update, *controls, " ".join(errors), *render(view, theme, shown, mounted))
        current, _ = from_query(search, defaults, day_choices)
        view, errors = validate(seed, days, scenario, tab, current.services, current.team_size, rate, value, devs,
                                day_choices=day_choices)
        if view is None:
            return ((no_update,) * 8 + (" ".join(errors) + " The dashboard still shows the last valid input.",)
                    + (no_update,) * 5 + ([no_update] * len(mounted),))
        query = to_query(view, defaults)
        return (query if query != (search or "") else no_update,) + (no_update,) * 7 + ("",) + render(view, theme, shown, mounted)

    def render(view: View, theme, shown, mounted: list) -> tuple:
        """The active tab's cards and figures, from one cached computation of the view. When the
        charts on screen have the same shape, they stay mounted and only get new figures (Plotly
        redraws them in place); otherwise the tab's charts are built anew."""
        theme = "dark" if theme == "dark" else "light"
        panel_style = {"display": "block"} if view.tab == "pvm" else {"display": "none"}
        try:
            computed = compute(view)
            cards, charts = TAB_VIEWS[view.tab](computed, theme)
        except Exception:  # never a crashed page: say so inline and log the cause
            log.exception("could not compute %s", view)
            return (dbc.Alert("These metrics could not be computed; the error is in the server log.", color="danger"), "",
                    panel_style, None, "", [no_update] * len(mounted))
        w = computed.current.window
        line = (f"Window {w.start.date()} to {w.end.date()} ({w.days} days, UTC) · seed {view.seed} ({computed.profile}) · "
                f"{view.services} services, team of {view.team_size} · changes compare with the previous {w.days} days")
        now = shape(view.tab, charts)
        cards = html.Div(cards, className=f"cards-{view.tab}")
        if now == shown:
            new = figures(charts)
            return no_update, line, panel_style, now, cards, [new.get(name, no_update) for name in mounted]
        return content(view.tab, charts), line, panel_style, now, cards, [no_update] * len(mounted)

    app.clientside_callback(
        """function(dark) {
            const theme = dark ? 'dark' : 'light';
            document.documentElement.setAttribute('data-bs-theme', theme);
            return theme;
        }""",
        Output("theme", "data"), Input("theme-switch", "value"),
    )

    @app.callback(
        Output("download", "data"),
        Input("download-json", "n_clicks"), Input("download-daily", "n_clicks"), Input("download-weekly", "n_clicks"),
        State("url", "search"), prevent_initial_call=True,
    )
    def download(_json, _daily, _weekly, search):
        """What is on screen: the summary as JSON, the daily and weekly tables as CSV."""
        view, _ = from_query(search, defaults, day_choices)
        an = compute(view).current
        stem = f"metrics-seed{view.seed}-{view.days}d-{an.window.end.date()}"
        if ctx.triggered_id == "download-json":
            return dcc.send_string(json.dumps(an.summary, indent=2), f"{stem}-summary.json")
        if ctx.triggered_id == "download-daily":
            return dcc.send_data_frame(an.daily.to_csv, f"{stem}-daily.csv", index=False)
        return dcc.send_data_frame(an.weekly.to_csv, f"{stem}-weekly.csv", index=False)
