"""Callbacks, registered on the app the factory builds. They only wire: what a change does is
``transitions.transition``, what the page shows is ``render.render``, the files are
``downloads.download``, the computations ``data.Views``. Inputs and outputs are named (Dash's
flexible signatures), so no positional order has to be kept in step; clientside functions live in
assets/dashboard.js.
"""
from __future__ import annotations

import logging
from dataclasses import replace

import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, ctx, html, no_update

from metrics import store
from metrics.defaults import sentence
from metrics.store.annotations import AnnotationError, add_annotation
from metrics.ingest.sync.run import last_runs

from . import downloads
from .auth import may_write, who
from .data import DataError, Views, team_choices, with_marks
from .fields import CONTROLS, FIELDS, RESET_BY_SOURCE, style_key
from .layout import source_options
from .render import COMPUTE_FAILED, render
from .security import CallbackValueError, json_kind, text_value
from .state import ALL_DAYS, View, from_query, to_query
from .tabs import DRILLDOWNS
from .transitions import transition, typed_day_options
from .upload import UploadError, import_upload

log = logging.getLogger(__name__)
CHART = {"type": "chart", "name": ALL}       # every chart on screen

# the main callback's dependencies, by name: each field's control (``fields.CONTROLS``), then what
# the page shows of a view (``render``); a control's id is always its field's declaration's
SOURCE, SERVICE_FILTER, DATE_RANGE, TEAM_FILTER, DAYS = (FIELDS[name].control.id
                                                         for name in ("dataset", "only", "start", "teams", "days"))
CONTROL_OUTPUTS = {
    **{c.key: Output(c.id, c.prop) for c in CONTROLS},
    **{style_key(column): Output(column, "style") for column in dict.fromkeys(c.column for c in CONTROLS if c.column)},
    "day_options": Output(DAYS, "options"),
}
PAGE_OUTPUTS = {
    "search": Output("url", "search"), "message": Output("input-message", "children"),
    "only_options": Output(SERVICE_FILTER, "options"), "min_date": Output(DATE_RANGE, "min_date_allowed"),
    "max_date": Output(DATE_RANGE, "max_date_allowed"), "content": Output("tab-content", "children"),
    "line": Output("window-line", "children"), "panel": Output("assumptions-panel", "style"),
    "shape": Output("content-shape", "data"), "benchmark_panel": Output("benchmark-panel", "style"),
    "teams_panel": Output("teams-panel", "style"),
    "cards": Output("kpi-cards", "children"), "drilldown": Output("drilldown", "style"),
    "sync": Output("sync-line", "children"), "team_options": Output(TEAM_FILTER, "options"),
    "team_placeholder": Output(TEAM_FILTER, "placeholder"), "team_note": Output("team-note", "children"),
    "live": Output("live-poll", "disabled"), "headline": Output("headline", "children"),
    "charts": Output(CHART, "figure"),
}
OUTPUTS = {**CONTROL_OUTPUTS, **PAGE_OUTPUTS}
TRIGGERS = {
    "search": Input("url", "search"), "theme": Input("theme", "data"), "changed": Input("data-changed", "data"),
    "controls": {c.key: Input(c.id, c.prop) for c in CONTROLS if c.live},
    "submits": [Input(*pair) for pair in dict.fromkeys(pair for c in CONTROLS for pair in c.submitted_by)],
}
READS = {
    "typed": {c.key: State(c.id, c.prop) for c in CONTROLS if not c.live}, "shown": State("content-shape", "data"),
    "only_options": State(SERVICE_FILTER, "options"), "min_date": State(DATE_RANGE, "min_date_allowed"),
    "max_date": State(DATE_RANGE, "max_date_allowed"),
}


def outputs(values: dict, charts: list) -> dict:
    """Every named output (no_update where not given), the charts last."""
    return {**{name: values.get(name, no_update) for name in OUTPUTS if name != "charts"}, "charts": charts}


