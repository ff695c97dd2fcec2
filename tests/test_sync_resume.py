"""A dataset synced by the previous version continues where it stopped: its sync state, keyed and
shaped as that version wrote it, is found under the same key and read by the providers, which take
their options (deploy_workflow, production, service_ids) from the configuration as before.

Each STATE below is what the code at e3a0542 (before ``Source`` lost its ``service_ids``,
``deploy_workflow`` and ``production`` attributes) stored after a first sync of ``first_half``
at 2024-03-10, written out by hand from that run (the ports of the loopback fakes filled in). The
second sync runs on this version after ``second_half``; what it adds is worked out by hand."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

import pandas as pd

from fake_apis import FakeGitHub, FakePagerDuty
from fake_cd_apis import FakeArgoCD, FakeJenkins
from metrics import store
from metrics.ingest import normalize
from metrics.ingest.sync import http
from metrics.ingest.sync.config import source_of
from metrics.ingest.sync.run import sync

SECOND_SYNC = datetime(2024, 3, 20, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)


def second_sync(entry: dict, dataset: str, environ: dict, key: str, state: dict, first: list[dict]):
    """The first sync's events (``first``, canonical rows) and state stored under ``key`` as the
    previous version stored them, then this version's sync of ``entry``: the outcome, and the state
    now stored under ``key``; the sync's run is recorded under that same key only."""
    frame, _ = normalize(pd.DataFrame(first), source=key)
    assert store.append_with_state(dataset, frame, key, state) == len(first)
    src = source_of({**entry, "dataset": dataset, "since": "2024-01-01"}, "sync.toml, source 1")
    assert src.key == key
    outcome = sync(src, environ=environ, now=SECOND_SYNC)
    assert [k for k, _ in store.sync_runs(dataset)] == [key]
    return outcome, store.sync_state(dataset, key)


def events(dataset: str, columns: list, after: str = "") -> list[tuple]:
    """The stored events (after ``after``, if given) by time: MM-DDTHH:MM and ``columns``."""
    frame = store.load(dataset).sort_values(["ts", "kind"])
    frame = frame[frame["ts"] > pd.Timestamp(after, tz="UTC")] if after else frame
    return [(ts.strftime("%m-%dT%H:%M"), *rest) for ts, *rest in frame[["ts", *columns]].itertuples(index=False)]


def test_pagerduty_with_service_ids():
    key = "pagerduty:PSVC1,PSVC2"
    state = {"open": {"incidents": ["P2"]}, "watermark": {"incidents": "2024-03-10T00:00:00Z"}}
    with FakePagerDuty() as pd_api:
        # first half: P1 (PSVC1) 03-01 resolved, P2 (PSVC2) 03-05 open, P9 (another service) 03-06
        pd_api.add_incident("P1", "2024-03-01T10:00:00Z", resolved="2024-03-01T11:00:00Z", service_id="PSVC1")
        pd_api.add_incident("P2", "2024-03-05T10:00:00Z", service_id="PSVC2")
        pd_api.add_incident("P9", "2024-03-06T10:00:00Z", resolved="2024-03-06T10:30:00Z", service_id="POTHER")
        # second half: P2 resolved 03-11, P3 (PSVC1) 03-12 resolved, P10 of another service
        pd_api.incidents[1].update(status="resolved", resolved_at="2024-03-11T09:00:00Z",
                                   last_status_change_at="2024-03-11T09:00:00Z")
        pd_api.add_incident("P3", "2024-03-12T10:00:00Z", resolved="2024-03-12T12:00:00Z", service_id="PSVC1")
        pd_api.add_incident("P10", "2024-03-13T10:00:00Z", service_id="POTHER")
        first = [{"ts": "2024-03-01T10:00:00Z", "kind": "incident_start", "service": "Checkout API", "incident_id": "P1"},
                 {"ts": "2024-03-01T11:00:00Z", "kind": "incident_resolved", "service": "Checkout API",
                  "incident_id": "P1"},
                 {"ts": "2024-03-05T10:00:00Z", "kind": "incident_start", "service": "Checkout API", "incident_id": "P2"}]
        outcome, now = second_sync({"type": "pagerduty", "api_url": pd_api.url, "service_ids": ["PSVC1", "PSVC2"]},
                                   "ops", {"PAGERDUTY_TOKEN": pd_api.token}, key, state, first)
        listed = [q for p, q in pd_api.requests if p == "/incidents"]
    assert "/incidents/P2" in pd_api.paths()                      # the open incident, fetched again
    assert [q["since"] for q in listed] == ["2024-03-10T00:00:00Z"]   # from the watermark, not 2024-01-01
    assert all(q["service_ids[]"] == ["PSVC1", "PSVC2"] for q in listed)
    # P2 resolved (its start, fetched again, is stored already); P3 started and resolved; P10 is
    # another service's
    assert outcome.added == 3
    assert events("ops", ["kind", "incident_id"]) == [("03-01T10:00", "incident_start", "P1"),
                                                     ("03-01T11:00", "incident_resolved", "P1"),
                                                     ("03-05T10:00", "incident_start", "P2"),
                                                     ("03-11T09:00", "incident_resolved", "P2"),
                                                     ("03-12T10:00", "incident_start", "P3"),
                                                     ("03-12T12:00", "incident_resolved", "P3")]
    assert now == {"open": {"incidents": []}, "watermark": {"incidents": "2024-03-20T00:00:00Z"}}


