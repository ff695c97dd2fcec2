"""GitHub webhooks: the signature check and a delivery's objects as events (mapped as ``import
--from github`` maps them)."""
from __future__ import annotations

import hashlib
import hmac

from ....registry.source import WebhookSpec
from ...ai_facts import with_ai_events
from ...report import LoadReport, RawRows
from ...webhooks import Delivery, Options, WebhookError, parse_json, validated
from ..common import count_skip
from .reader import events_from_github, service_of_repository

SECRET = "GITHUB_WEBHOOK_SECRET"


def github_signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` (``sha256=HEX``) is the HMAC-SHA256 of ``body`` with ``secret``."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest().encode()
    return hmac.compare_digest(expected, header[len("sha256="):].strip().lower().encode("utf-8", "replace"))


def authentic(secret: str, body: bytes, headers, environ=None) -> str | None:
    """Why the delivery is not from GitHub (``X-Hub-Signature-256``), or None."""
    return None if github_signature_valid(secret, body, headers.get("X-Hub-Signature-256")) else \
        "wrong or missing X-Hub-Signature-256"


def delivery_id_of(headers) -> str:
    """GitHub's id of a delivery: ``X-GitHub-Delivery``."""
    return headers.get("X-GitHub-Delivery", "")


GITHUB_ACTIONS = {"pull_request": ("opened", "closed", "reopened"), "pull_request_review": ("submitted",),
                  "deployment_status": ("created",), "workflow_run": ("completed",), "release": ("published",)}
GITHUB_OBJECT = {"pull_request": "pull_request", "pull_request_review": "review",
                 "deployment_status": "deployment_status", "workflow_run": "workflow_run", "release": "release"}


def with_delivery_service(rows, payload: dict, event: str):
    """``rows`` whose object names no repository of its own (no ``url``, ``base.repo``, ...) given
    the service of the delivery's top-level ``repository`` (every repository event carries one);
    WebhookError 400 saying ``?service=`` when neither names one."""
    missing = rows["service"].isna() | (rows["service"].astype(str) == "") if "service" in rows else None
    if missing is None or not missing.any():
        return rows
    service = service_of_repository(payload.get("repository"))
    if not service:
        raise WebhookError(400, f"this GitHub {event} delivery names no repository (neither its {GITHUB_OBJECT[event]} "
                                "object nor the delivery's repository): add ?service=NAME to the webhook's URL")
    return rows.assign(service=rows["service"].where(~missing, service))


def pull_request_url(pr, repository: dict) -> str:
    """The API address of a review's PR when the review has none: the ``pull_request``'s ``url``,
    else its ``number`` under the delivery's ``repository`` (its ``url``; the service then comes
    from the repository's name, ``with_delivery_service``); "" when neither names the PR."""
    if not isinstance(pr, dict):
        return ""
    number = pr.get("number")
    if pr.get("url") or not isinstance(number, int) or isinstance(number, bool):
        return str(pr.get("url") or "")
    return f"{repository.get('url') or ''}/pulls/{number}"


def delivery(headers, body: bytes, delivery_id: str, options: Options) -> Delivery:
    """A GitHub delivery (its ``X-GitHub-Event``) as events, mapped as ``import --from github``."""
    import pandas as pd
    event, payload = headers.get("X-GitHub-Event", ""), parse_json(body)
    skipped: dict = {}
    if event == "ping":
        return Delivery("github", delivery_id, pd.DataFrame(), LoadReport(), pong=True)
    if not isinstance(payload, dict):
        raise WebhookError(400, "a GitHub delivery is a JSON object")
    records, once = [], ""
    action = str(payload.get("action") or "")
    if event not in GITHUB_ACTIONS:
        count_skip(skipped, f"GitHub {event or 'unnamed'} deliveries (not used by the metrics)")
    elif action not in GITHUB_ACTIONS[event]:
        count_skip(skipped, f"GitHub {event} deliveries with action {action or 'none'} (not used by the metrics)")
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
            obj["pull_request_url"] = pull_request_url(payload.get("pull_request"), repository)
        records.append(obj)
    raw = RawRows(*events_from_github(records, options.deploy_workflow, options.production, options.releases))
    raw = with_ai_events(raw, options.ai_rules)          # before the delivery's service fills the rows'
    if not options.service:
        raw = raw._replace(rows=with_delivery_service(raw.rows, payload, event))
    frame, report = validated("github", delivery_id, raw, options, skipped)
    return Delivery("github", delivery_id, frame, report, once=once)


WEBHOOK = WebhookSpec(
    secret=SECRET, authentic=authentic, delivery_id=delivery_id_of, delivery=delivery,
    verified_by="`X-Hub-Signature-256` (HMAC-SHA256 of the raw body)",
    deliveries=("`pull_request` (opened, closed, reopened), `pull_request_review` (submitted), `deployment_status`, "
                "`workflow_run` (completed), `release` (published, with `?releases=true`), `ping`"),
    records=(
        ("`pull_request` opened / closed / reopened",
         ("the PR object as imported: `pr_created`, and `pr_merged` when merged (a creation already stored is a "
          "duplicate) with the size the payload's PR carries (`additions`, `deletions`, `changed_files`: "
          "`pr_lines_added`, `pr_lines_removed`, `pr_files_changed`); no first commit (the payload names none); "
          "closed and merged, its `pr_ai_assisted` verdict from its labels, author and branch (the AI facts table)")),
        ("`pull_request_review` submitted", "`pr_reviewed`"),
        ("`deployment_status`",
         ("a final status (success, failure, error) is a `deploy`; only the first final status of a deployment counts, "
          "across deliveries (later ones are skipped, counted); a status that is not final is skipped")),
        ("`workflow_run` completed, `release` published (`?releases=true`)", "as imported"),
    ))
