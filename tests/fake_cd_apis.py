"""HTTP servers on 127.0.0.1 that speak Argo CD's and Jenkins' JSON APIs as their documentation
describes, for the live sync tests of the argocd and jenkins sources (nothing here calls a real
service). Built on ``fake_apis.FakeApi``: the data lives in plain structures the test fills, every
request is logged, a wrong credential is answered 401, and ``fail_next`` queues replies (a 429 with
``Retry-After``, a 5xx) sent before the real answer.

- Argo CD (https://argo-cd.readthedocs.io/en/stable/developer-guide/api-docs/ and the API's
  swagger): ``GET /api/v1/applications`` -> ``{"metadata": {"resourceVersion"}, "items": [...]}``
  (``items`` null when there is none; the list has no pagination), ``GET
  /api/v1/applications/NAME``; ``Authorization: Bearer TOKEN``. A sync appends to
  ``status.history`` with the next id and keeps the newest ``revisionHistoryLimit`` (10).
- Jenkins (https://www.jenkins.io/doc/book/using/remote-access-api/ and the ``/api/`` page):
  ``/api/json`` of the root, a folder (``/job/F/``) or a job (``/job/F/job/J/``), and of a build
  (``/job/J/N/``), under a context path (``/jenkins``); the ``tree`` parameter picks the fields,
  with range specifiers ``{M,N}``, ``{M,}``, ``{,N}``, ``{N}``; ``builds`` is the newest 100,
  ``allBuilds`` every build, newest first; HTTP Basic with a user and an API token."""
from __future__ import annotations

import base64
import copy
import re
from dataclasses import dataclass, fields as dataclass_fields
from datetime import datetime, timezone
from urllib.parse import quote, unquote

import pandas as pd

from fake_apis import FakeApi
from metrics import store
from metrics.ingest import normalize
from metrics.ingest.sync.config import Source
from metrics.ingest.sync.http import Client
from metrics.registry.source import source
from metrics.schema import COLUMNS

ARGOCD_HISTORY_LIMIT = 10


class FakeArgoCD(FakeApi):
    """Argo CD's applications API over ``apps`` (Application objects)."""

    def __init__(self, token: str = "argocd-test-token"):
        super().__init__(token, "Authorization", f"Bearer {token}")
        self.apps: list[dict] = []
        self.version = 4810000
        self.environ = {"ARGOCD_TOKEN": token}            # what the sync reads its token from

    def route(self, path, query):
        if path == "/api/v1/applications":
            return 200, {}, {"metadata": {"resourceVersion": str(self.version)}, "items": self.apps or None}
        if path.startswith("/api/v1/applications/"):
            name = unquote(path[len("/api/v1/applications/"):])
            match = [a for a in self.apps if a["metadata"]["name"] == name]
            if match:
                return 200, {}, match[0]
            message = f'applications.argoproj.io "{name}" not found'
            return 404, {}, {"error": message, "code": 5, "message": message}
        return 404, {}, {"error": "Not Found", "code": 5, "message": "Not Found"}

    def add_app(self, name: str, namespace: str = "prod", labels: dict | None = None) -> dict:
        app = {"metadata": {"name": name, "namespace": "argocd", "uid": f"uid-{name}", "resourceVersion": "1",
                            "generation": 1, "creationTimestamp": "2024-01-01T00:00:00Z", "labels": labels or {}},
               "spec": {"source": {"repoURL": "https://github.com/acme/deploy.git", "path": f"apps/{name}",
                                   "targetRevision": "main"},
                        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                        "project": "default"},
               "status": {"sync": {"status": "OutOfSync"}, "health": {"status": "Missing"}}}
        self.apps.append(app)
        return app

    def synced(self, name: str, started: str, deployed: str, revision: str = "0" * 40) -> int:
        """A completed sync of application ``name``: a history entry with the next id (the oldest
        dropped beyond the history limit). Returns the id."""
        app = next(a for a in self.apps if a["metadata"]["name"] == name)
        history = app["status"].setdefault("history", [])
        ident = history[-1]["id"] + 1 if history else 0
        history.append({"revision": revision, "deployedAt": deployed, "id": ident, "source": app["spec"]["source"],
                        "deployStartedAt": started, "initiatedBy": {"automated": True}})
        del history[:-ARGOCD_HISTORY_LIMIT]
        app["status"].update(sync={"status": "Synced", "revision": revision}, health={"status": "Healthy"})
        self.version += 1
        return ident


def millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp() * 1000)


def tree_fields(text: str) -> dict:
    """A ``tree`` expression's top level: field -> (its own tree or "", range text or "")."""
    fields, depth, start = {}, 0, 0
    for i, ch in enumerate(text + ","):
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == "," and depth == 0:
            part = text[start:i].strip()
            match = re.fullmatch(r"([\w*]+)(?:\[(.*)\])?(?:\{(.*)\})?", part)
            if match:
                fields[match.group(1)] = (match.group(2) or "", match.group(3))
            start = i + 1
    return fields


def in_range(items: list, spec: str | None) -> list:
    """``items`` cut by a range specifier: ``M,N``, ``M,``, ``,N`` or ``N``."""
    if spec is None:
        return items
    if "," not in spec:
        return items[int(spec): int(spec) + 1]
    low, high = spec.split(",", 1)
    return items[int(low or 0): int(high) if high else None]


class FakeJenkins(FakeApi):
    """Jenkins' JSON API over ``items``: full name -> a job (``builds``, newest last) or a folder."""

    JOB, FOLDER, RUN = ("org.jenkinsci.plugins.workflow.job.WorkflowJob", "com.cloudbees.hudson.plugins.folder.Folder",
                        "org.jenkinsci.plugins.workflow.job.WorkflowRun")

    def __init__(self, user: str = "ci-reader", token: str = "11d0c2b7a4e5f60718293a4b5c6d7e8f9a",
                 context: str = "/jenkins"):
        pair = base64.b64encode(f"{user}:{token}".encode()).decode()
        super().__init__(token, "Authorization", f"Basic {pair}")
        self.user, self.context = user, context
        self.items: dict[str, dict] = {}
        self.environ = {"JENKINS_USER": user, "JENKINS_TOKEN": token}

    @property
    def root(self) -> str:
        """The URL to give as api_url (Jenkins' root URL, with its context path)."""
        return self.url + self.context

    def job_url(self, full: str) -> str:
        return self.root + "/" + "".join(f"job/{quote(p, safe='')}/" for p in full.split("/"))

    def add_folder(self, full: str) -> None:
        self.items[full] = {"_class": self.FOLDER}

    def add_job(self, full: str) -> None:
        self.items[full] = {"_class": self.JOB, "builds": []}

    def add_build(self, full: str, number: int, result: str | None, start: str, seconds: float = 60.0) -> dict:
        """A build of job ``full`` started at ``start``: finished with ``result`` after ``seconds``,
        or running (``result`` None: no result, duration 0, building)."""
        build = {"_class": self.RUN, "number": number, "result": result, "timestamp": millis(start),
                 "duration": 0 if result is None else int(seconds * 1000), "building": result is None,
                 "url": f"{self.job_url(full)}{number}/"}
        self.items[full]["builds"].append(build)
        return build

    def finish(self, full: str, number: int, result: str, seconds: float) -> None:
        build = next(b for b in self.items[full]["builds"] if b["number"] == number)
        build.update(result=result, duration=int(seconds * 1000), building=False)

    def route(self, path, query):
        if not path.startswith(self.context + "/") or not path.endswith("/api/json"):
            return 404, {}, {"message": "Not Found"}
        parts = path[len(self.context) + 1: -len("/api/json")].split("/") if path != self.context + "/api/json" else []
        names, number = [], None
        while parts:
            if parts[0] == "job" and len(parts) >= 2:
                names.append(unquote(parts[1]))
                parts = parts[2:]
            elif len(parts) == 1 and parts[0].isdigit():
                number, parts = int(parts[0]), []
            else:
                return 404, {}, {"message": "Not Found"}
        full = "/".join(names)
        fields = tree_fields(query.get("tree", ""))
        item = self.items.get(full) if full else {"_class": "hudson.model.Hudson"}
        if item is None:
            return 404, {}, {"message": "Not Found"}
        if number is not None:
            build = next((b for b in item.get("builds", []) if b["number"] == number), None)
            return (200, {}, self.pick(build, fields)) if build else (404, {}, {"message": "Not Found"})
        body = {"_class": item["_class"]}
        if item["_class"] != self.JOB and "jobs" in fields:
            body["jobs"] = [self.listed(child, fields["jobs"][0]) for child in self.children(full)]
        newest_first = sorted(item.get("builds", []), key=lambda b: -b["number"])
        for name, every in (("builds", newest_first[:100]), ("allBuilds", newest_first)):
            if "builds" in item and name in fields:
                body[name] = [self.pick(b, tree_fields(fields[name][0])) for b in in_range(every, fields[name][1])]
        return 200, {}, body

    def children(self, full: str) -> list[str]:
        depth = full.count("/") + 1 if full else 0
        return [name for name in self.items if name.count("/") == depth and (not full or name.startswith(full + "/"))]

    def listed(self, full: str, tree: str) -> dict:
        item, fields = self.items[full], tree_fields(tree)
        known = {"name": full.rsplit("/", 1)[-1], "fullName": full, "url": self.job_url(full)}
        out = {"_class": item["_class"], **{k: v for k, v in known.items() if k in fields}}
        if item["_class"] == self.FOLDER and "jobs" in fields:
            out["jobs"] = [self.listed(child, fields["jobs"][0]) for child in self.children(full)]
        if "builds" in item and "builds" in fields:
            out["builds"] = [self.pick(b, tree_fields(fields["builds"][0]))
                             for b in sorted(item["builds"], key=lambda b: -b["number"])[:100]]
        return out

    @staticmethod
    def pick(build: dict, fields: dict) -> dict:
        return {"_class": build["_class"], **{k: v for k, v in build.items() if k in fields or not fields}}


