"""CDEvents v0.4 / v0.5 (JSON, NDJSON; bare or CloudEvents-wrapped) -> events."""
from __future__ import annotations

import re
from pathlib import Path

from ... import schema as s
from ..report import LoadError, RawRows
from .common import (DEFAULT_DEPLOY_PATTERN, as_dict, count_skip, documents_around_errors, environment_of, json_documents, matches,
                     outcome_of, raw_rows)


CDEVENT_TYPE = re.compile(r"^dev\.cdevents\.([a-z]+)\.([a-z]+)\.\d")
CUSTOM_TYPE = re.compile(r"^dev\.cdeventsx\.")         # custom events, which the specification defines
CDEVENT_KINDS = {("change", "created"): s.PR_CREATED, ("change", "reviewed"): s.PR_REVIEWED,
                 ("change", "merged"): s.PR_MERGED, ("service", "deployed"): s.DEPLOY,
                 ("service", "upgraded"): s.DEPLOY, ("service", "rolledback"): s.DEPLOY,
                 ("pipelinerun", "finished"): s.DEPLOY, ("incident", "detected"): s.INCIDENT_START,
                 ("incident", "resolved"): s.INCIDENT_RESOLVED}


def _last_segment(ref: dict) -> str:
    """A repository / service reference's name: its ``name``, else the last segment of its ``id``."""
    return str(ref.get("name") or str(ref.get("id") or "").rstrip("/").rsplit("/", 1)[-1])


def cdevents_reader(deploy_pipeline: str = DEFAULT_DEPLOY_PATTERN, production: str = s.PRODUCTION):
    """A reader of CDEvents v0.4 / v0.5 as JSON (one event, an array, or several documents) or
    NDJSON, each bare (``context`` + ``subject``) or wrapped in a CloudEvent (``data``):

    - ``change.created`` / ``reviewed`` / ``merged`` -> ``pr_created`` / ``pr_reviewed`` /
      ``pr_merged``, ``pr_id`` the subject id, service the repository's name;
    - ``service.deployed`` / ``upgraded`` -> a deploy; ``service.rolledback`` -> a deploy with
      change_type ``rollback``; service the subject id, environment its ``environment.id``
      (``production`` when it equals ``production``);
    - ``pipelinerun.finished`` of a pipeline whose name matches ``deploy_pipeline`` -> a deploy,
      ``success`` or ``failed`` (outcome failure or error), service the pipeline's name;
    - ``incident.detected`` / ``resolved`` -> ``incident_start`` / ``incident_resolved``,
      ``incident_id`` the subject id, service the content's service.
    Time: the context's ``timestamp`` (a CloudEvent's ``time`` when that is missing). Other types
    are skipped. Numbered by event.
    """
    def read_cdevents(text: str, path: Path) -> RawRows:
        try:
            docs = json_documents(text, path.name)
        except LoadError:
            docs = documents_around_errors(text)   # a broken event: keep the others, reject that one
        events = [e for d in docs for e in (d if isinstance(d, list) else [d])]
        rows, numbers, bad, skipped = [], [], [], {}
        for number, e in enumerate(events, start=1):
            if isinstance(e, ValueError):
                bad.append((number, str(e)))
                continue
            if not isinstance(e, dict):
                bad.append((number, f"not a JSON object ({type(e).__name__})"))
                continue
            body = e.get("data") if isinstance(e.get("data"), dict) and "specversion" in e else e
            context, subject = as_dict(body.get("context")), as_dict(body.get("subject"))
            event_type = str(context.get("type") or e.get("type") or "")
            match = CDEVENT_TYPE.match(event_type)
            if not match and CUSTOM_TYPE.match(event_type):
                count_skip(skipped, f"custom CDEvents ({event_type.split('.')[2] if event_type.count('.') > 2 else event_type})")
                continue
            if not match:
                bad.append((number, f"not a CDEvent (type {event_type!r})"))
                continue
            kind = CDEVENT_KINDS.get((match.group(1), match.group(2)))
            if kind is None:
                count_skip(skipped, f"CDEvents not used by the metrics ({match.group(1)}.{match.group(2)})")
                continue
            content = as_dict(subject.get("content"))
            row = {"ts": context.get("timestamp") or e.get("time") or "", "kind": kind}
            subject_id = str(subject.get("id") or "")
            if match.group(1) == "change":
                row.update(service=_last_segment(as_dict(content.get("repository"))), pr_id=subject_id)
            elif match.group(1) == "service":
                row.update(service=subject_id, deploy_id=str(context.get("id") or ""),
                           environment=environment_of(as_dict(content.get("environment")).get("id"), production),
                           change_type="rollback" if match.group(2) == "rolledback" else "")
            elif match.group(1) == "pipelinerun":
                name = str(content.get("pipelineName") or "")
                if not matches(deploy_pipeline, name):
                    count_skip(skipped, f"pipeline runs not matching --deploy-workflow {deploy_pipeline!r}")
                    continue
                outcome = str(content.get("outcome") or "").lower()
                if outcome == "cancel":
                    count_skip(skipped, "cancelled pipeline runs (outcome cancel)")
                    continue
                if not outcome:
                    count_skip(skipped, "pipeline runs with no outcome (not known to have succeeded)")
                    continue
                # an outcome that is not final stays as it is, and validation rejects it with its value
                row.update(service=name, deploy_id=subject_id, status=outcome_of(outcome) or outcome)
            else:
                environment = as_dict(content.get("environment")).get("id")
                if environment and environment_of(environment, production) != s.PRODUCTION:
                    count_skip(skipped, f"incidents outside production ({environment})")
                    continue
                row.update(service=_last_segment(as_dict(content.get("service"))), incident_id=subject_id)
            rows.append(row)
            numbers.append(number)
        return raw_rows(rows, numbers, bad, "event", skipped)

    return read_cdevents
