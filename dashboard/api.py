"""A read-only JSON API on the dashboard's server, for other tools (Backstage, spreadsheets, bots).

- ``GET /api/v1/summary``: the ``--json`` object of ``python -m metrics`` for the view the
  dashboard's URL parameters name (``data``, ``seed``, ``days``, ``from``, ``to``, ``service``,
  ``team``, plus ``scenario``, ``services``, ``rate``, ``value``, ``devs``).
- ``GET /api/v1/datasets``: the stored datasets with their event counts and spans.
- ``GET /api/v1/teams``: the teams of the teams file and their services.
A bad parameter is a 400 whose JSON names it: ``{"error": "...", "parameter": "days"}``. Unlike a
dashboard link, the API never falls back to a default: a wrong value is an error. The schema is in
docs/openapi.yaml.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import flask

from metrics import store
from metrics.benchmarks import baseline
from metrics.plugins import PluginError, configured_results
from metrics.summary import to_json
from metrics.teams import TeamsError, read_teams, teams_path

from metrics import tokens

from .auth import current_visitor
from .data import DataError, Views
from .fields import FIELDS
from .state import View, read_link

log = logging.getLogger(__name__)
PREFIX = "/api/v1"
FIELDS_BY_PARAMETER = {f.url: name for name, f in FIELDS.items() if f.url}
REPEATABLE = {f.url for f in FIELDS.values() if f.url and f.repeats}


class ApiError(Exception):
    """A request the API refuses: its message, the parameter at fault, and the status."""

    def __init__(self, message: str, parameter: str | None = None, status: int = 400):
        super().__init__(message)
        self.parameter, self.status = parameter, status


def reply(body, status: int = 200) -> flask.Response:
    return flask.Response(json.dumps(body, indent=2) + "\n", status=status, mimetype="application/json",
                          headers={"Cache-Control": "no-store"})


def view_of(args, defaults: View) -> View:
    """The View the query ``args`` (a MultiDict) names, strictly: every parameter known, given once
    (``service`` and ``team`` may repeat) and valid; ApiError naming the first that is not. The
    values are read as a dashboard link's are (``state.read_link``)."""
    for parameter in args:
        if parameter not in FIELDS_BY_PARAMETER:
            raise ApiError(f"unknown parameter {parameter!r} (known: {', '.join(sorted(FIELDS_BY_PARAMETER))})",
                           parameter)
        if parameter not in REPEATABLE and len(args.getlist(parameter)) > 1:
            raise ApiError(f"parameter {parameter!r} is given more than once", parameter)
    view, problems = read_link({parameter: args.getlist(parameter) for parameter in args}, defaults)
    if problems:
        raise ApiError(problems[0][1], problems[0][0])
    return view


def token_check(request):
    """Once a read-only API token exists (``python -m metrics tokens create NAME``), the API answers
    only requests that carry one (``Authorization: Bearer TOKEN``): None to let a request in, else
    a 401 response. With no token created, the API is as open as the dashboard. With sign-in on,
    the gate (``auth``) has already let in only signed-in users and token holders."""
    visitor = current_visitor()
    if visitor is not None and visitor.signed_in:
        return None
    path = tokens.tokens_path(store.data_dir())
    try:
        if not tokens.names(path):
            return None
    except tokens.TokenError:
        return reply({"error": "the API tokens file cannot be read; the server log and the operator know why"}, 503)
    token = tokens.bearer_of(request.headers.get("Authorization"))
    if tokens.check(path, token) is None:
        return flask.Response(json.dumps({"error": "this API needs a read-only token: Authorization: Bearer TOKEN "
                                                   "(.venv/bin/python -m metrics tokens create NAME)"}) + "\n", status=401,
                              mimetype="application/json", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    return None


def register(server: flask.Flask, defaults: View, views: Views | None = None, authorize=None) -> None:
    """Add the API's routes to ``server``; ``views`` computes (and caches) the summaries.
    ``authorize(request)`` returns None to let a request in, or a response to send instead (401)."""
    views = views or Views()
    api = flask.Blueprint("api_v1", __name__, url_prefix=PREFIX)

    @api.before_request
    def check_access():
        if authorize is not None:
            refused = authorize(flask.request)
            if refused is not None:
                return refused
        return None

    @api.errorhandler(ApiError)
    def refused(error: ApiError):
        body = {"error": str(error)}
        if error.parameter:
            body["parameter"] = error.parameter
        return reply(body, error.status)

    @api.get("/summary")
    def summary():
        view = view_of(flask.request.args, defaults)
        try:
            computed = views.compute(view)
        except DataError as e:
            parameter = "team" if view.teams and "team" in str(e).lower() else "data" if view.dataset else None
            status = 503 if e.unavailable else 404 if "no dataset named" in str(e) else 400
            raise ApiError(str(e), parameter, status) from None
        an = computed.current
        try:
            custom = configured_results(an.tables, an.window)
        except PluginError as e:
            raise ApiError(str(e), status=503) from None
        return reply(to_json(an, baseline(view.baseline), custom))

    @api.get("/datasets")
    def datasets():
        try:
            found = store.list_datasets()
        except store.StoreError as e:
            raise ApiError(str(e), status=503) from None
        return reply({"datasets": [{
            "name": d.name, "events": d.events,
            "first": d.first.isoformat() if d.first is not None else None,
            "last": d.last.isoformat() if d.last is not None else None,
            "summary": f"{PREFIX}/summary?{urlencode({'data': d.name})}"} for d in found]})

    @api.get("/teams")
    def teams():
        try:
            found = read_teams(teams_path(store.data_dir()))
        except TeamsError as e:
            raise ApiError(str(e), status=503) from None
        return reply({"teams": [{"name": t.name, "services": list(t.patterns)} for t in found.values()]})

    @api.route("/<path:anything>")
    def unknown(anything):
        raise ApiError(f"no such API route: {PREFIX}/{anything} (routes: summary, datasets, teams)", status=404)

    server.register_blueprint(api)
