"""Push ingestion: verifying a webhook delivery and turning it into events (no web framework here).

Each provider's deliveries are checked the way its documentation says, compared in constant time:

- GitHub: ``X-Hub-Signature-256: sha256=HEX``, HMAC-SHA256 of the raw body with the secret.
- GitLab: ``X-Gitlab-Token`` equal to the token; when a signing token is set too, the Standard
  Webhooks scheme (``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,BASE64 ...``,
  HMAC-SHA256 of ``ID.TIMESTAMP.BODY`` with the base64 key after ``whsec_``; 5 minutes' tolerance).
- PagerDuty: ``X-PagerDuty-Signature: v1=HEX[,v1=HEX...]``; any one matching is enough.
- CDEvents and canonical events: ``Authorization: Bearer TOKEN``.

The objects inside a delivery are mapped by the same functions as ``import --from SOURCE``
(``events_from_github``, ``events_from_pagerduty``, the CDEvents and events readers), then validated
by ``normalize``. What a delivery cannot place (an action the metrics do not use, a deployment
outside production, a status that is not final) is counted as skipped, not refused.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import defaults, schema as s
from ..tokens import bearer_of
from .report import LoadError, LoadReport, RawRows
from .sources.cdevents.reader import cdevents_reader
from .sources.common import DEFAULT_DEPLOY_PATTERN, environment_of, matches
from .sources.events.reader import raw_from_records
from .sources.github.reader import events_from_github
from .sources.pagerduty.reader import events_from_pagerduty
from .validate import normalize



class WebhookError(Exception):
    """A delivery the server refuses: its HTTP status and one sentence."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Options:
    """How deliveries to one URL are read: ``?service=`` (every event's service), ``?production=``,
    ``?deploy_workflow=`` (a glob) and ``?releases=true`` (GitHub releases are deployments)."""
    service: str = ""
    production: str = s.PRODUCTION
    deploy_workflow: str = DEFAULT_DEPLOY_PATTERN
    releases: bool = False


@dataclass
class Delivery:
    """A verified delivery as events: its provider, its id (for exactly-once), the validated
    events, the report (skipped and rejected), and ``once``: a key whose first delivery alone
    counts (a deployment's first final status), or ""."""
    provider: str
    delivery_id: str
    frame: pd.DataFrame
    report: LoadReport
    once: str = ""
    pong: bool = False


# -- signatures -----------------------------------------------------------------------------------

def github_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=HEX``) is the HMAC-SHA256 of ``body`` with ``secret``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, header[len("sha256="):].strip().lower().encode("utf-8", "replace"))


