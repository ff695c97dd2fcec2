"""Callbacks, registered on the app the factory builds. The URL is the state: controls write it,
a URL (link, back/forward) sets the controls, and the content always follows, in one round trip."""
from __future__ import annotations

import json
import logging
from dataclasses import replace

from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
import dash_bootstrap_components as dbc

from metrics import store

from .data import DataError, compute
from .layout import day_options, source_options
from .state import ALL_DAYS, View, from_query, to_query, validate
from .upload import UploadError, import_upload
from .views import TAB_VIEWS, content, drilldown_deployments, drilldown_incidents, figures, shape, window_facts

log = logging.getLogger(__name__)
CHART = {"type": "chart", "name": ALL}       # every chart on screen
SHOWN, HIDDEN = {}, {"display": "none"}

# the main callback's outputs, by name; the charts (a pattern-matching list) come last
OUTPUTS = {
    "search": Output("url", "search"), "seed": Output("seed-input", "value"), "days": Output("days-dropdown", "value"),
    "day_options": Output("days-dropdown", "options"), "scenario": Output("scenario-dropdown", "value"),
    "tab": Output("tabs", "active_tab"), "rate": Output("rate-input", "value"), "value": Output("value-input", "value"),
    "devs": Output("devs-input", "value"), "source": Output("source-dropdown", "value"),
    "only": Output("service-filter", "value"), "only_options": Output("service-filter", "options"),
    "start": Output("date-range", "start_date"), "end": Output("date-range", "end_date"),
    "min_date": Output("date-range", "min_date_allowed"), "max_date": Output("date-range", "max_date_allowed"),
    "seed_style": Output("seed-col", "style"), "scenario_style": Output("scenario-col", "style"),
    "date_style": Output("date-col", "style"), "message": Output("input-message", "children"),
    "content": Output("tab-content", "children"), "line": Output("window-line", "children"),
    "panel": Output("assumptions-panel", "style"), "shape": Output("content-shape", "data"),
    "cards": Output("kpi-cards", "children"), "drilldown": Output("drilldown", "style"),
}


def _outputs(values: dict, charts: list) -> tuple:
    """The callback's return value: every named output (no_update when not given), then the charts."""
    return tuple(values.get(name, no_update) for name in OUTPUTS) + (charts,)


def controls_of(view: View, day_choices) -> dict:
    """The control values (and which controls show) that display ``view``."""
    return {"seed": str(view.seed), "days": view.days, "day_options": day_options(day_choices, bool(view.dataset)),
            "scenario": view.scenario, "tab": view.tab, "rate": f"{view.hourly_rate:g}",
            "value": f"{view.value_per_deploy:g}", "devs": str(view.developers), "source": view.dataset,
            "only": list(view.only), "start": view.start or None, "end": view.end or None,
            "seed_style": HIDDEN if view.dataset else SHOWN, "scenario_style": HIDDEN if view.dataset else SHOWN,
            "date_style": SHOWN if view.dataset else HIDDEN}


