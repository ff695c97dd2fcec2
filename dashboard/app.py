"""The app factory and ``python app.py``."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

import flask
from dash import Dash
from werkzeug.middleware.proxy_fix import ProxyFix

from metrics import defaults as metrics_defaults
from metrics import benchmarks, store
from metrics.store import database
from metrics.cli import Parser, UsageError, add_universe_arguments, whole_argument
from metrics.cli import run as print_summary

from . import api, auth, callbacks, security, webhooks
from .data import Views, all_goals
from .layout import page
from .state import ALL_DAYS, View
from .upload import MAX_UPLOAD_BYTES, human_size

BOOTSTRAP_CSS = files("flask_bootstrap") / "static" / "bootstrap5" / "css" / "bootstrap.min.css"
CSS_ROUTE = "/vendor/bootstrap/bootstrap.min.css"
log = logging.getLogger(__name__)
# /health's 503 sentence (anyone may ask: the database's host and name are in the server's log only)
HEALTH_DOWN = "the database does not answer; this server's log says which and why (it answers again once the database does)"
ASSETS = Path(__file__).resolve().parent.parent / "assets"


def benchmark_defaults(view: View, environ=None) -> View:
    """``view`` with the DORA benchmark and Quick Check baseline of ``METRICS_BENCHMARK`` and
    ``METRICS_BASELINE`` when they are set; AuthConfigError (a setting the server cannot start
    with) naming the variable when one is not a benchmark or baseline."""
    environ = os.environ if environ is None else environ
    chosen = {}
    for variable, field, check in (("METRICS_BENCHMARK", "benchmark", benchmarks.benchmark),
                                   ("METRICS_BASELINE", "baseline", benchmarks.baseline)):
        text = environ.get(variable, "").strip()
        if text:
            try:
                check(text)
            except benchmarks.BenchmarkError as e:
                raise auth.AuthConfigError(f"{variable}: {e}") from None
            chosen[field] = text
    return replace(view, **chosen)


class AlertsNotice:
    """Why the alerts file (and the teams file it names teams of) cannot be used, checked at start
    and again when either file changes (``metrics.alerting.check_at_start``); never a failed start."""

    def __init__(self):
        self.token, self.said = None, None

    def problem(self) -> str | None:
        from metrics.alerting import check_at_start
        from metrics.alerting.file import alerts_path
        from metrics.settings_files import file_token
        from metrics.teams import teams_path
        token = (file_token(alerts_path(store.data_dir())), file_token(teams_path(store.data_dir())))
        if token != self.token:
            self.token, self.said = token, check_at_start(store.data_dir())
            if self.said:
                log.warning("alerts file: %s", self.said)
        return self.said


def create_app(defaults: View | None = None, upload_limit: int = MAX_UPLOAD_BYTES, views: Views | None = None,
               bound_host: str | None = None, auth_settings: auth.AuthSettings | None = None) -> Dash:
    """A new Dash app whose dashboard opens on ``defaults`` (callbacks registered on this app);
    uploads are limited to ``upload_limit`` bytes. ``views`` computes and caches the views (a new
    one per app by default: two apps share nothing). ``auth_settings`` (default: from the
    environment, ``auth.settings_from_env``) says who may sign in; AuthConfigError when they are wrong."""
    defaults = benchmark_defaults(defaults or View())
    settings = auth_settings or auth.settings_from_env()
    server = flask.Flask(__name__)
    # uploads arrive base64-encoded inside a JSON callback request: 4/3 of the file plus room for the rest
    server.config["MAX_CONTENT_LENGTH"] = upload_limit * 4 // 3 + 1024 * 1024

    @server.errorhandler(413)
    def too_large(_error):
        return flask.Response(f"The request is too large: uploads are limited to {human_size(upload_limit)} "
                              "(METRICS_MAX_UPLOAD_MB). "
                              "Import bigger files with: .venv/bin/python -m metrics import --from SOURCE FILE --name DATASET\n",
                              status=413, mimetype="text/plain")

    @server.route("/health")
    def health():
        # polled by load balancers: one query on a pooled connection, 503 while the shared database does not
        # answer; a SQLite file is this host's own (a damaged one is said on the page; another host would not help)
        problem = store.health() if database.configured() is not None else ""
        if problem:           # the database's host and name go to the log only: /health answers anyone
            log.warning("health check: %s", problem)
            return api.reply({"status": "unavailable", "error": HEALTH_DOWN}, status=503)
        return api.reply({"status": "ok"})

    @server.route(CSS_ROUTE)
    def bootstrap_css():
        # Bootstrap 5.3 from the Bootstrap-Flask wheel: the page is styled with no internet
        return flask.Response(BOOTSTRAP_CSS.read_bytes(), mimetype="text/css",
                              headers={"Cache-Control": "public, max-age=86400"})

    app = Dash(__name__, server=server, title="Engineering metrics: DORA, SPACE, PVM",
               external_stylesheets=[CSS_ROUTE], assets_folder=str(ASSETS),
               serve_locally=True, update_title=None)

    alerts_notice = AlertsNotice()
    alerts_notice.problem()                     # the alerts file is checked at start (a broken one: a notice)

    def layout():
        # built per page load, so the data-source menu lists the datasets stored by then
        try:
            datasets, problem = store.list_datasets(), None
        except store.StoreError as e:
            log.warning("stored datasets unavailable: %s", e)
            datasets, problem = [], str(e)
        visitor = auth.current_visitor()
        recent = []
        if visitor is not None and visitor.may_write and not problem:
            try:
                recent = store.audit_log(metrics_defaults.RECENT_WRITES)
            except store.StoreError:
                recent = []
        return page(defaults, upload_limit, datasets, problem, visitor=visitor,
                    csrf=gate.csrf_token() if settings.on and flask.has_request_context() else "", recent_writes=recent,
                    goals_problem=all_goals()[1], alerts_problem=alerts_notice.problem())

    hops = auth.proxy_hops()
    if hops:
        # behind N trusted proxies: the client's address, scheme and host come from their X-Forwarded-* headers
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    webhooks.max_bytes()                       # a bad METRICS_WEBHOOK_MAX_MB stops the start with one sentence
    gate = auth.install(app, settings, hops)
    # the callbacks are checked (in the browser too) against the editor's page, which holds every
    # component they name; a viewer's page leaves the upload out
    app.validation_layout = page(defaults, upload_limit)
    app.layout = layout
    app.views = views or Views()
    callbacks.register(app, defaults, upload_limit, app.views)
    security.protect(app, bound_host, after_host_check=gate.check)
    api.register(server, defaults, views=app.views, authorize=api.token_check)
    webhooks.register(server)
    return app


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python app.py", description="The metrics dashboard (prints the console summary, then serves).")
    add_universe_arguments(p)
    p.add_argument("--dataset", metavar="NAME", help="open on a stored dataset (see: .venv/bin/python -m metrics datasets)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=whole_argument("port", 1, 65535), default=8050)
    p.add_argument("--allow-anonymous", action="store_true",
                   help="serve other machines without sign-in (METRICS_AUTH unset): anyone who reaches the port "
                        "can read and change the data")
    return p


def main(argv=None) -> int:
    """Print the console summary for the chosen universe, then serve the dashboard (debug off)."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        settings = auth.settings_from_env(allow_anonymous=args.allow_anonymous)
    except auth.AuthConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not settings.on and not settings.allow_anonymous and not security.is_loopback(args.host):
        print(f"error: --host {args.host} would let anyone on the network read and change the data without signing "
              "in; turn sign-in on (METRICS_AUTH=basic with .venv/bin/python -m metrics users add NAME --role editor, or "
              "METRICS_AUTH=oidc; both need METRICS_SECRET_KEY), or say --allow-anonymous", file=sys.stderr)
        return 2
    summary_args = ["--hourly-rate", args.hourly_rate, "--value-per-deploy", args.value_per_deploy]
    if args.dataset:
        # a dataset opens on all its data unless --days says otherwise
        days = args.days or ALL_DAYS
        summary_args += ["--dataset", args.dataset] + (["--days", days] if days else [])
    else:
        days = args.days or View.days
        summary_args += ["--seed", args.seed, "--days", days, "--scenario", args.scenario, "--services", args.services,
                         "--team-size", args.team_size]
    try:
        print_summary([str(a) for a in summary_args])
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    defaults = View(seed=args.seed, days=days, scenario=args.scenario, services=args.services,
                    team_size=args.team_size, hourly_rate=args.hourly_rate, value_per_deploy=args.value_per_deploy,
                    developers=args.team_size, dataset=args.dataset or "")
    app = create_app(defaults, bound_host=args.host, auth_settings=settings)
    hosts = security.hosts_line(args.host)
    if hosts:
        print(hosts, file=sys.stderr, flush=True)
    print(f"\nDashboard: http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    try:
        app.run(host=args.host, port=args.port, debug=False)
    except OSError as e:
        print(f"error: cannot listen on {args.host}:{args.port} ({e.strerror or e})", file=sys.stderr)
        return 2
    return 0