# ---------------------------------------------------------------------------------------------
# One sync through a source's SyncSpec, as the sync command runs it


@dataclass
class Synced:
    """What one sync did: the validated events of every batch, what was skipped and rejected, the
    state of the last batch (what the store would keep), requests sent, waits, events stored."""

    frame: pd.DataFrame
    skipped: dict
    rejected: list
    state: dict
    requests: int
    waits: list
    batches: int
    added: int


def configured(provider: str, api_url: str, dataset: str, **fields) -> Source:
    """A configured source for the sync tests: no target unless given, since 2024-01-01. ``fields``
    are the ``Source``'s own (target, service, since...) and the provider's options (production,
    deploy_workflow...); an option the provider does not declare is left out, as a ``[defaults]``
    key is."""
    own = {f.name for f in dataclass_fields(Source)}
    declared = {o.name for o in source(provider).sync.options}
    return Source(**{"provider": provider, "dataset": dataset, "target": "", "api_url": api_url,
                     "since": "2024-01-01T00:00:00Z", **{k: v for k, v in fields.items() if k in own}},
                  options={k: v for k, v in fields.items() if k in declared})


def sync_once(src: Source, state: dict, environ: dict, now: str = "2024-03-20T00:00:00Z", save: bool = False,
              batches_at_most: int | None = None) -> Synced:
    """Run the sync of ``src`` (its provider's ``SyncSpec``) from ``state``: each batch's objects
    mapped by its ``events``, validated, and (``save``) stored in the source's dataset with the
    batch's state; waits are recorded, not slept. ``batches_at_most`` stops early, as a sync killed
    after that many batches."""
    spec = source(src.provider).sync
    waits: list = []
    client = Client(src.api_url, spec.auth(environ), sleep=waits.append)
    frames, skipped, rejected, last, count, added = [], {}, [], state, 0, 0
    for batch in spec.batches(client, src, copy.deepcopy(state), now):
        raw = spec.events(src, batch.objects)
        frame, report = normalize(raw.rows, raw.numbers, source=src.key, unit=raw.unit, parse_errors=raw.bad)
        frames.append(frame)
        for reason, n in raw.skipped.items():
            skipped[reason] = skipped.get(reason, 0) + n
        rejected += report.rejected["reason"].tolist()
        if save:
            added += store.append_with_state(src.dataset, frame, src.key, batch.state)
        last, count = batch.state, count + 1
        if batches_at_most and count >= batches_at_most:
            break
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    return Synced(frame, skipped, rejected, last, client.requests, waits, count, added)


def event_tuples(frame: pd.DataFrame, columns: list) -> list[tuple]:
    """The events of ``frame`` by time (then deploy_id) as tuples: the time in ISO 8601 (whatever the
    column's resolution), then ``columns``."""
    rows = frame.sort_values(["ts", "deploy_id"])[["ts", *columns]]
    return [(ts.isoformat(), *rest) for ts, *rest in rows.itertuples(index=False)]
