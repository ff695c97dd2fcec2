"""The page: navbar, controls, tabs, PVM assumptions, content and downloads."""
from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
from dash import dcc, html

from metrics.benchmarks import BASELINES, BENCHMARKS
from metrics.defaults import ANNOTATION_TEXT_MAX, LIVE_POLL_SECONDS
from metrics.ingest.plugin_sources import load_sources
from metrics.registry.source import sources
from metrics.scenarios import AUTO, SCENARIOS, SEED_SCENARIOS
from metrics.teams import TEAM_ORDERS

from .state import ALL_DAYS, DAY_CHOICES, View
from .upload import human_size

log = logging.getLogger(__name__)
TAB_COLOURS = {"dora": "#0d6efd", "space": "#198754", "pvm": "#6f42c1", "ai": "#6610f2", "custom": "#fd7e14",
               "teams": "#b35900"}
TAB_LABELS = {"dora": "DORA", "space": "SPACE", "pvm": "PVM", "ai": "AI", "custom": "Custom", "teams": "Teams"}


def scenario_options() -> list[dict]:
    seeds = {v: k for k, v in SEED_SCENARIOS.items()}
    return [{"label": "auto (from the seed)", "value": AUTO}] + [
        {"label": f"{name} (seed {seeds[name]})", "value": name} for name in SCENARIOS]


SYNTHETIC = ""                        # the data-source value of the synthetic universe


def upload_sources() -> list[tuple[str, str]]:
    """The upload menu's (source, label) pairs: every registered source the form can read (a file,
    no option the form does not ask for), plug-in sources of ``METRICS_PLUGINS`` included (one that
    cannot be loaded is left out, and said in the log), in the registry's order."""
    for problem in load_sources():
        log.warning("upload menu: %s", problem)
    return [(name, spec.title) for name, spec in sources().items() if spec.offered_for_upload]


def source_options(datasets) -> list[dict]:
    """The data-source choices: the synthetic universe, then every stored dataset."""
    return [{"label": "Synthetic universe", "value": SYNTHETIC}] + [
        {"label": f"{d.name} ({d.events:,} events)", "value": d.name} for d in datasets]


def day_options(days, dataset: bool) -> list[dict]:
    """The days list: "All data" for a dataset, the usual windows, and ``days`` (the window shown,
    any whole number the command line takes, or several) in their places among them."""
    windows = sorted((set(DAY_CHOICES) | set(days if isinstance(days, list) else [days])) - {ALL_DAYS})
    return ([{"label": "All data", "value": 0}] if dataset else []) + [{"label": f"{d} day{'s' * (d != 1)}", "value": d} for d in windows]


def controls(defaults: View, datasets=(), may_write: bool = True) -> dbc.Card:
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col([
            dbc.Label("Data", html_for="source-dropdown"),
            dcc.Dropdown(id="source-dropdown", options=source_options(datasets), value=defaults.dataset, clearable=False,
                         searchable=False),
        ], md=3, sm=6),
        dbc.Col([
            dbc.Label("Seed", html_for="seed-input"),
            dbc.InputGroup([
                dbc.Input(id="seed-input", type="text", inputMode="numeric", value=str(defaults.seed), debounce=False,
                          placeholder="e.g. 42"),
                dbc.Button("Refresh", id="refresh-button", color="primary", n_clicks=0),
            ]),
        ], md=3, sm=6, id="seed-col"),
        dbc.Col([
            dbc.Label("Days", html_for="days-dropdown"),
            dcc.Dropdown(id="days-dropdown", options=day_options(defaults.days, bool(defaults.dataset)),
                         value=defaults.days, clearable=False, searchable=True,
                         placeholder="type any number of days"),
        ], md=2, sm=6),
        dbc.Col([
            dbc.Label("Scenario", html_for="scenario-dropdown"),
            dcc.Dropdown(id="scenario-dropdown", options=scenario_options(), value=defaults.scenario, clearable=False,
                         searchable=False),
        ], md=4, sm=6, id="scenario-col"),
        dbc.Col([
            dbc.Label("Dates (first and last day)", html_for="date-range"),
            html.Div(dcc.DatePickerRange(id="date-range", display_format="YYYY-MM-DD", clearable=True,
                                         start_date_placeholder_text="first day", end_date_placeholder_text="last day",
                                         minimum_nights=0)),
        ], md=4, sm=6, id="date-col", style={"display": "none"}),
        # the two filters share a column, so the controls keep their rows
        dbc.Col(dbc.Row([
            dbc.Col([
                dbc.Label("Services", html_for="service-filter"),
                dcc.Dropdown(id="service-filter", options=[], value=list(defaults.only), multi=True,
                             placeholder="All services"),
            ], xs=7),
            dbc.Col([
                dbc.Label("Teams", html_for="team-filter"),
                dcc.Dropdown(id="team-filter", options=[{"label": t, "value": t} for t in defaults.teams],
                             value=list(defaults.teams), multi=True, placeholder="All teams"),
                html.Div(id="team-note", className="small text-body-secondary"),
            ], xs=5),
        ], className="g-2 align-items-end"), md=5, sm=12),
        # a viewer has no upload button (nor anything else of the upload; the server refuses a crafted one anyway)
        *([dbc.Col(dbc.Button("Upload events…", id="upload-toggle", color="secondary", outline=True, n_clicks=0),
                   width="auto")] if may_write else []),
        dbc.Col([
            dbc.Label("Download what is on screen"),
            html.Div(dbc.ButtonGroup([
                dbc.Button("Summary JSON", id="download-json", color="secondary", outline=True, size="sm"),
                dbc.Button("Daily CSV", id="download-daily", color="secondary", outline=True, size="sm"),
                dbc.Button("Weekly CSV", id="download-weekly", color="secondary", outline=True, size="sm"),
                dbc.Button("Deployments CSV", id="download-deployments", color="secondary", outline=True, size="sm"),
                dbc.Button("Incidents CSV", id="download-incidents", color="secondary", outline=True, size="sm"),
                dbc.Button("PRs CSV", id="download-prs", color="secondary", outline=True, size="sm"),
            ])),
        ], width="auto"),
        dbc.Col(html.Div(id="input-message", className="text-danger small mt-2", role="alert", **{"aria-live": "polite"}),
                width=12),
    ], className="g-2 align-items-end")), className="mb-3")


