"""Webhook routes on the dashboard's server: ``POST /webhooks/PROVIDER/DATASET``.

Each provider answers only when its secret is configured (else 404). Which providers there are,
their secrets, how each verifies a delivery and which deliveries it uses: the README's "Webhooks"
table and docs/metrics.md's delivery table, both written from the sources' ``WebhookSpec``s by
``python -m metrics docs``.

Every source declaring a ``WebhookSpec`` (``metrics.registry.source``) has a route: its secret's
variable, its check, its delivery id and its mapping come from the declaration.
A secret may also come from a file named by the same variable with ``_FILE`` appended. A wrong or
missing signature is a 401 and a line in the log (provider, dataset, delivery id; never the
secret); a body over ``METRICS_WEBHOOK_MAX_MB`` (default 25, GitHub's own limit) is a 413; a 2xx
means the events are committed (``store.deliver``: exactly once per delivery id). A PR's delivery
also gets its ``pr_ai_assisted`` verdict under the data directory's AI rules (``ai.toml``); a rules
file that cannot be used is a 503 naming no path (the log says why), so the sender sends it again. Machines use
these secrets, never a user's session, so the sign-in gate lets ``/webhooks/`` through to them.
"""
from __future__ import annotations

import json
import logging
import os

import flask
from werkzeug.exceptions import RequestEntityTooLarge

from metrics import defaults, store
from metrics.ai_rules import AiRulesError
from metrics.ingest.ai_facts import rules_of_data
from metrics.ingest import webhooks as hooks
from metrics.ingest.webhooks import secret
from metrics.registry.source import WebhookSpec, sources

from .auth import AuthConfigError

log = logging.getLogger(__name__)
OPTIONS = {"service", "production", "deploy_workflow", "releases"}


def hook_of(provider: str) -> WebhookSpec | None:
    """The webhook a source declares, or None (no such source, or one without a webhook)."""
    spec = sources().get(provider)
    return spec.webhook if spec is not None else None


def max_bytes(environ=None) -> int:
    """The largest delivery accepted, in bytes (``METRICS_WEBHOOK_MAX_MB``, default 25, GitHub's
    limit); AuthConfigError (a setting the server cannot start with) when it is not 0.01 to 1024."""
    environ = os.environ if environ is None else environ
    text = environ.get("METRICS_WEBHOOK_MAX_MB", str(defaults.WEBHOOK_MAX_MB)).strip()
    try:
        megabytes = float(text)
    except ValueError:
        megabytes = -1.0
    if not 0.01 <= megabytes <= 1024:
        raise AuthConfigError(f"METRICS_WEBHOOK_MAX_MB is a size in megabytes from 0.01 to 1024; got {text!r}")
    return int(megabytes * 1024 * 1024)


def too_large(limit: int) -> flask.Response:
    """The 413 of a delivery over ``limit`` bytes."""
    return reply({"error": f"the delivery is over the limit of {limit / 1048576:g} MB (METRICS_WEBHOOK_MAX_MB)"}, 413)


def body_within(request: flask.Request, limit: int) -> bytes:
    """The request's whole body; RequestEntityTooLarge when it is over ``limit`` bytes. A declared
    Content-Length over the limit is refused before reading; a chunked body (no Content-Length) is
    read up to one byte past the limit, so a longer one is refused, never cut to the limit."""
    request.max_content_length = limit + 1
    body = request.get_data(cache=False)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    return body


def reply(body: dict, status: int = 200) -> flask.Response:
    """A JSON answer to a delivery (never cached)."""
    return flask.Response(json.dumps(body) + "\n", status=status, mimetype="application/json",
                          headers={"Cache-Control": "no-store"})


