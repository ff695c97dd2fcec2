"""GitLab webhooks: the token (and, when set, the Standard Webhooks signature) and a merge request,
deployment or pipeline hook as events."""
from __future__ import annotations

import time

from .... import defaults, schema as s
from ....registry.source import WebhookSpec
from ...ai_facts import facts_frame, pr_fact
from ...report import RawRows
from ...webhooks import (Delivery, Options, WebhookError, parse_json, secret as secret_of, standard_signature_problem,
                         token_valid, validated)
from ..common import DEFAULT_DEPLOY_PATTERN, as_dict, count_skip, environment_of, matches
from .reader import label_names

SECRET = "GITLAB_WEBHOOK_TOKEN"
SIGNING = "GITLAB_WEBHOOK_SIGNING_TOKEN"


def authentic(secret: str, body: bytes, headers, environ=None) -> str | None:
    """Why the delivery is not from GitLab (``X-Gitlab-Token``; with ``GITLAB_WEBHOOK_SIGNING_TOKEN``
    set, also its Standard Webhooks signature), or None."""
    if not token_valid(secret, headers.get("X-Gitlab-Token")):
        return "wrong or missing X-Gitlab-Token"
    signing = secret_of(SIGNING, environ)
    if signing:
        return standard_signature_problem(signing, body, headers.get("webhook-id"), headers.get("webhook-timestamp"),
                                          headers.get("webhook-signature"), time.time())
    return None


def delivery_id_of(headers) -> str:
    """GitLab's id of a delivery: ``webhook-id``, ``Idempotency-Key`` or ``X-Gitlab-Event-UUID``."""
    return headers.get("webhook-id") or headers.get("Idempotency-Key") or headers.get("X-Gitlab-Event-UUID", "")


def gitlab_time(text) -> str:
    """A GitLab hook time in a form the validator reads (older hooks write ``2021-04-28 21:50:00 UTC``)."""
    text = str(text or "")
    return text[:-4].replace(" ", "T", 1) + "Z" if text.endswith(" UTC") else text


def _project(payload: dict) -> str:
    project = payload.get("project") if isinstance(payload.get("project"), dict) else {}
    path = str(project.get("path_with_namespace") or project.get("web_url") or project.get("name") or "")
    return path.rstrip("/").rsplit("/", 1)[-1]


def delivery(headers, body: bytes, delivery_id: str, options: Options) -> Delivery:
    """A GitLab merge request, deployment or pipeline hook as events: an MR's ``open`` is its
    creation, ``merge`` its merge, ``approved`` a review; a deployment counts at its first final
    status (``status_changed_at``); a pipeline whose name or ref matches the deploy pattern is a
    deployment at ``finished_at``. The service is the project's path name."""
    import pandas as pd
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise WebhookError(400, "a GitLab delivery is a JSON object")
    skipped: dict = {}
    rows, once, facts = [], "", []
    kind = str(payload.get("object_kind") or "")
    service = _project(payload)
    attributes = payload.get("object_attributes") if isinstance(payload.get("object_attributes"), dict) else {}
    user = payload.get("user") if isinstance(payload.get("user"), dict) else {}
    if kind == "merge_request":
        action = str(attributes.get("action") or "")
        base = {"service": service, "pr_id": f"!{attributes.get('iid', '')}"}
        if action == "merge":                            # its AI verdict, on its final facts (the user merged it)
            facts.append(pr_fact(1, gitlab_time(attributes.get("created_at")), service, base["pr_id"],
                                 [as_dict(attributes.get("last_commit")).get("message")],
                                 label_names(payload.get("labels") if "labels" in payload else attributes.get("labels")),
                                 branch=attributes.get("source_branch")))
        if action == "open":
            rows.append({**base, "ts": gitlab_time(attributes.get("created_at")), "kind": s.PR_CREATED,
                         "author": str(user.get("username") or "")})
        elif action == "merge":
            rows.append({**base, "ts": gitlab_time(attributes.get("updated_at")), "kind": s.PR_MERGED})
        elif action in ("approved", "approval"):
            rows.append({**base, "ts": gitlab_time(attributes.get("updated_at")), "kind": s.PR_REVIEWED,
                         "author": str(user.get("username") or "")})
        else:
            count_skip(skipped, f"merge request hooks with action {action or 'none'} (not used by the metrics)")
    elif kind == "deployment":
        status = str(payload.get("status") or "")
        if status not in s.STATUSES:
            count_skip(skipped, f"deployments that did not finish ({status or 'no status'})")
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
            count_skip(skipped, f"pipelines not matching the deploy pattern {options.deploy_workflow!r}")
        elif status not in s.STATUSES:
            count_skip(skipped, f"deployment pipelines that did not finish ({status or 'no status'})")
        else:
            rows.append({"ts": gitlab_time(attributes.get("finished_at")), "kind": s.DEPLOY, "service": service,
                         "deploy_id": f"pipeline-{attributes.get('id', '')}", "status": status})
    else:
        count_skip(skipped, f"GitLab {kind or 'unnamed'} hooks (not used by the metrics)")
    raw = RawRows(pd.DataFrame(rows), list(range(1, len(rows) + 1)), [], "event", {}, facts=facts_frame(facts))
    frame, report = validated("gitlab", delivery_id, raw, options, skipped)
    return Delivery("gitlab", delivery_id, frame, report, once=once)


WEBHOOK = WebhookSpec(
    secret=SECRET, authentic=authentic, delivery_id=delivery_id_of, delivery=delivery, also_secrets=(SIGNING,),
    verified_by=(f"`X-Gitlab-Token`; with a signing token also `webhook-signature` (Standard Webhooks, "
                 f"{defaults.WEBHOOK_TOLERANCE_S // 60} minutes' tolerance)"),
    deliveries=(f"merge request (open, merge, approved), deployment, pipeline (a name or ref matching "
                f"`?deploy_workflow=`, default `{DEFAULT_DEPLOY_PATTERN}`)"),
    records=(
        ("merge request hook",
         ("action `open`: `pr_created` at `created_at` (author the hook's user); `merge`: `pr_merged` at `updated_at`; "
          "`approved`: `pr_reviewed` by the hook's user at `updated_at`; other actions skipped; `pr_id` `!IID`, "
          "`merge` also its `pr_ai_assisted` verdict (the AI facts table), "
          "service the project's path name; the hook carries no size and no commits' dates (the sync gives them)")),
        ("deployment hook",
         ("`success` / `failed`: `deploy` at `status_changed_at`, `deploy_id` the deployment id, first final status "
          "only; others skipped")),
        ("pipeline hook",
         (f"a pipeline whose name or ref matches `?deploy_workflow=` (default `{DEFAULT_DEPLOY_PATTERN}`) and that "
          f"finished `success` / `failed`: `deploy` at `finished_at`")),
    ))