def recent_writes_list(entries) -> html.Div | None:
    """The latest writes of the audit trail (who, when, what, which dataset, how many events)."""
    if not entries:
        return None
    rows = [html.Tr([html.Td(f"{e.at:%Y-%m-%d %H:%M} UTC"), html.Td(e.who), html.Td(e.action), html.Td(e.dataset),
                     html.Td(f"{e.events:+,d}", className="text-end")]) for e in entries]
    return html.Div([
        html.Div("Recent writes (.venv/bin/python -m metrics audit shows them all)", className="small fw-semibold mt-3 mb-1"),
        dbc.Table([html.Thead(html.Tr([html.Th(h) for h in ("When", "Who", "What", "Dataset", "Events")])),
                   html.Tbody(rows)], size="sm", className="small mb-0", id="recent-writes"),
    ])


def upload_panel(limit_bytes: int, recent_writes=()) -> dbc.Collapse:
    """Drag-and-drop upload: the file's kind, the dataset's name, the load report after it is stored;
    below it, the recent writes."""
    return dbc.Collapse(dbc.Card(dbc.CardBody([
        dbc.Row([
            dbc.Col([
                dbc.Label("What the file is", html_for="upload-source"),
                dcc.Dropdown(id="upload-source", options=[{"label": l, "value": v} for v, l in upload_sources()],
                             value="events", clearable=False, searchable=False),
            ], md=3),
            dbc.Col([
                dbc.Label("Dataset name (new or existing)", html_for="upload-name"),
                dbc.Input(id="upload-name", type="text", placeholder="from the file's name", maxLength=64),
            ], md=3),
            dbc.Col([
                dbc.Label("Service of every event (optional)", html_for="upload-service"),
                dbc.Input(id="upload-service", type="text", placeholder="as in the file", maxLength=200),
            ], md=3),
            dbc.Col(html.Div([f"Up to {human_size(limit_bytes)}. Git history: ",
                              html.Code(".venv/bin/python -m metrics import --from git PATH --name NAME")],
                             className="small text-body-secondary"), md=3),
        ], className="g-2 mb-2"),
        dcc.Upload(id="upload", children=html.Div(["Drag and drop a file here, or ", html.A("choose one")]),
                   className="upload-zone", multiple=False),
        html.Div(id="upload-message", className="text-danger small mt-2", role="alert"),
        dcc.Loading(html.Div(id="upload-report", className="mt-2"), type="circle"),
        recent_writes_list(recent_writes),
    ])), id="upload-panel", is_open=False, className="mb-3")