def register(app, defaults: View, day_choices, upload_limit: int) -> None:
    @app.callback(
        *OUTPUTS.values(), Output(CHART, "figure"),
        Input("url", "search"), Input("refresh-button", "n_clicks"), Input("seed-input", "n_submit"),
        Input("days-dropdown", "value"), Input("scenario-dropdown", "value"), Input("tabs", "active_tab"),
        Input("apply-assumptions", "n_clicks"), Input("rate-input", "n_submit"), Input("value-input", "n_submit"),
        Input("devs-input", "n_submit"), Input("theme", "data"), Input("source-dropdown", "value"),
        Input("service-filter", "value"), Input("date-range", "start_date"), Input("date-range", "end_date"),
        State("seed-input", "value"), State("rate-input", "value"), State("value-input", "value"),
        State("devs-input", "value"), State("content-shape", "data"), State("service-filter", "options"),
        State("date-range", "min_date_allowed"), State("date-range", "max_date_allowed"),
    )
    def update(search, _refresh, _enter, days, scenario, tab, _apply, _r, _v, _d, theme, source, only, start, end,
               seed, rate, value, devs, shown, only_options, min_date, max_date):
        """One round trip per change. A control change is validated and written to the URL; the URL
        (first load, a shared link, back/forward) sets the controls; either way the content follows.
        Invalid input changes nothing but the message: the last good dashboard stays."""
        trigger = ctx.triggered_id
        mounted = [o["id"]["name"] for o in ctx.outputs_list[-1]]      # charts on screen now
        if trigger in (None, "url", "theme"):
            # the theme store is set on page load too, so it takes the URL's path: controls follow the URL
            view, errors = from_query(search, defaults, day_choices)
            rendered, charts = render(view, theme, shown, mounted, " ".join(errors), {})
            return _outputs({**controls_of(view, day_choices), **rendered}, charts)
        if trigger == "source-dropdown" and source is None:
            return _outputs({}, [no_update] * len(mounted))     # the dropdown dropped a dataset it does not list
        current, _ = from_query(search, defaults, day_choices)
        if trigger == "source-dropdown":
            # another data source: its own window, no filters (a dataset opens on all its data)
            days = ALL_DAYS if source else (current.days or defaults.days or View.days)
            only, start, end = (), "", ""
        if trigger == "days-dropdown":
            start, end = "", ""                           # days picks the window: a date range would override it
        view, errors = validate(seed, days, scenario, tab, current.services, current.team_size, rate, value, devs,
                                dataset=source, only=only, start=start, end=end, day_choices=day_choices)
        if view is None:
            message = " ".join(errors) + " The dashboard still shows the last valid input."
            return _outputs({"message": message}, [no_update] * len(mounted))
        query = to_query(view, defaults)
        # the controls already show what was chosen; only a new data source resets some of them
        controls = controls_of(view, day_choices) if trigger == "source-dropdown" else {}
        if trigger == "days-dropdown" and current.start + current.end:
            controls.update(start=None, end=None)
        on_screen = {"only_options": only_options, "min_date": min_date, "max_date": max_date}
        rendered, charts = render(view, theme, shown, mounted, "", on_screen)
        return _outputs({**controls, **rendered, "search": query if query != (search or "") else no_update}, charts)

    def render(view: View, theme, shown, mounted: list, message: str, on_screen: dict) -> tuple[dict, list]:
        """The active tab's cards and figures, from one cached computation of the view. When the
        charts on screen have the same shape, they stay mounted and only get new figures (Plotly
        redraws them in place); otherwise the tab's charts are built anew. Returns the named
        outputs and the chart figures (one per chart on screen). What ``on_screen`` already shows
        (the filter's choices, the date bounds) and the styles of an unchanged tab are not resent."""
        theme = "dark" if theme == "dark" else "light"
        out = {"panel": {"display": "block"} if view.tab == "pvm" else {"display": "none"}, "message": message}
        unchanged = [no_update] * len(mounted)
        try:
            computed = compute(view)
            cards, charts = TAB_VIEWS[view.tab](computed, theme)
        except DataError as e:
            return {**out, "content": dbc.Alert(str(e), color="warning"), "line": "", "shape": None, "cards": "",
                    "drilldown": HIDDEN}, unchanged
        except Exception:  # never a crashed page: say so inline and log the cause
            log.exception("could not compute %s", view)
            return {**out, "content": dbc.Alert("These metrics could not be computed; the error is in the server log.",
                                                color="danger"), "line": "", "shape": None, "cards": "", "drilldown": HIDDEN}, unchanged
        unknown = [s for s in view.only if s not in computed.services]
        if unknown:
            out["message"] = (message + f" No service named \u201c{unknown[0][:60]}\u201d in this data.").strip()
        out.update({k: v for k, v in window_facts(view, computed).items() if k not in on_screen or on_screen[k] != v})
        now = shape(view.tab, charts)
        out.update(shape=now, cards=html.Div(cards, className=f"cards-{view.tab}"),
                   drilldown=SHOWN if view.tab == "dora" else HIDDEN)
        if shown and shown[0] == view.tab:
            del out["panel"], out["drilldown"]             # the same tab: its panels stay as they are
        if now == shown:
            new = figures(charts)
            return out, [new.get(name, no_update) for name in mounted]
        out["content"] = content(view.tab, charts)
        return out, unchanged

    @app.callback(
        Output("drilldown-deployments-body", "children"), Output("drilldown-incidents-body", "children"),
        Input("drilldown-accordion", "active_item"), Input("window-line", "children"), State("url", "search"),
        prevent_initial_call=True,
    )
    def drilldown(opened, _line, search):
        """The drill-down tables of the view, built only for the items that are open. It follows the
        window line, so it runs after the main callback has computed (and cached) the view."""
        opened = opened or []
        if not opened:
            return no_update, no_update
        view, _ = from_query(search, defaults, day_choices)
        try:
            computed = compute(view)
        except DataError as e:
            return str(e), str(e)
        return (drilldown_deployments(computed) if "deployments" in opened else no_update,
                drilldown_incidents(computed) if "incidents" in opened else no_update)

    @app.callback(Output("upload-panel", "is_open"), Input("upload-toggle", "n_clicks"), State("upload-panel", "is_open"),
                  prevent_initial_call=True)
    def toggle_upload(_clicks, is_open):
        return not is_open

    # the size check runs in the browser, so a file over the limit is never sent
    app.clientside_callback(
        """function(contents, filename, limit) {
            if (!contents) { return [window.dash_clientside.no_update, window.dash_clientside.no_update]; }
            const data = contents.slice(contents.indexOf(',') + 1);
            const bytes = Math.floor(data.length * 3 / 4);
            if (bytes > limit) {
                const size = (n) => n >= 1048576 ? (n / 1048576).toFixed(1) + ' MB' : Math.ceil(n / 1024) + ' KB';
                return [null, '\u201c' + filename + '\u201d is ' + size(bytes) + ', over the upload limit of ' +
                        size(limit) + '. Import it with python -m metrics import instead.'];
            }
            return [{contents: contents, filename: filename}, ''];
        }""",
        Output("upload-payload", "data"), Output("upload-message", "children"),
        Input("upload", "contents"), State("upload", "filename"), State("upload-limit", "data"),
    )

    @app.callback(
        Output("upload-report", "children"), Output("url", "search", allow_duplicate=True),
        Output("source-dropdown", "options"), Output("upload", "contents"),
        Input("upload-payload", "data"), State("upload-name", "value"), State("upload-source", "value"),
        State("upload-service", "value"), State("url", "search"), prevent_initial_call=True,
    )
    def upload(payload, name, source, service, search):
        """Import the dropped file into a dataset, show its load report (as text) and open the dataset."""
        if not payload:
            return no_update, no_update, no_update, no_update
        try:
            done = import_upload(payload.get("contents"), payload.get("filename"), name, source, upload_limit, service)
        except UploadError as e:
            return (dbc.Alert(html.Pre(str(e), className="load-report"), color="danger", id="upload-error"),
                    no_update, no_update, None)
        except Exception:
            log.exception("upload failed")
            return dbc.Alert("The upload could not be imported; the error is in the server log.", color="danger"), \
                no_update, no_update, None
        current, _ = from_query(search, defaults, day_choices)
        opened = replace(current, dataset=done.dataset, days=ALL_DAYS, only=(), start="", end="")
        report = dbc.Alert([html.Div(f"Stored in dataset {done.dataset}; the dashboard now shows it.", className="fw-semibold"),
                            html.Pre("\n".join(done.lines()), className="load-report", id="upload-report-text")],
                           color="success" if not done.report.rejected_count else "warning")
        # the new dataset's option arrives with the URL that selects it (a dropdown drops values it does not list)
        return report, to_query(opened, defaults), source_options(store.list_datasets()), None

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
        Input("download-deployments", "n_clicks"), Input("download-incidents", "n_clicks"),
        State("url", "search"), prevent_initial_call=True,
    )
    def download(_json, _daily, _weekly, _deploys, _incidents, search):
        """What is on screen: the summary as JSON, the daily, weekly, deployment and incident tables as CSV."""
        view, _ = from_query(search, defaults, day_choices)
        try:
            an = compute(view).current
        except DataError:
            return no_update
        source = f"{view.dataset}" if view.dataset else f"seed{view.seed}"
        stem = f"metrics-{source}-{an.window.days}d-{an.window.end.date()}"
        tables = {"download-daily": ("daily", lambda: an.daily), "download-weekly": ("weekly", lambda: an.weekly),
                  "download-deployments": ("deployments", lambda: an.deployments),
                  "download-incidents": ("incidents", lambda: an.incidents)}
        if ctx.triggered_id == "download-json":
            return dcc.send_string(json.dumps(an.summary, indent=2), f"{stem}-summary.json")
        name, table = tables[ctx.triggered_id]
        return dcc.send_data_frame(table().to_csv, f"{stem}-{name}.csv", index=False)