def computed_or_problem(views: Views, view: View, with_teams: bool = False):
    """(the view's analyses, None), or (None, the sentence the page shows instead); ``with_teams``
    adds the Teams tab's comparison when that tab is open (with the view's outline only: that tab
    shows no analysis of the whole data)."""
    try:
        teams = with_teams and view.tab == "teams"
        computed = replace(views.outline(view) if teams else views.compute(view), benchmark=view.benchmark,
                           baseline=view.baseline)
        if teams:
            computed = replace(computed, teams=views.teams(view))
        return with_marks(computed, view, views), None
    except DataError as e:
        return None, str(e)
    except Exception:  # never a crashed page: say so inline and log the cause
        log.exception("could not compute %s", view)
        return None, COMPUTE_FAILED


def sync_runs_of(view: View) -> list:
    """Each source's last sync of the view's dataset ([] for the synthetic universe or when the
    store cannot say)."""
    if not view.dataset:
        return []
    try:
        return last_runs(view.dataset)
    except store.StoreError:
        return []


def main_fields(search, shown) -> None:
    """CallbackValueError (a 400 naming the field) when the main callback's page address is not
    text or the shape on screen (``content-shape``) is not a list of names: the page sends no other."""
    text_value(search, "page's address")
    if shown is not None and not (isinstance(shown, list) and all(isinstance(name, str) for name in shown)):
        raise CallbackValueError(f"The shape of the page on screen must be a list of names; this request sent "
                                 f"{json_kind(shown)}.")


def upload_fields(payload, name, source, service, search) -> tuple[str, str | None]:
    """The upload's file contents and name, once every field of its request is of the type the page
    sends (CallbackValueError naming the first that is not: a 400, before anything is read or stored)."""
    if not isinstance(payload, dict):
        raise CallbackValueError("The upload must arrive as the page sends it (its contents and file name); "
                                 f"this request sent {json_kind(payload)}.")
    contents = text_value(payload.get("contents"), "file", optional=False)
    filename = text_value(payload.get("filename"), "file name")
    for value, field, optional in ((name, "dataset name", True), (source, "kind of file", False),
                                   (service, "service", True), (search, "page's address", True)):
        text_value(value, field, optional)
    return contents, filename