def test_github_with_deploy_workflow_and_production():
    key = "github:acme/shop"
    state = {"walk": {},
             "watermark": {"pulls": "2024-03-02T10:00:00Z", "deployments": "2024-03-03T12:00:00Z",
                           "runs": "2024-03-04T11:00:00Z"},
             "watermark_ids": {"pulls": ["1"], "deployments": ["21"], "runs": ["13"]},
             "open": {"deployments": [], "runs": ["13"]}}
    with FakeGitHub() as gh:
        # first half: PR 1 merged 03-02; runs Release 11 (03-02), Deploy 12 (03-03, not release*),
        # Release 13 (03-04, in progress); deployment 21 to live, successful 03-03
        gh.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
        gh.add_run(11, "Release", "2024-03-02T11:00:00Z", "2024-03-02T11:05:00Z")
        gh.add_run(12, "Deploy", "2024-03-03T11:00:00Z", "2024-03-03T11:05:00Z")
        gh.add_run(13, "Release", "2024-03-04T11:00:00Z", "2024-03-04T11:00:30Z", status="in_progress")
        gh.add_deployment(21, "2024-03-03T12:00:00Z", environment="live")
        gh.add_status(21, "success", "2024-03-03T12:02:00Z", environment="live")
        # second half: run 13 finished 03-04 11:06; PR 2 merged 03-13; Release 14 and Deploy 15 on
        # 03-14; deployment 22 to live, successful 03-14
        gh.runs[2].update(status="completed", conclusion="success", updated_at="2024-03-04T11:06:00Z")
        gh.add_pull(2, "2024-03-12T09:00:00Z", "2024-03-13T10:00:00Z", merged="2024-03-13T10:00:00Z")
        gh.add_run(14, "Release", "2024-03-14T11:00:00Z", "2024-03-14T11:05:00Z")
        gh.add_run(15, "Deploy", "2024-03-14T12:00:00Z", "2024-03-14T12:05:00Z")
        gh.add_deployment(22, "2024-03-14T13:00:00Z", environment="live")
        gh.add_status(22, "success", "2024-03-14T13:02:00Z", environment="live")
        first = [{"ts": "2024-03-01T09:00:00Z", "kind": "pr_created", "service": "shop", "pr_id": "#1"},
                 {"ts": "2024-03-02T10:00:00Z", "kind": "pr_merged", "service": "shop", "pr_id": "#1"},
                 {"ts": "2024-03-02T11:05:00Z", "kind": "deploy", "service": "shop", "deploy_id": "run-11"},
                 {"ts": "2024-03-03T12:02:00Z", "kind": "deploy", "service": "shop", "deploy_id": "21"}]
        outcome, now = second_sync({"type": "github", "repo": "acme/shop", "api_url": gh.url,
                                    "deploy_workflow": "release*", "production": "live"},
                                   "shop", {"GITHUB_TOKEN": gh.token}, key, state, first)
        runs_asked = [q["created"] for p, q in gh.requests if p == "/repos/acme/shop/actions/runs"]
    assert "/repos/acme/shop/actions/runs/13" in gh.paths()      # the run open at the first sync
    assert runs_asked == [">=2024-03-04T11:00:00Z"]               # from the watermark, not 2024-01-01
    # run 13 finished (a deploy), PR 2 created and merged, Release 14 (release*; Deploy 15 is not),
    # deployment 22 to live: production, as the configuration says; PR 2's AI verdict
    assert outcome.added == 6
    assert events("shop", ["kind", "deploy_id", "pr_id", "environment"], after="2024-03-04") == [
        ("03-04T11:06", "deploy", "shop@run-13", "", "production"),
        ("03-12T09:00", "pr_ai_assisted", "", "shop#2", ""),
        ("03-12T09:00", "pr_created", "", "shop#2", ""),
        ("03-13T10:00", "pr_merged", "", "shop#2", ""),
        ("03-14T11:05", "deploy", "shop@run-14", "", "production"),
        ("03-14T13:02", "deploy", "shop@22", "", "production")]
    assert now["open"] == {"deployments": [], "runs": []}
    assert now["watermark"] == {"pulls": "2024-03-13T10:00:00Z", "deployments": "2024-03-14T13:00:00Z",
                                "runs": "2024-03-14T12:00:00Z"}