def assumptions_panel(defaults: View) -> dbc.Card:
    def field(label, input_id, value, step):
        return dbc.Col([dbc.Label(label, html_for=input_id),
                        dbc.Input(id=input_id, type="text", inputMode="decimal", value=f"{value:g}", step=step)], md=3, sm=6)
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col(html.Div([html.Strong("PVM assumptions"),
                          html.Div("They change the numbers below, never the events.", className="small text-body-secondary")]),
                md=3, sm=12),
        field("Hourly rate (USD)", "rate-input", defaults.hourly_rate, "any"),
        field("Value per successful deployment (USD)", "value-input", defaults.value_per_deploy, "any"),
        field("Team size (developers, for DTR)", "devs-input", defaults.developers, 1),
        dbc.Col(dbc.Button("Apply", id="apply-assumptions", color="primary", n_clicks=0, className="mt-2"), width="auto"),
    ], className="g-2 align-items-end")), id="assumptions-panel", className="mb-3", style={"display": "none"})


def benchmark_panel(defaults: View) -> dbc.Card:
    """The DORA tab's benchmark: the tier tables or the Quick Check scores, and the published
    Quick Check average the scores are compared with; folded away until asked for (the cards say
    which benchmark judges them)."""
    return dbc.Card([dbc.Button("DORA benchmark: how the cards are judged ▾", id="benchmark-toggle", color="link",
                                size="sm", n_clicks=0, className="text-start"),
                     dbc.Collapse(dbc.CardBody(dbc.Row([
        dbc.Col(html.Div([html.Strong("DORA benchmark"),
                          html.Div("What the cards are judged by; the numbers never change.",
                                   className="small text-body-secondary")]), md=3, sm=12),
        dbc.Col(dbc.RadioItems(id="benchmark-choice", options=[{"label": label, "value": name}
                                                               for name, label in BENCHMARKS.items()],
                               value=defaults.benchmark, inline=True), md=5, sm=12),
        dbc.Col([dbc.Label("Quick Check average to compare with", html_for="baseline-dropdown", className="small mb-0"),
                 dcc.Dropdown(id="baseline-dropdown", options=[{"label": b.title, "value": key}
                                                               for key, b in BASELINES.items()],
                              value=defaults.baseline, clearable=False)], md=4, sm=12),
    ], className="g-2 align-items-center")), id="benchmark-collapse", is_open=False)],
        id="benchmark-panel", className="mb-3", style={"display": "none"})


def teams_panel(defaults: View) -> dbc.Card:
    """The Teams tab's order: by the overall tier or one metric, worst first, or by name."""
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col(dbc.Label("Sort teams by", html_for="teams-order", className="mb-0"), width="auto"),
        dbc.Col(dcc.Dropdown(id="teams-order", options=[{"label": label, "value": value}
                                                        for value, label in TEAM_ORDERS.items()],
                             value=defaults.team_order, clearable=False, searchable=False), md=4, sm=12),
    ], className="g-2 align-items-center")), id="teams-panel", className="mb-3", style={"display": "none"})


def annotation_form() -> html.Div:
    """An editor's form adding an annotation to the open dataset: its day, a service (optional) and
    what happened; the sentence of its outcome goes to ``annotation-report``."""
    return html.Div([
        dbc.Row([
            dbc.Col(dbc.Input(id="annotation-date", type="text", placeholder="YYYY-MM-DD", size="sm",
                              maxLength=10), width=2),
            dbc.Col(dbc.Input(id="annotation-service", type="text", placeholder="service (optional)", size="sm",
                              maxLength=ANNOTATION_TEXT_MAX), width=2),
            dbc.Col(dbc.Input(id="annotation-text", type="text", placeholder="what happened (\u201cmigrated CI\u201d)",
                              size="sm", maxLength=ANNOTATION_TEXT_MAX), width=6),
            dbc.Col(dbc.Button("Add annotation", id="annotation-add", size="sm", color="primary"), width=2),
        ], className="g-2 align-items-center"),
        html.Div(id="annotation-report", className="small mt-1"),
    ], id="annotation-form", className="mb-2")


def drilldown_section(may_write: bool = True) -> html.Div:
    """The deployments, incidents, PRs and annotations behind the DORA numbers: filled when an item is
    opened; an editor's page holds the form adding an annotation."""
    return html.Div(dbc.Accordion([
        dbc.AccordionItem(html.Div(id="drilldown-deployments-body"), title="Deployments behind the numbers",
                          item_id="deployments"),
        dbc.AccordionItem(html.Div(id="drilldown-incidents-body"), title="Incidents behind the numbers",
                          item_id="incidents"),
        dbc.AccordionItem(html.Div(id="drilldown-prs-body"), title="PRs behind lead time", item_id="prs"),
        dbc.AccordionItem([*([annotation_form()] if may_write else []), html.Div(id="drilldown-annotations-body")],
                          title="Annotations on the time charts", item_id="annotations"),
    ], id="drilldown-accordion", always_open=True, start_collapsed=True), id="drilldown", className="drilldown mb-4",
        style={"display": "none"})