def register(app, defaults: View, upload_limit: int, views: Views) -> None:
    """Wire the page's callbacks on ``app``; ``views`` computes (and caches) this app's views."""

    @app.callback(output=OUTPUTS, inputs=TRIGGERS, state=READS)
    def update(search, theme, changed, controls, submits, typed, shown, only_options, min_date, max_date):
        """One round trip per change: the transition, then the render of the view it leads to."""
        main_fields(search, shown)
        mounted = [o["id"]["name"] for o in ctx.outputs_grouping["charts"]]
        step = transition(ctx.triggered_id, search, {**controls, **typed}, defaults)
        if step.view is None:
            message = {} if step.message is None else {"message": step.message}
            return outputs(message, [no_update] * len(mounted))
        on_screen = {} if step.resend_facts else {"only_options": only_options, "min_date": min_date,
                                                  "max_date": max_date}
        computed, problem = computed_or_problem(views, step.view, with_teams=True)
        rendered, charts = render(step.view, computed, problem, theme, shown, mounted, step.message, on_screen,
                                  sync_runs_of(step.view), team_choices())
        # the version is polled only while a stored dataset is open (the synthetic universe never changes)
        values = {**step.controls, **rendered, "live": not step.view.dataset}
        if step.search is not None:
            values["search"] = step.search
        return outputs(values, charts)

    @app.callback(Output(DAYS, "options", allow_duplicate=True), Input(DAYS, "search_value"),
                  State(DAYS, "options"), prevent_initial_call=True)
    def offer_typed_days(typed, options):
        """Typing a number of days into the days list offers that window ("45" -> "45 days")."""
        return typed_day_options(typed, options) or no_update

    @app.callback(output={"seen": Output("seen-version", "data"), "changed": Output("data-changed", "data")},
                  inputs={"tick": Input("live-poll", "n_intervals")},
                  state={"search": State("url", "search"), "seen": State("seen-version", "data")},
                  prevent_initial_call=True)
    def poll(tick, search, seen):
        """Redraw when the open dataset changed since the page last looked (a webhook, a sync, an
        import): nothing at all while it has not, or when the synthetic universe is open."""
        view, _ = from_query(search, defaults)
        if not view.dataset:                   # (the poll is off then; a tick already on its way ends here)
            return {"seen": no_update, "changed": no_update}
        try:
            # the event count and write generation only: the page never learns the server's paths
            now = [view.dataset, *map(str, store.version(view.dataset)[1:])]
        except store.StoreError:
            return {"seen": no_update, "changed": no_update}
        if now == seen:
            return {"seen": no_update, "changed": no_update}
        first_look = not seen or seen[0] != view.dataset
        return {"seen": now, "changed": no_update if first_look else now}

    @app.callback(
        output={item: Output(f"drilldown-{item}-body", "children") for item in DRILLDOWNS},
        inputs={"opened": Input("drilldown-accordion", "active_item"), "line": Input("window-line", "children")},
        state={"search": State("url", "search")}, prevent_initial_call=True,
    )
    def drilldown(opened, line, search):
        """The drill-down tables of the view, built only for the items that are open. It follows the
        window line, so it runs after the main callback has computed (and cached) the view."""
        opened = opened or []
        view, _ = from_query(search, defaults)
        if not opened or view.tab != "dora":      # shown on the DORA tab only (its line changes on the way back)
            return {item: no_update for item in DRILLDOWNS}
        computed, problem = computed_or_problem(views, view)
        if computed is None:
            return {item: problem for item in DRILLDOWNS}
        return {item: build(computed) if item in opened else no_update for item, build in DRILLDOWNS.items()}

    @app.callback(
        output={"report": Output("annotation-report", "children"),
                "changed": Output("data-changed", "data", allow_duplicate=True),
                "text": Output("annotation-text", "value")},
        inputs={"clicks": Input("annotation-add", "n_clicks")},
        state={"day": State("annotation-date", "value"), "service": State("annotation-service", "value"),
               "text": State("annotation-text", "value"), "search": State("url", "search")},
        prevent_initial_call=True,
    )
    def annotate(clicks, day, service, text, search):
        """An editor adds an annotation to the open dataset: stored with its author in the audit
        trail, then every chart is drawn again; a sentence saying why when it cannot be."""
        for value, field in ((day, "annotation's date"), (service, "annotation's service"), (text, "annotation's text")):
            text_value(value, field)
        view, _ = from_query(text_value(search, "page's address") or "", defaults)
        refused = {"changed": no_update, "text": no_update}
        if not may_write():
            log.warning("refused an annotation from %s: not an editor", who())
            return {**refused, "report": html.Span("Only editors add annotations.", className="text-danger",
                                                   id="annotation-error")}
        if not view.dataset:
            return {**refused, "report": html.Span("Annotations belong to a stored dataset: open one first (the "
                                                   "synthetic universe has none).", className="text-danger",
                                                   id="annotation-error")}
        try:
            added = add_annotation(view.dataset, day if day is not None else "", text if text is not None else "",
                                   service, who=who())
        except AnnotationError as e:
            return {**refused, "report": html.Span(sentence(e), className="text-danger", id="annotation-error")}
        except store.StoreError as e:
            log.warning("annotation not stored: %s", e)
            return {**refused, "report": html.Span("The annotation could not be stored; the error is in the server "
                                                   "log.", className="text-danger", id="annotation-error")}
        return {"report": html.Span(f"Added \u201c{added.text}\u201d on {added.day}.", className="text-success",
                                    id="annotation-added"),
                "changed": ["annotation", added.id], "text": ""}

    @app.callback(output=Output("benchmark-collapse", "is_open"), inputs={"clicks": Input("benchmark-toggle", "n_clicks")},
                  state={"is_open": State("benchmark-collapse", "is_open")}, prevent_initial_call=True)
    def toggle_benchmark(clicks, is_open):
        return not is_open

    @app.callback(output=Output("upload-panel", "is_open"), inputs={"clicks": Input("upload-toggle", "n_clicks")},
                  state={"is_open": State("upload-panel", "is_open")}, prevent_initial_call=True)
    def toggle_upload(clicks, is_open):
        return not is_open

    app.clientside_callback(
        ClientsideFunction(namespace="metrics", function_name="checkUpload"),
        Output("upload-payload", "data"), Output("upload-message", "children"),
        Input("upload", "contents"), State("upload", "filename"), State("upload-limit", "data"),
    )

    @app.callback(
        output={"report": Output("upload-report", "children"), "search": Output("url", "search", allow_duplicate=True),
                "sources": Output(SOURCE, "options"), "contents": Output("upload", "contents")},
        inputs={"payload": Input("upload-payload", "data")},
        state={"name": State("upload-name", "value"), "source": State("upload-source", "value"),
               "service": State("upload-service", "value"), "search": State("url", "search")},
        prevent_initial_call=True,
    )
    def upload(payload, name, source, service, search):
        """Import the dropped file into a dataset, show its load report (as text) and open the dataset."""
        nothing = {"report": no_update, "search": no_update, "sources": no_update, "contents": no_update}
        if payload is None:
            return nothing
        if not may_write():
            # enforced here, on the server: a viewer who crafts the request stores nothing
            log.warning("refused an upload from %s: not an editor", who())
            return {**nothing, "contents": None,
                    "report": dbc.Alert("Only editors can upload; you can read everything. Ask an editor or the "
                                        "dashboard's operator for the editor role.", color="danger", id="upload-error")}
        contents, filename = upload_fields(payload, name, source, service, search)
        try:
            done = import_upload(contents, filename, name, source, upload_limit, service, who=who())
        except UploadError as e:
            return {**nothing, "contents": None,
                    "report": dbc.Alert(html.Pre(str(e), className="load-report"), color="danger", id="upload-error")}
        except Exception:
            log.exception("upload failed")
            return {**nothing, "contents": None,
                    "report": dbc.Alert("The upload could not be imported; the error is in the server log.",
                                        color="danger")}
        current, _ = from_query(search, defaults)
        opened = replace(current, **RESET_BY_SOURCE, dataset=done.dataset, days=ALL_DAYS)
        report = dbc.Alert([html.Div(f"Stored in dataset {done.dataset}; the dashboard now shows it.", className="fw-semibold"),
                            html.Pre("\n".join(done.lines()), className="load-report", id="upload-report-text")],
                           color="success" if not done.report.rejected_count else "warning")
        # the new dataset's option arrives with the URL that selects it (a dropdown drops values it does not list)
        return {"report": report, "search": to_query(opened, defaults), "sources": source_options(store.list_datasets()),
                "contents": None}

    app.clientside_callback(
        ClientsideFunction(namespace="metrics", function_name="applyTheme"),
        Output("theme", "data"), Input("theme-switch", "value"),
    )

    @app.callback(
        output=Output("download", "data"),
        inputs={"buttons": [Input(button, "n_clicks") for button in ("download-json", *downloads.BUTTONS)]},
        state={"search": State("url", "search")}, prevent_initial_call=True,
    )
    def download(buttons, search):
        """What is on screen: the summary as JSON, the daily, weekly, deployment and incident tables as CSV."""
        view, _ = from_query(search, defaults)
        computed, _ = computed_or_problem(views, view)
        if computed is None:
            return no_update
        return downloads.download(ctx.triggered_id, view, computed.current)