def options_of(args) -> hooks.Options:
    """The delivery options a webhook URL's query names; WebhookError 400 for an unknown one."""
    unknown = sorted(set(args) - OPTIONS)
    if unknown:
        raise hooks.WebhookError(400, f"unknown parameter {unknown[0]!r} (known: {', '.join(sorted(OPTIONS))})")
    options = hooks.Options()
    if args.get("service"):
        options.service = args["service"].strip()[:200]
    if args.get("production"):
        options.production = args["production"].strip()[:200]
    if args.get("deploy_workflow"):
        options.deploy_workflow = args["deploy_workflow"].strip()[:200]
    releases = (args.get("releases") or "").strip().lower()
    if releases not in ("", "true", "false", "1", "0"):
        raise hooks.WebhookError(400, "releases is true or false")
    options.releases = releases in ("true", "1")
    return options


def delivery_id_of(provider: str, headers) -> str:
    """The id a provider gives a delivery in its headers (PagerDuty's is in the body)."""
    return hook_of(provider).delivery_id(headers)


def authentic(provider: str, key: str, body: bytes, headers, environ=None) -> str | None:
    """Why the delivery is not from the provider, or None when its signature or token checks out."""
    return hook_of(provider).authentic(key, body, headers, environ)


def receive(provider: str, dataset: str, environ=None):
    """One delivery: verified, mapped, stored exactly once; the reply says what was done."""
    environ = os.environ if environ is None else environ
    request = flask.request
    hook = hook_of(provider)
    key = secret(hook.secret, environ) if hook is not None else ""
    if not key:
        return reply({"error": "no webhook here"}, 404)
    limit = max_bytes(environ)
    try:
        body = body_within(request, limit)
    except RequestEntityTooLarge:
        return too_large(limit)
    delivery_id = delivery_id_of(provider, request.headers)[:200]
    problem = authentic(provider, key, body, request.headers, environ)
    if problem:
        log.warning("webhook %s for dataset %s refused: %s (delivery %s)", provider, dataset[:64], problem,
                    delivery_id or "without an id")
        return reply({"error": f"not authentic: {problem}"}, 401)
    try:
        store.check_name(dataset)
        options = options_of(request.args)
        options.ai_rules = rules_of_data(store.data_dir())
        got = hook.delivery(request.headers, body, delivery_id, options)
    except AiRulesError as e:
        log.error("webhook %s for dataset %s not stored: %s", provider, dataset[:64], e)
        return reply({"error": "not stored: the server's AI rules file (ai.toml) cannot be used (its log says why); "
                               "the delivery can be sent again"}, 503)
    except hooks.WebhookError as e:
        return reply({"error": str(e)}, e.status)
    except store.StoreError as e:
        return reply({"error": str(e)}, 400)
    if got.pong:
        return reply({"ok": True, "pong": True, "delivery": delivery_id})
    if not len(got.frame) and got.report.rejected_count and not got.report.skipped:
        return reply({"error": "no event in the delivery could be stored", "rejected": rejected_lines(got.report)}, 400)
    try:
        done = store.deliver(dataset, got.frame, provider, got.delivery_id, once=got.once,
                             who=f"webhook:{provider}", skipped=got.report.skipped)
    except store.StoreError as e:
        log.error("webhook %s for dataset %s not stored: %s", provider, dataset, e)
        return reply({"error": f"not stored: {e}; the delivery can be sent again"}, 503)
    rejected = rejected_lines(got.report) + rejected_lines(done.report)
    return reply({"dataset": dataset, "delivery": got.delivery_id, "repeated": done.repeated, "added": done.added,
                  "events": done.total, "skipped": done.report.skipped if not done.repeated else {},
                  "rejected": rejected})


def rejected_lines(report, most: int = 20) -> list[str]:
    """The first ``most`` rejected rows of a report, "ROW: REASON" each."""
    return [f"{r.row}: {r.reason}" for r in report.rejected.head(most).itertuples()]


def register(server: flask.Flask) -> None:
    """Add ``POST /webhooks/PROVIDER/DATASET`` to ``server``."""
    server.add_url_rule("/webhooks/<provider>/<dataset>", "webhook", receive, methods=["POST"])