def pagerduty_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether any ``v1=HEX`` signature in ``header`` is the HMAC-SHA256 of ``body`` with ``secret``."""
    if not header:
        return False
    expected = ("v1=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()).encode()
    found = False
    for signature in header.split(","):
        found |= hmac.compare_digest(expected, signature.strip().lower().encode("utf-8", "replace"))
    return found


def token_valid(expected: str, given: str | None) -> bool:
    """Whether ``given`` equals ``expected`` (constant time)."""
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.strip().encode("utf-8", "replace"))


def bearer_valid(expected: str, authorization: str | None) -> bool:
    """Whether an ``Authorization: Bearer TOKEN`` header carries ``expected``."""
    token = bearer_of(authorization)
    return bool(token) and token_valid(expected, token)


def standard_signature_problem(secret: str, body: bytes, msg_id: str | None, timestamp: str | None,
                               signature: str | None, now: float) -> str | None:
    """Why a Standard Webhooks delivery is not authentic (missing headers, a timestamp more than five
    minutes away, no matching ``v1,`` signature), or None when it is."""
    if not msg_id or not timestamp or not signature:
        return "missing webhook-id, webhook-timestamp or webhook-signature"
    try:
        sent = int(timestamp)
    except ValueError:
        return "webhook-timestamp is not a Unix time"
    if abs(now - sent) > defaults.WEBHOOK_TOLERANCE_S:
        return (f"webhook-timestamp is more than {defaults.WEBHOOK_TOLERANCE_S // 60} minutes away "
                "(a replay, or a clock far off)")
    try:
        key = base64.b64decode(secret[len("whsec_"):] if secret.startswith("whsec_") else secret, validate=True)
    except (binascii.Error, ValueError):
        key = secret.encode("utf-8")
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest())
    found = False
    for entry in signature.split():
        version, _, value = entry.partition(",")
        found |= version == "v1" and hmac.compare_digest(expected, value.encode("utf-8", "replace"))
    return None if found else "no webhook-signature matches"


# -- deliveries -> events ---------------------------------------------------------------------------

def parse_json(body: bytes):
    """The delivery's JSON, or WebhookError 400."""
    try:
        return json.loads(body.decode("utf-8"))
    except RecursionError:
        raise WebhookError(400, "the delivery's JSON is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise WebhookError(400, f"the delivery is not JSON ({str(e)[:120]})") from None


def _skip(skipped: dict, reason: str) -> None:
    skipped[reason] = skipped.get(reason, 0) + 1


def _validated(provider: str, delivery_id: str, raw: RawRows, options: Options, skipped: dict) -> tuple:
    rows = raw.rows
    if options.service and len(rows):
        rows = rows.assign(service=options.service)
    try:
        frame, report = normalize(rows, raw.numbers, source=f"{provider} delivery {delivery_id or ''}".strip(),
                                  unit=raw.unit, parse_errors=raw.bad)
    except LoadError as e:
        raise WebhookError(400, str(e)) from None
    report.skipped = {**raw.skipped, **skipped}
    outside = (frame["kind"] == s.DEPLOY) & (frame["environment"] != options.production.lower())
    if outside.any():
        for environment, count in frame.loc[outside, "environment"].value_counts().items():
            report.skipped[f"deployments outside production ({environment})"] = int(count)
        frame = frame[~outside].reset_index(drop=True)
        report.accepted = len(frame)
    return frame, report


GITHUB_ACTIONS = {"pull_request": ("opened", "closed", "reopened"), "pull_request_review": ("submitted",),
                  "deployment_status": ("created",), "workflow_run": ("completed",), "release": ("published",)}
GITHUB_OBJECT = {"pull_request": "pull_request", "pull_request_review": "review",
                 "deployment_status": "deployment_status", "workflow_run": "workflow_run", "release": "release"}


def github_delivery(event: str, delivery_id: str, payload, options: Options) -> Delivery:
    """A GitHub delivery (``X-GitHub-Event`` ``event``) as events, mapped as ``import --from github``."""
    skipped: dict = {}
    if event == "ping":
        return Delivery("github", delivery_id, pd.DataFrame(), LoadReport(), pong=True)
    if not isinstance(payload, dict):
        raise WebhookError(400, "a GitHub delivery is a JSON object")
    records, once = [], ""
    action = str(payload.get("action") or "")
    if event not in GITHUB_ACTIONS:
        _skip(skipped, f"GitHub {event or 'unnamed'} deliveries (not used by the metrics)")
    elif action not in GITHUB_ACTIONS[event]:
        _skip(skipped, f"GitHub {event} deliveries with action {action or 'none'} (not used by the metrics)")
    else:
        obj = payload.get(GITHUB_OBJECT[event])
        if not isinstance(obj, dict):
            raise WebhookError(400, f"a GitHub {event} delivery without its {GITHUB_OBJECT[event]} object")
        obj = dict(obj)
        repository = payload.get("repository") if isinstance(payload.get("repository"), dict) else {}
        if event == "deployment_status":
            deployment = payload.get("deployment") if isinstance(payload.get("deployment"), dict) else {}
            obj.setdefault("deployment_url", deployment.get("url") or "")
            obj.setdefault("repository_url", repository.get("url") or "")
            obj.setdefault("environment", deployment.get("environment"))
            if str(obj.get("state")) in ("success", "failure", "error"):
                once = f"github-deployment:{repository.get('full_name', '')}:{deployment.get('id') or obj['deployment_url']}"
        if event == "release":
            obj.setdefault("url", f"{repository.get('url') or ''}/releases/{obj.get('id', '')}")
        if event == "pull_request_review" and "pull_request_url" not in obj:
            pr = payload.get("pull_request")
            obj["pull_request_url"] = str(pr.get("url") or "") if isinstance(pr, dict) else ""
        records.append(obj)
    raw = RawRows(*events_from_github(records, options.deploy_workflow, options.production, options.releases))
    frame, report = _validated("github", delivery_id, raw, options, skipped)
    return Delivery("github", delivery_id, frame, report, once=once)


def gitlab_time(text) -> str:
    """A GitLab hook time in a form the validator reads (older hooks write ``2021-04-28 21:50:00 UTC``)."""
    text = str(text or "")
    return text[:-4].replace(" ", "T", 1) + "Z" if text.endswith(" UTC") else text


def _project(payload: dict) -> str:
    project = payload.get("project") if isinstance(payload.get("project"), dict) else {}
    path = str(project.get("path_with_namespace") or project.get("web_url") or project.get("name") or "")
    return path.rstrip("/").rsplit("/", 1)[-1]


def gitlab_delivery(delivery_id: str, payload, options: Options) -> Delivery:
    """A GitLab merge request, deployment or pipeline hook as events: an MR's ``open`` is its
    creation, ``merge`` its merge, ``approved`` a review; a deployment counts at its first final
    status (``status_changed_at``); a pipeline whose name or ref matches the deploy pattern is a
    deployment at ``finished_at``. The service is the project's path name."""
    if not isinstance(payload, dict):
        raise WebhookError(400, "a GitLab delivery is a JSON object")
    skipped: dict = {}
    rows, once = [], ""
    kind = str(payload.get("object_kind") or "")
    service = _project(payload)
    attributes = payload.get("object_attributes") if isinstance(payload.get("object_attributes"), dict) else {}
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    if kind == "merge_request":
        action = str(attributes.get("action") or "")
        base = {"service": service, "pr_id": f"!{attributes.get('iid', '')}"}
        if action == "open":
            rows.append({**base, "ts": gitlab_time(attributes.get("created_at")), "kind": s.PR_CREATED,
                         "author": str(user.get("username") or "")})
        elif action == "merge":
            rows.append({**base, "ts": gitlab_time(attributes.get("updated_at")), "kind": s.PR_MERGED})
        elif action in ("approved", "approval"):
            rows.append({**base, "ts": gitlab_time(attributes.get("updated_at")), "kind": s.PR_REVIEWED,
                         "author": str(user.get("username") or "")})
        else:
            _skip(skipped, f"merge request hooks with action {action or 'none'} (not used by the metrics)")
    elif kind == "deployment":
        status = str(payload.get("status") or "")
        if status not in s.STATUSES:
            _skip(skipped, f"deployments that did not finish ({status or 'no status'})")
        else:
            deployment = str(payload.get("deployment_id") or payload.get("deployable_id") or "")
            rows.append({"ts": gitlab_time(payload.get("status_changed_at")), "kind": s.DEPLOY, "service": service,
                         "deploy_id": deployment, "status": status,
                         "environment": environment_of(payload.get("environment"), options.production)})
            once = f"gitlab-deployment:{service}:{deployment}"
    elif kind == "pipeline":
        status = str(attributes.get("status") or "")
        name = str(attributes.get("name") or "")
        if not matches(options.deploy_workflow, name, str(attributes.get("ref") or "")):
            _skip(skipped, f"pipelines not matching the deploy pattern {options.deploy_workflow!r}")
        elif status not in s.STATUSES:
            _skip(skipped, f"deployment pipelines that did not finish ({status or 'no status'})")
        else:
            rows.append({"ts": gitlab_time(attributes.get("finished_at")), "kind": s.DEPLOY, "service": service,
                         "deploy_id": f"pipeline-{attributes.get('id', '')}", "status": status})
    else:
        _skip(skipped, f"GitLab {kind or 'unnamed'} hooks (not used by the metrics)")
    raw = RawRows(pd.DataFrame(rows), list(range(1, len(rows) + 1)), [], "event", {})
    frame, report = _validated("gitlab", delivery_id, raw, options, skipped)
    return Delivery("gitlab", delivery_id, frame, report, once=once)


PAGERDUTY_NUMBERED = ("incident.triggered", "incident.resolved")     # the types that change a number


def pagerduty_delivery(payload, options: Options) -> Delivery:
    """A PagerDuty v3 webhook as incident events: ``incident.triggered`` starts the incident (at its
    ``created_at``), ``incident.resolved`` resolves it (at the event's ``occurred_at``);
    ``incident.acknowledged`` changes no number and is counted as skipped, like other types."""
    event = payload.get("event") if isinstance(payload, dict) else None
    if not isinstance(event, dict):
        raise WebhookError(400, "a PagerDuty v3 delivery is a JSON object with an 'event' object")
    delivery_id = str(event.get("id") or "")
    event_type = str(event.get("event_type") or "")
    skipped: dict = {}
    incidents = []
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    if event_type not in PAGERDUTY_NUMBERED:
        _skip(skipped, f"PagerDuty {event_type or 'unnamed'} events (no number changes)")
    else:
        resolved = event_type == "incident.resolved"
        incidents.append({"id": data.get("id"), "created_at": data.get("created_at") or event.get("occurred_at"),
                          "service": data.get("service"), "urgency": data.get("urgency"),
                          "status": "resolved" if resolved else "triggered",
                          "resolved_at": event.get("occurred_at") if resolved else None})
    raw = RawRows(*events_from_pagerduty(incidents))
    frame, report = _validated("pagerduty", delivery_id, raw, options, skipped)
    return Delivery("pagerduty", delivery_id, frame, report)


def cdevents_delivery(headers, body: bytes, options: Options) -> Delivery:
    """CDEvents over the CloudEvents HTTP binding: binary mode (``ce-*`` headers, the CDEvent as the
    body), structured mode (``application/cloudevents+json``) or a batch
    (``application/cloudevents-batch+json``); read by the CDEvents importer."""
    content_type = str(headers.get("Content-Type") or "").split(";")[0].strip().lower()
    payload = parse_json(body)
    if headers.get("ce-specversion"):
        if not isinstance(payload, dict):
            raise WebhookError(400, "a binary-mode CloudEvent's body is the CDEvent, a JSON object")
        payload = {"specversion": headers.get("ce-specversion"), "type": headers.get("ce-type", ""),
                   "id": headers.get("ce-id", ""), "source": headers.get("ce-source", ""),
                   "time": headers.get("ce-time", ""), "data": payload}
        delivery_id = f"{headers.get('ce-source', '')}/{headers.get('ce-id', '')}"
    elif content_type == "application/cloudevents-batch+json" or isinstance(payload, list):
        if not isinstance(payload, list):
            raise WebhookError(400, "a CloudEvents batch is a JSON array")
        delivery_id = "batch-" + hashlib.sha256(body).hexdigest()[:32]
    elif isinstance(payload, dict):
        delivery_id = f"{payload.get('source', '')}/{payload.get('id', '')}" if payload.get("id") else \
            "event-" + hashlib.sha256(body).hexdigest()[:32]
    else:
        raise WebhookError(400, "a CloudEvent is a JSON object")
    return _read_with("cdevents", delivery_id, json.dumps(payload), options)


def events_delivery(headers, body: bytes, options: Options) -> Delivery:
    """Canonical events (an array, or ``{"events": [...]}``) read record by record as the events
    importer reads a JSON file; the delivery's id is its ``Idempotency-Key`` or ``webhook-id``
    header, when it has one."""
    payload = parse_json(body)
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        payload = payload["events"]
    if not isinstance(payload, list):
        raise WebhookError(400, 'expected a JSON array of events (or an object with an "events" array)')
    delivery_id = idempotency_key(headers)
    raw = RawRows(*raw_from_records(payload, list(range(1, len(payload) + 1)), "delivery"), "record", {})
    frame, report = _validated("events", delivery_id, raw, options, {})
    return Delivery("events", delivery_id, frame, report)


def idempotency_key(headers) -> str:
    """A delivery's own id when its sender gives one: ``Idempotency-Key``, else ``webhook-id``."""
    return str(headers.get("Idempotency-Key") or headers.get("webhook-id") or "")


def _read_with(source: str, delivery_id: str, text: str, options: Options) -> Delivery:
    try:
        raw = RawRows(*cdevents_reader()(text, Path("delivery.json")))
    except LoadError as e:
        raise WebhookError(400, str(e).replace("delivery.json: ", "")) from None
    frame, report = _validated(source, delivery_id, raw, options, {})
    return Delivery(source, delivery_id, frame, report)
