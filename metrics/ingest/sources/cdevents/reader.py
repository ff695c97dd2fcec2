"""CDEvents v0.4 / v0.5 (JSON, NDJSON; bare or CloudEvents-wrapped) -> events."""
from __future__ import annotations

import re
from pathlib import Path

from .... import schema as s
from ...report import RawRows
from ..common import (DEFAULT_DEPLOY_PATTERN, as_dict, count_skip, environment_of, json_documents, matches,
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


REPOSITORY_PURLS = ("github", "gitlab", "bitbucket")   # purl types whose namespace/name is a repository
ARTIFACT_PREDICATES = ("packaged", "published")


def repository_key(text) -> str:
    """A repository's name as the links compare it: the last path segment, lower-cased, less ``.git``."""
    return str(text or "").strip().rstrip("/").rsplit("/", 1)[-1].lower().removesuffix(".git")


def purl_base(purl) -> str:
    """A package URL without version, qualifiers or subpath (``pkg:oci/myapp``), lower-cased: every
    version of one artifact."""
    path = str(purl or "").split("#", 1)[0].split("?", 1)[0].strip()
    head, slash, last = path.rpartition("/")
    return (head + slash + last.split("@", 1)[0]).lower() if path.lower().startswith("pkg:") else ""


def purl_repository(purl) -> str:
    """The repository a ``pkg:github/org/repo@...`` (gitlab, bitbucket) purl names, else ""."""
    base = purl_base(purl)
    kind = base[4:].split("/", 1)[0]
    return repository_key(base) if kind in REPOSITORY_PURLS and base.count("/") >= 1 else ""


def repository_services(events: list, repo_service: dict) -> tuple[dict, list]:
    """Repository key -> the service that deploys it, and warnings. ``events`` are (kind, subject)
    pairs of artifact and service events; an explicit ``repo_service`` wins. A deployment's
    ``artifactId`` links its service to the repository of that artifact's ``artifact.packaged`` /
    ``published`` event (``content.change.source``, else the purl's repository), or to the
    repository its own purl names (``pkg:github/org/repo``)."""
    built_from: dict = {}                                 # artifact (versionless purl) -> repository
    for kind, subject in events:
        if kind == "artifact":
            change = as_dict(as_dict(subject.get("content")).get("change"))
            repo = repository_key(change.get("source")) or purl_repository(subject.get("id"))
            if repo and purl_base(subject.get("id")):
                built_from.setdefault(purl_base(subject.get("id")), repo)
    found: dict = {}                                      # repository -> services deploying it
    for kind, subject in events:
        if kind == "service":
            artifact = as_dict(subject.get("content")).get("artifactId")
            repo = built_from.get(purl_base(artifact)) or purl_repository(artifact)
            if repo and subject.get("id"):
                found.setdefault(repo, set()).add(str(subject["id"]))
    explicit = {repository_key(k): v for k, v in repo_service.items()}
    links = {r: next(iter(v)) for r, v in found.items() if len(v) == 1 and r not in explicit}
    warnings = [f"repository {r} is deployed as several services ({', '.join(sorted(v))}): its changes keep the "
                f"repository's name (--repo-service {r}=SERVICE picks one)"
                for r, v in sorted(found.items()) if len(v) > 1 and r not in explicit]
    return {**links, **explicit}, warnings


def cdevents_reader(deploy_pipeline: str = DEFAULT_DEPLOY_PATTERN, production: str = s.PRODUCTION,
                    repo_service: dict | None = None):
    """A reader of CDEvents v0.4 / v0.5 as JSON (one event, an array, or several documents) or
    NDJSON, each bare (``context`` + ``subject``) or wrapped in a CloudEvent (``data``):

    - ``change.created`` / ``reviewed`` / ``merged`` -> ``pr_created`` / ``pr_reviewed`` /
      ``pr_merged``, ``pr_id`` the subject id, service the service that deploys the repository
      (``repo_service``, else through the artifacts: ``repository_services``), else the
      repository's name;
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
        docs = json_documents(text, path.name, keep_going=True)   # a broken event: keep the others, reject that one
        events = [e for d in docs for e in (d if isinstance(d, list) else [d])]
        parsed = [parse(e) for e in events]
        linking = [(m.group(1), subject) for _, _, subject, m in parsed
                   if m and (m.group(1), m.group(2)) in LINKING]
        services, warnings = repository_services(linking, repo_service or {})
        rows, numbers, bad, skipped = [], [], [], {}
        for number, (e, context, subject, match) in enumerate(parsed, start=1):
            if isinstance(e, ValueError):
                bad.append((number, str(e)))
                continue
            if not isinstance(e, dict):
                bad.append((number, f"not a JSON object ({type(e).__name__})"))
                continue
            event_type = str(context.get("type") or e.get("type") or "")
            if not match and CUSTOM_TYPE.match(event_type):
                count_skip(skipped, f"custom CDEvents ({event_type.split('.')[2] if event_type.count('.') > 2 else event_type})")
                continue
            if not match:
                bad.append((number, f"not a CDEvent (type {event_type!r})"))
                continue
            kind = CDEVENT_KINDS.get((match.group(1), match.group(2)))
            if match.group(1) == "artifact" and match.group(2) in ARTIFACT_PREDICATES:
                count_skip(skipped, f"artifact {match.group(2)} events (read to link repositories to services)")
                continue
            if kind is None:
                count_skip(skipped, f"CDEvents not used by the metrics ({match.group(1)}.{match.group(2)})")
                continue
            content = as_dict(subject.get("content"))
            row = {"ts": context.get("timestamp") or e.get("time") or "", "kind": kind}
            subject_id = str(subject.get("id") or "")
            if match.group(1) == "change":
                repository = as_dict(content.get("repository"))
                name = _last_segment(repository)
                row.update(service=services.get(repository_key(name)) or name, pr_id=subject_id)
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
        return raw_rows(rows, numbers, bad, "event", skipped, warnings)

    return read_cdevents


LINKING = {("artifact", p) for p in ARTIFACT_PREDICATES} | {("service", p) for p in ("deployed", "upgraded", "rolledback")}


def parse(e) -> tuple:
    """(the event, its context, its subject, its type's match or None) of one document."""
    if not isinstance(e, dict):
        return e, {}, {}, None
    body = e.get("data") if isinstance(e.get("data"), dict) and "specversion" in e else e
    context, subject = as_dict(body.get("context")), as_dict(body.get("subject"))
    return e, context, subject, CDEVENT_TYPE.match(str(context.get("type") or e.get("type") or ""))
