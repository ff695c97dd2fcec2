"""A read-only JSON API on the dashboard's server, for other tools (Backstage, spreadsheets, bots).

- ``GET /api/v1/summary``: the ``--json`` object of ``python -m metrics`` for the view the
  dashboard's URL parameters name (``data``, ``seed``, ``days``, ``from``, ``to``, ``service``,
  ``team``, plus ``scenario``, ``services``, ``rate``, ``value``, ``devs``).
- ``GET /api/v1/datasets``: the stored datasets with their event counts and spans.
- ``GET /api/v1/teams``: the teams of the teams file and their services.
- ``GET /api/v1/annotations?dataset=NAME``: the stored annotations of a dataset (oldest first).
- ``POST /api/v1/annotations``: add one (JSON ``{"dataset", "date", "text", "service"}``) with an
  editor token (``tokens create NAME --role editor``): 201 and the annotation; 401 without a
  credential, 403 with a viewer's, 400 (one sentence) for a bad body; nothing stored on failure.
A bad parameter is a 400 whose JSON names it: ``{"error": "...", "parameter": "days"}``. Unlike a
dashboard link, the API never falls back to a default: a wrong value is an error. The schema is in
docs/openapi.yaml.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from urllib.parse import urlencode

import flask

from metrics import store
from metrics.benchmarks import baseline
from metrics.plugins import PluginError, configured_results
from metrics.summary import to_json
from metrics.teams import TeamsError, read_teams, teams_path

from metrics import defaults, tokens
from metrics.store.annotations import AnnotationError, add_annotation, annotations_of

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


ANNOTATION_FIELDS = ("dataset", "date", "text", "service")
NEEDS_EDITOR = "adding an annotation needs an editor token: Authorization: Bearer TOKEN " \
               "(.venv/bin/python -m metrics tokens create NAME --role editor)"


def annotation_writer(request) -> str:
    """Who adds an annotation: the editor token of the request's ``Authorization: Bearer`` header
    ("token:NAME"), or in basic mode the editor of its HTTP Basic credentials; ApiError 401 without
    a valid credential, 403 with a viewer's. A browser's session is not enough (a write through the
    API needs a credential of its own)."""
    token = tokens.bearer_of(request.headers.get("Authorization"))
    if token:
        found = tokens.holder(tokens.tokens_path(store.data_dir()), token)
        if found is None:
            raise ApiError(NEEDS_EDITOR, status=401)
        if found[1] != "editor":
            raise ApiError(f"token {found[0]!r} is a viewer's: it reads the API; {NEEDS_EDITOR}", status=403)
        return f"token:{found[0]}"
    visitor = current_visitor()
    if visitor is not None and visitor.via == "basic":
        if visitor.role != "editor":
            raise ApiError(f"{visitor.name} is a viewer: only editors add annotations", status=403)
        return visitor.name
    raise ApiError(NEEDS_EDITOR, status=401)


def annotation_body(request) -> dict:
    """The JSON object of a POST that adds an annotation, checked for shape (the values are checked
    by ``add_annotation``): ApiError 400 naming what is wrong, 413 when it is too large."""
    if (request.content_length or 0) > defaults.ANNOTATION_BODY_MAX_BYTES:
        raise ApiError(f"the body is larger than {defaults.ANNOTATION_BODY_MAX_BYTES:,} bytes", status=413)
    if not request.is_json:
        raise ApiError("the body must be JSON (Content-Type: application/json): "
                       '{"dataset": "...", "date": "YYYY-MM-DD", "text": "...", "service": "..."}')
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError('the body must be a JSON object: {"dataset": "...", "date": "YYYY-MM-DD", "text": "..."}')
    unknown = sorted(str(k) for k in body if k not in ANNOTATION_FIELDS)
    if unknown:
        raise ApiError(f"unknown field {unknown[0][:60]!r} (fields: {', '.join(ANNOTATION_FIELDS)})", unknown[0][:60])
    for field in ("dataset", "date", "text"):
        if field not in body:
            raise ApiError(f"the field {field!r} is missing", field)
    return body


def annotation_json(a) -> dict:
    """A stored annotation as the API gives it."""
    return {"id": a.id, "dataset": a.dataset, "date": a.day, "service": a.service, "text": a.text,
            "author": a.author, "created": pd_iso(a.created_ns)}


def pd_iso(ns: int) -> str:
    """A time in ns since the epoch as ISO 8601 UTC, to the second ("2026-12-07T18:20:21Z")."""
    return datetime.fromtimestamp(ns // 10**9, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        answer = reply(body, error.status)
        if error.status == 401:
            answer.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return answer

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

    @api.get("/annotations")
    def annotations():
        for parameter in flask.request.args:
            if parameter != "dataset":
                raise ApiError(f"unknown parameter {parameter!r} (known: dataset)", parameter)
        name = flask.request.args.get("dataset")
        if not name:
            raise ApiError("the parameter 'dataset' is missing: /api/v1/annotations?dataset=NAME", "dataset")
        try:
            if name not in {d.name for d in store.list_datasets()}:
                raise ApiError(f"no dataset named {name[:64]!r}", "dataset", 404)
            found = annotations_of(name)
        except store.StoreError as e:
            raise ApiError(str(e), "dataset", 400 if "dataset names" in str(e) else 503) from None
        return reply({"dataset": name, "annotations": [annotation_json(a) for a in found]})

    @api.post("/annotations")
    def annotate():
        author = annotation_writer(flask.request)
        body = annotation_body(flask.request)
        try:
            added = add_annotation(body["dataset"], body["date"], body["text"], body.get("service"), who=author)
        except AnnotationError as e:
            field = next((f for f in ANNOTATION_FIELDS if f"annotation's {f}" in str(e)), "dataset")
            raise ApiError(str(e), field, 404 if "no dataset named" in str(e) else 400) from None
        except store.StoreError as e:
            raise ApiError(str(e), status=503) from None
        log.info("annotation %s added to %s by %s", added.id, added.dataset, author)
        return reply(annotation_json(added), 201)

    @api.route("/<path:anything>", methods=["GET", "POST"])
    def unknown(anything):
        raise ApiError(f"no such API route: {PREFIX}/{anything} (routes: summary, datasets, teams, annotations)", status=404)

    server.register_blueprint(api)