def goals_notice(problem: str | None):
    """What the page says when the alerts file's goals cannot be used (None when they can)."""
    if not problem:
        return None
    return dbc.Alert([html.Strong("The goals cannot be drawn: "), problem], color="warning", id="goals-notice",
                     className="mb-3")


def tabs() -> dbc.Tabs:
    return dbc.Tabs([
        dbc.Tab(label=TAB_LABELS[t], tab_id=t, label_style={"color": TAB_COLOURS[t], "fontWeight": 600},
                active_label_style={"color": "#fff", "backgroundColor": TAB_COLOURS[t]}, id=f"tab-{t}")
        for t in TAB_LABELS
    ], id="tabs", active_tab="dora", className="mb-3")


def store_notice(problem: str | None):
    """What the page says when the stored datasets cannot be read (None when they can)."""
    if not problem:
        return None
    return dbc.Alert([html.Strong("Stored datasets are unavailable: "), problem,
                      ". The synthetic universe still works."], color="warning", id="store-notice", className="mb-3")


def alerts_notice(problem: str | None):
    """What the page says when the alerts file cannot be used (None when it can, or there is none)."""
    if not problem:
        return None
    return dbc.Alert([html.Strong("The alerts file cannot be used: "), problem,
                      ". Alerts are not checked until it is fixed (python -m metrics alerts list says the same)."],
                     color="warning", id="alerts-notice", className="mb-3")


def signed_in_as(visitor, csrf: str):
    """The navbar's "signed in as NAME (role)" and its sign-out button (nothing without sign-in)."""
    if visitor is None or not visitor.signed_in:
        return None
    return html.Div([
        html.Span(["Signed in as ", html.Strong(visitor.name, id="signed-in-user"), f" ({visitor.role})"],
                  className="small me-2"),
        html.Form([dcc.Input(type="hidden", name="csrf", value=csrf),
                   html.Button("Sign out", type="submit", id="sign-out", className="btn btn-sm btn-outline-secondary")],
                  action="/logout", method="POST", className="d-inline"),
    ], className="d-flex align-items-center ms-auto me-3")


def page(defaults: View, upload_limit: int, datasets=(), store_problem: str | None = None,
         visitor=None, csrf: str = "", recent_writes=(), goals_problem: str = "",
         alerts_problem: str | None = None) -> html.Div:
    """The whole page; ``datasets`` are the stored datasets the data-source menu lists;
    ``store_problem`` says why they cannot be read, when they cannot (``alerts_problem``: why the
    alerts file cannot be used); ``visitor`` is who is signed
    in (editors see the upload and the ``recent_writes``; a viewer's page holds no part of the upload
    at all, so the callbacks that name those parts never fire there: Dash checks the callbacks
    against the editor's page, the app's ``validation_layout``); ``goals_problem`` says why the
    alerts file's goals cannot be used, when they cannot."""
    may_write = visitor is None or visitor.may_write
    return html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="theme", storage_type="local"),
        dcc.Store(id="content-shape"),
        # live: the open dataset's version is polled; a change (a webhook, a sync, an import) redraws
        dcc.Interval(id="live-poll", interval=LIVE_POLL_SECONDS * 1000, disabled=not defaults.dataset),
        dcc.Store(id="seen-version"),
        dcc.Store(id="data-changed"),
        dcc.Download(id="download"),
        *([dcc.Store(id="upload-limit", data=upload_limit), dcc.Store(id="upload-payload")] if may_write else []),
        dbc.Navbar(dbc.Container([
            html.Span([html.Strong("Engineering metrics"), " · DORA · SPACE · Platform value"], className="navbar-brand"),
            signed_in_as(visitor, csrf),
            dbc.Switch(id="theme-switch", label="Dark theme", value=False, persistence=True, className="mb-0",
                       input_class_name="me-1"),
        ], fluid=True), className="mb-3 border-bottom"),
        dbc.Container([
            store_notice(store_problem),
            goals_notice(goals_problem),
            alerts_notice(alerts_problem),
            html.Div(id="headline", className="mb-3"),
            controls(defaults, datasets, may_write),
            *([upload_panel(upload_limit, recent_writes)] if may_write else []),
            html.Div(id="window-line", className="small text-body-secondary mb-2"),
            html.Div(id="sync-line"),
            tabs(),
            assumptions_panel(defaults),
            benchmark_panel(defaults),
            teams_panel(defaults),
            html.Div(id="kpi-cards"),
            dcc.Loading(html.Div(id="tab-content"), type="default", delay_show=400),
            drilldown_section(may_write),
        ], fluid=True, className="pb-4"),
    ])