def test_jenkins_with_deploy_workflow():
    with FakeJenkins() as jenkins:
        key = f"jenkins:all@{jenkins.root.split('://', 1)[1]}"       # host:port/jenkins
        state = {"jobs": {"deploy-api": {"highest": 2, "open": [2]}}, "walk": {}}
        # first half: deploy-api #1 SUCCESS 03-04, #2 running since 03-05; build #1 (not deploy-*)
        jenkins.add_job("deploy-api")
        jenkins.add_job("build")
        jenkins.add_build("deploy-api", 1, "SUCCESS", "2024-03-04T10:00:00Z", 60)
        jenkins.add_build("deploy-api", 2, None, "2024-03-05T10:00:00Z")
        jenkins.add_build("build", 1, "SUCCESS", "2024-03-04T09:00:00Z", 60)
        # second half: #2 failed after 2 minutes, #3 SUCCESS 03-12; redeploy #1 (matches *deploy*,
        # not the configured deploy-*)
        jenkins.finish("deploy-api", 2, "FAILURE", 120)
        jenkins.add_build("deploy-api", 3, "SUCCESS", "2024-03-12T10:00:00Z", 60)
        jenkins.add_job("redeploy")
        jenkins.add_build("redeploy", 1, "SUCCESS", "2024-03-12T11:00:00Z", 60)
        first = [{"ts": "2024-03-04T10:01:00Z", "kind": "deploy", "service": "deploy-api", "deploy_id": "deploy-api#1"}]
        outcome, now = second_sync({"type": "jenkins", "api_url": jenkins.root, "deploy_workflow": "deploy-*"},
                                   "ci", jenkins.environ, key, state, first)
        paths = jenkins.paths()
    assert "/jenkins/job/deploy-api/2/api/json" in paths           # the build running at the first sync
    assert not any(p.startswith("/jenkins/job/redeploy/") for p in paths)
    assert outcome.added == 2
    assert events("ci", ["deploy_id", "status"]) == [("03-04T10:01", "deploy-api@deploy-api#1", "success"),
                                                    ("03-05T10:02", "deploy-api@deploy-api#2", "failed"),
                                                    ("03-12T10:01", "deploy-api@deploy-api#3", "success")]
    assert now == {"jobs": {"deploy-api": {"highest": 3, "open": []}}, "walk": {}}


def test_argocd_with_production():
    with FakeArgoCD() as argo:
        key = f"argocd:all@{argo.url.split('://', 1)[1]}"
        state = {"deployed": {"checkout": {"at": "2024-03-04T10:02:11+00:00", "ids": ["0"]},
                              "checkout-staging": {"at": "2024-03-04T11:00:10+00:00", "ids": ["0"]}}}
        # first half: checkout (namespace prod) and checkout-staging (staging) synced once on 03-04;
        # second half: each synced again on 03-12
        for app, namespace, first_sync, second_sync_at in (("checkout", "prod", "10:02:11", "10:00:20"),
                                                           ("checkout-staging", "staging", "11:00:10", "11:00:20")):
            argo.add_app(app, namespace)
            argo.synced(app, f"2024-03-04T{first_sync[:6]}00Z", f"2024-03-04T{first_sync}Z")
            argo.synced(app, f"2024-03-12T{second_sync_at[:6]}00Z", f"2024-03-12T{second_sync_at}Z")
        first = [{"ts": "2024-03-04T10:02:11Z", "kind": "deploy", "service": "checkout", "deploy_id": "checkout@0"},
                 {"ts": "2024-03-04T11:00:10Z", "kind": "deploy", "service": "checkout-staging",
                  "deploy_id": "checkout-staging@0", "environment": "staging"}]
        outcome, now = second_sync({"type": "argocd", "api_url": argo.url, "production": "prod"}, "argo",
                                   argo.environ, key, state, first)
    # only the new syncs; checkout's namespace is the configured production, staging keeps its own
    assert outcome.added == 2 and outcome.warnings == []
    assert events("argo", ["deploy_id", "environment"], after="2024-03-05") == [("03-12T10:00", "checkout@1", "production"),
                                                           ("03-12T11:00", "checkout-staging@1", "staging")]
    assert now == {"deployed": {"checkout": {"at": "2024-03-12T10:00:20+00:00", "ids": ["1"]},
                                "checkout-staging": {"at": "2024-03-12T11:00:20+00:00", "ids": ["1"]}}}
