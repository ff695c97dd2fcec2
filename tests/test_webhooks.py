"""Push ingestion: signed deliveries shaped like each provider's documentation (written here from
the docs), the providers' own signature test vectors, replay, oversize, refusals, the audit trail,
and a fuzz suite: no 500, nothing stored on refusal."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import run_cli
from dashboard.app import create_app
from dashboard.auth import AuthSettings
from metrics import store
from metrics.ingest import webhooks as hooks
from metrics.ingest.sources.github.webhook import github_signature_valid
from metrics.ingest.sources.pagerduty.webhook import pagerduty_signature_valid

GITHUB_SECRET = "gh-secret-for-tests"
GITLAB_TOKEN = "gl-token-for-tests"
PD_SECRET = "pd-secret-for-tests"
INGEST = "ingest-token-for-tests"
SIGNING = "whsec_" + base64.b64encode(b"gitlab-signing-key-32-bytes-long").decode()


@pytest.fixture
def env(monkeypatch):
    for name, value in (("GITHUB_WEBHOOK_SECRET", GITHUB_SECRET), ("GITLAB_WEBHOOK_TOKEN", GITLAB_TOKEN),
                        ("PAGERDUTY_WEBHOOK_SECRET", PD_SECRET), ("METRICS_INGEST_TOKEN", INGEST)):
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITLAB_WEBHOOK_SIGNING_TOKEN", raising=False)


@pytest.fixture
def client(env, data_dir):
    return create_app().server.test_client()


def events_of(name: str):
    return store.load(name).sort_values(["ts", "kind"]).reset_index(drop=True)


# -- the providers' test vectors ------------------------------------------------------------------

def test_github_documentation_vector():
    # GitHub's "Validating webhook deliveries": secret "It's a Secret to Everybody", payload "Hello, World!"
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert github_signature_valid("It's a Secret to Everybody", b"Hello, World!", header)
    assert not github_signature_valid("It's a Secret to Everybody", b"Hello, World?", header)
    assert not github_signature_valid("another secret", b"Hello, World!", header)
    assert not github_signature_valid("It's a Secret to Everybody", b"Hello, World!", None)
    assert not github_signature_valid("It's a Secret to Everybody", b"Hello, World!", header[7:])


def test_standard_webhooks_vector():
    # the Standard Webhooks reference libraries' test vector
    secret, msg_id, stamp = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330"
    body = b'{"test": 2432232314}'
    signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    now = 1614265330 + 10
    assert hooks.standard_signature_problem(secret, body, msg_id, stamp, signature, now) is None
    assert hooks.standard_signature_problem(secret, body, msg_id, stamp, "v1,bm90IGl0 " + signature, now) is None
    assert "no webhook-signature matches" in hooks.standard_signature_problem(secret, body + b" ", msg_id, stamp,
                                                                              signature, now)
    assert "5 minutes" in hooks.standard_signature_problem(secret, body, msg_id, stamp, signature, now + 301)
    assert "missing" in hooks.standard_signature_problem(secret, body, None, stamp, signature, now)


def test_pagerduty_accepts_any_matching_signature():
    body = b'{"event": {}}'
    good = "v1=" + hmac.new(PD_SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert pagerduty_signature_valid(PD_SECRET, body, good)
    assert pagerduty_signature_valid(PD_SECRET, body, f"v1={'0' * 64},{good}")
    assert not pagerduty_signature_valid(PD_SECRET, body, f"v1={'0' * 64}")
    assert not pagerduty_signature_valid(PD_SECRET, body, good.replace("v1=", "v0="))


# -- GitHub ---------------------------------------------------------------------------------------

REPO = {"id": 1, "name": "checkout", "full_name": "acme/checkout", "url": "https://api.github.com/repos/acme/checkout"}


def github(client, event, payload, delivery, dataset="live", secret=GITHUB_SECRET, query=""):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(f"/webhooks/github/{dataset}{query}", data=body, content_type="application/json",
                       headers={"X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
                                "X-Hub-Signature-256": signature})


def pull_request(action, merged_at=None):
    return {"action": action, "number": 7, "repository": REPO, "pull_request": {
        "url": "https://api.github.com/repos/acme/checkout/pulls/7", "number": 7, "state": "closed" if merged_at else "open",
        "created_at": "2024-03-04T09:00:00Z", "merged_at": merged_at, "user": {"login": "ada"},
        "base": {"ref": "main", "repo": REPO}}}


def test_a_merged_pull_requests_size_comes_with_its_delivery(client):
    """GitHub's pull_request payload carries the PR's additions, deletions and changed_files: the
    closed-and-merged delivery gives them as sizes at the merge (an opened one has no merge: none)."""
    size = {"additions": 40, "deletions": 12, "changed_files": 3}
    opened = pull_request("opened")
    opened["pull_request"].update(size)
    assert github(client, "pull_request", opened, "z1").get_json()["added"] == 1
    merged = pull_request("closed", "2024-03-04T10:30:00Z")
    merged["pull_request"].update(size)
    assert github(client, "pull_request", merged, "z2").get_json()["added"] == 5        # the merge, 3 sizes, AI verdict
    stored = events_of("live")
    sizes = stored[stored["kind"].isin(["pr_lines_added", "pr_lines_removed", "pr_files_changed"])]
    assert sorted(zip(sizes["kind"], sizes["metric_value"], sizes["ts"].astype(str))) == [
        ("pr_files_changed", 3.0, "2024-03-04 10:30:00+00:00"), ("pr_lines_added", 40.0, "2024-03-04 10:30:00+00:00"),
        ("pr_lines_removed", 12.0, "2024-03-04 10:30:00+00:00")]


def deployment_status(state, at, deployment=42, environment="production"):
    return {"action": "created", "repository": REPO,
            "deployment": {"id": deployment, "url": f"https://api.github.com/repos/acme/checkout/deployments/{deployment}",
                           "environment": environment, "sha": "abc", "created_at": "2024-03-04T11:00:00Z"},
            "deployment_status": {"id": deployment * 10 + len(at), "state": state, "environment": environment,
                                  "created_at": at,
                                  "deployment_url": f"https://api.github.com/repos/acme/checkout/deployments/{deployment}",
                                  "repository_url": REPO["url"]}}


def test_github_deliveries_become_events_once(client):
    assert github(client, "ping", {"zen": "Design for failure.", "hook_id": 1}, "d0").get_json()["pong"] is True
    opened = github(client, "pull_request", pull_request("opened"), "d1").get_json()
    assert (opened["added"], opened["repeated"], opened["events"]) == (1, False, 1)
    review = {"action": "submitted", "repository": REPO, "pull_request": {"url": pull_request("x")["pull_request"]["url"]},
              "review": {"id": 9, "state": "approved", "submitted_at": "2024-03-04T10:00:00Z", "user": {"login": "grace"},
                         "pull_request_url": "https://api.github.com/repos/acme/checkout/pulls/7"}}
    assert github(client, "pull_request_review", review, "d2").get_json()["added"] == 1
    merged = github(client, "pull_request", pull_request("closed", "2024-03-04T10:30:00Z"), "d3").get_json()
    assert merged["added"] == 2                        # the merge and its AI verdict; its creation was stored already
    assert github(client, "deployment_status", deployment_status("in_progress", "2024-03-04T10:59:00Z"),
                  "d4").get_json()["skipped"] == {"deployment statuses that are not final (in_progress)": 1}
    assert github(client, "deployment_status", deployment_status("success", "2024-03-04T11:00:00Z"),
                  "d5").get_json()["added"] == 1
    later = github(client, "deployment_status", deployment_status("failure", "2024-03-04T12:00:00Z"), "d6").get_json()
    assert later["added"] == 0
    assert later["skipped"] == {"later final statuses of a deployment (its first one counts)": 1}
    staging = github(client, "deployment_status", deployment_status("success", "2024-03-04T13:00:00Z", 43, "staging"),
                     "d7").get_json()
    assert staging["added"] == 0 and staging["skipped"] == {"deployments outside production (staging)": 1}
    push = github(client, "push", {"ref": "refs/heads/main", "repository": REPO}, "d8").get_json()
    assert push["skipped"] == {"GitHub push deliveries (not used by the metrics)": 1}
    edited = github(client, "pull_request", pull_request("edited"), "d9").get_json()
    assert edited["skipped"] == {"GitHub pull_request deliveries with action edited (not used by the metrics)": 1}
    again = github(client, "deployment_status", deployment_status("success", "2024-03-04T11:00:00Z"), "d5").get_json()
    assert again["repeated"] is True and again["added"] == 0
    stored = events_of("live")
    assert list(stored["kind"]) == ["pr_ai_assisted", "pr_created", "pr_reviewed", "pr_merged", "deploy"]
    assert set(stored["service"]) == {"checkout"}
    deploy = stored[stored["kind"] == "deploy"].iloc[0]
    assert (deploy["deploy_id"], deploy["status"], str(deploy["ts"])) == ("checkout@42", "success", "2024-03-04 11:00:00+00:00")
    assert stored[stored["kind"] == "pr_reviewed"].iloc[0]["author"] == "grace"
    # the same numbers as python -m metrics: lead time 10:00 PR created 09:00 -> deployed 11:00 = 2 h
    summary = json.loads(run_cli("--dataset", "live", "--json").stdout)
    assert summary["dora"]["lead_time_hours_median"] == pytest.approx(2.0)
    audit = [e for e in store.audit_log(50) if e.action == "webhook"]
    assert {e.who for e in audit} == {"webhook:github"} and sum(e.events for e in audit) == 5     # and the AI verdict
    assert any(e.detail == "github delivery d5" and e.events == 1 for e in audit)


def test_webhook_and_import_map_the_same_objects_the_same_way(client, tmp_path):
    objects = [pull_request("closed", "2024-03-04T10:30:00Z")["pull_request"],
               deployment_status("success", "2024-03-04T11:00:00Z")["deployment_status"]]
    (tmp_path / "github.json").write_text(json.dumps(objects))
    assert run_cli("import", "--from", "github", tmp_path / "github.json", "--name", "imported").returncode == 0
    github(client, "pull_request", pull_request("closed", "2024-03-04T10:30:00Z"), "m1")
    github(client, "deployment_status", deployment_status("success", "2024-03-04T11:00:00Z"), "m2")
    assert events_of("live").equals(events_of("imported"))


def test_releases_and_workflow_runs(client):
    release = {"action": "published", "repository": REPO, "release": {
        "id": 5, "tag_name": "v1.2.0", "draft": False, "prerelease": False, "published_at": "2024-03-05T08:00:00Z",
        "url": "https://api.github.com/repos/acme/checkout/releases/5"}}
    assert github(client, "release", release, "r1").get_json()["skipped"] == {
        "releases (--releases-as-deployments counts them as deployments)": 1}
    assert github(client, "release", release, "r2", query="?releases=true").get_json()["added"] == 1
    run = {"action": "completed", "repository": REPO, "workflow_run": {
        "id": 99, "name": "Deploy to production", "path": ".github/workflows/deploy.yml", "workflow_id": 3,
        "status": "completed", "conclusion": "failure", "updated_at": "2024-03-05T09:00:00Z", "repository": REPO}}
    assert github(client, "workflow_run", run, "w1").get_json()["added"] == 1
    ci = {**run, "workflow_run": {**run["workflow_run"], "id": 100, "name": "CI", "path": ".github/workflows/ci.yml"}}
    assert github(client, "workflow_run", ci, "w2").get_json()["added"] == 0
    deploys = events_of("live")
    assert list(deploys["deploy_id"]) == ["checkout@v1.2.0", "checkout@run-99"] and list(deploys["status"]) == ["success", "failed"]
    assert github(client, "release", release, "r3", query="?releases=maybe").status_code == 400
    assert github(client, "release", release, "r4", query="?colour=red").status_code == 400


def test_service_parameter_names_the_service(client):
    github(client, "pull_request", pull_request("opened"), "s1", query="?service=payments")
    assert set(events_of("live")["service"]) == {"payments"}


@pytest.mark.parametrize("tamper", ["wrong secret", "no signature", "body changed"])
def test_a_forged_delivery_is_401_and_stores_nothing(client, tamper, capsys):
    payload = pull_request("opened")
    if tamper == "wrong secret":
        reply = github(client, "pull_request", payload, "f1", secret="guess")
    else:
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "f1"}
        if tamper == "body changed":
            headers["X-Hub-Signature-256"] = signature
            body = body.replace(b"ada", b"eve")
        reply = client.post("/webhooks/github/live", data=body, headers=headers, content_type="application/json")
    assert reply.status_code == 401 and "not authentic" in reply.get_json()["error"]
    assert store.list_datasets() == []
    logged = capsys.readouterr().err
    assert "webhook github for dataset live refused" in logged and "delivery f1" in logged
    assert GITHUB_SECRET not in logged and GITHUB_SECRET not in reply.get_data(as_text=True)


def test_unconfigured_and_unknown_sources_are_404(client, monkeypatch):
    monkeypatch.delenv("GITHUB_WEBHOOK_SECRET")
    assert github(client, "pull_request", pull_request("opened"), "u1").status_code == 404
    assert client.post("/webhooks/bitbucket/live", data=b"{}").status_code == 404
    signed_in_only = create_app(auth_settings=AuthSettings(mode="basic", secret_key="x" * 40)).server.test_client()
    assert signed_in_only.get("/webhooks/github/live").status_code == 401     # only deliveries pass the gate


def test_oversize_is_413_and_malformed_is_400(client, monkeypatch):
    monkeypatch.setenv("METRICS_WEBHOOK_MAX_MB", "0.01")
    big = github(client, "pull_request", {**pull_request("opened"), "padding": "x" * 20000}, "o1")
    assert big.status_code == 413 and "METRICS_WEBHOOK_MAX_MB" in big.get_json()["error"]
    monkeypatch.delenv("METRICS_WEBHOOK_MAX_MB")
    body = b"{not json"
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()
    bad = client.post("/webhooks/github/live", data=body, headers={"X-GitHub-Event": "pull_request",
                                                                   "X-Hub-Signature-256": signature})
    assert bad.status_code == 400 and "not JSON" in bad.get_json()["error"]
    assert github(client, "pull_request", pull_request("opened"), "o2", dataset="bad name!").status_code in (400, 404)
    broken = pull_request("opened")
    broken["pull_request"]["created_at"] = "yesterday"
    refused = github(client, "pull_request", broken, "o3")
    assert refused.status_code == 400 and "bad timestamp" in json.dumps(refused.get_json())
    assert store.list_datasets() == []


def test_webhooks_work_with_sign_in_on_and_need_no_session(env, data_dir):
    app = create_app(auth_settings=AuthSettings(mode="basic", secret_key="x" * 40))
    reply = github(app.server.test_client(), "pull_request", pull_request("opened"), "a1")
    assert reply.status_code == 200 and reply.get_json()["added"] == 1


# -- GitLab ---------------------------------------------------------------------------------------

PROJECT = {"id": 15, "name": "Web Shop", "path_with_namespace": "acme/web-shop",
           "web_url": "https://gitlab.example.com/acme/web-shop"}


def gitlab(client, payload, headers=None, dataset="live"):
    return client.post(f"/webhooks/gitlab/{dataset}", data=json.dumps(payload), content_type="application/json",
                       headers={"X-Gitlab-Token": GITLAB_TOKEN, **(headers or {})})


def merge_request(action, at):
    return {"object_kind": "merge_request", "event_type": "merge_request", "user": {"username": "linus"},
            "project": PROJECT, "object_attributes": {"iid": 3, "action": action, "created_at": "2024-03-04 08:00:00 UTC",
                                                      "updated_at": at, "url": PROJECT["web_url"] + "/-/merge_requests/3"}}


def test_gitlab_hooks(client):
    assert gitlab(client, merge_request("open", "2024-03-04 08:00:00 UTC"), {"Idempotency-Key": "g1"}).get_json()["added"] == 1
    assert gitlab(client, merge_request("approved", "2024-03-04T09:00:00Z"), {"Idempotency-Key": "g2"}).get_json()["added"] == 1
    assert gitlab(client, merge_request("merge", "2024-03-04T10:00:00Z"), {"Idempotency-Key": "g3"}).get_json()["added"] == 1
    assert gitlab(client, merge_request("update", "2024-03-04T10:05:00Z"), {"Idempotency-Key": "g4"}).get_json()["added"] == 0
    deployment = {"object_kind": "deployment", "status": "running", "deployment_id": 12, "deployable_id": 8,
                  "status_changed_at": "2024-03-04 11:55:00 +0000", "environment": "production", "project": PROJECT}
    assert gitlab(client, deployment, {"Idempotency-Key": "g5"}).get_json()["skipped"] == {
        "deployments that did not finish (running)": 1}
    done = {**deployment, "status": "success", "status_changed_at": "2024-03-04 12:00:00 +0000"}
    assert gitlab(client, done, {"Idempotency-Key": "g6"}).get_json()["added"] == 1
    assert gitlab(client, done, {"Idempotency-Key": "g6"}).get_json()["repeated"] is True
    pipeline = {"object_kind": "pipeline", "project": PROJECT, "object_attributes": {
        "id": 77, "name": "deploy production", "ref": "main", "status": "failed", "finished_at": "2024-03-05 09:00:00 UTC"}}
    assert gitlab(client, pipeline, {"Idempotency-Key": "g7"}).get_json()["added"] == 1
    stored = events_of("live")
    assert list(stored["kind"]) == ["pr_created", "pr_reviewed", "pr_merged", "deploy", "deploy"]
    assert set(stored["service"]) == {"web-shop"} and list(stored["pr_id"][:3]) == ["web-shop!3"] * 3
    assert str(stored["ts"].iloc[0]) == "2024-03-04 08:00:00+00:00"
    assert gitlab(client, merge_request("open", "x"), {"X-Gitlab-Token": "wrong"}).status_code == 401


def test_gitlab_signing_token_standard_webhooks(client, monkeypatch):
    monkeypatch.setenv("GITLAB_WEBHOOK_SIGNING_TOKEN", SIGNING)
    payload = json.dumps(merge_request("open", "2024-03-04 08:00:00 UTC")).encode()

    def signed(msg_id, stamp, body=payload):
        key = base64.b64decode(SIGNING[len("whsec_"):])
        signature = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
        return {"webhook-id": msg_id, "webhook-timestamp": str(stamp), "webhook-signature": "v1," + signature.decode(),
                "X-Gitlab-Token": GITLAB_TOKEN}
    now = int(time.time())
    post = lambda headers, body=payload: client.post("/webhooks/gitlab/live", data=body, headers=headers,  # noqa: E731
                                                     content_type="application/json")
    assert post(signed("msg_1", now)).get_json()["added"] == 1
    assert post(signed("msg_1", now)).get_json()["repeated"] is True
    old = post(signed("msg_2", now - 600))
    assert old.status_code == 401 and "5 minutes" in old.get_json()["error"]
    assert post({k: v for k, v in signed("msg_3", now).items() if k != "webhook-signature"}).status_code == 401
    assert len(store.load("live")) == 1


# -- PagerDuty ------------------------------------------------------------------------------------

def pagerduty(client, event_type, event_id, occurred_at, signature_secret=PD_SECRET):
    payload = {"event": {"id": event_id, "event_type": event_type, "resource_type": "incident",
                         "occurred_at": occurred_at, "agent": None, "client": None, "data": {
                             "id": "PGR0VU2", "type": "incident", "number": 2, "status": event_type.split(".")[1],
                             "created_at": "2024-03-04T11:30:00Z", "title": "Checkout is down", "urgency": "high",
                             "service": {"id": "PF9KMXH", "summary": "checkout", "type": "service_reference"}}}}
    body = json.dumps(payload).encode()
    signature = "v1=" + hmac.new(signature_secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/webhooks/pagerduty/live", data=body, content_type="application/json",
                       headers={"X-PagerDuty-Signature": f"v1={'ab' * 32},{signature}"})


def test_pagerduty_incident_lifecycle(client):
    assert pagerduty(client, "incident.triggered", "01DEN", "2024-03-04T11:30:00Z").get_json()["added"] == 1
    ack = pagerduty(client, "incident.acknowledged", "01DEO", "2024-03-04T11:35:00Z").get_json()
    assert ack["added"] == 0 and ack["skipped"] == {"PagerDuty incident.acknowledged events (no number changes)": 1}
    assert pagerduty(client, "incident.resolved", "01DEP", "2024-03-04T12:10:00Z").get_json()["added"] == 1
    assert pagerduty(client, "incident.resolved", "01DEP", "2024-03-04T12:10:00Z").get_json()["repeated"] is True
    assert pagerduty(client, "incident.resolved", "01DEQ", "2024-03-04T12:10:00Z", "wrong").status_code == 401
    stored = events_of("live")
    assert list(stored["kind"]) == ["incident_start", "incident_resolved"]
    assert set(stored["incident_id"]) == {"PGR0VU2"} and set(stored["service"]) == {"checkout"}
    summary = json.loads(run_cli("--dataset", "live", "--json").stdout)
    assert summary["dora"]["mttr_minutes_mean"] == pytest.approx(40.0)          # 11:30 -> 12:10


# -- CDEvents and canonical events ----------------------------------------------------------------

CDEVENT = {"context": {"version": "0.4.1", "id": "271069a8-fc18-44f1-b38f-9d70a1695819",
                       "source": "/event/source/123", "type": "dev.cdevents.service.deployed.0.2.0",
                       "timestamp": "2024-03-04T12:00:00Z"},
           "subject": {"id": "checkout", "source": "/event/source/123", "type": "service",
                       "content": {"environment": {"id": "production"}, "artifactId": "pkg:oci/checkout@sha256:0b"}}}


def test_cdevents_binary_and_structured_modes(client):
    bearer = {"Authorization": f"Bearer {INGEST}"}
    binary = client.post("/webhooks/cdevents/live", data=json.dumps(CDEVENT), content_type="application/json",
                         headers={**bearer, "ce-specversion": "1.0", "ce-id": "e1", "ce-source": "/ci",
                                  "ce-type": CDEVENT["context"]["type"], "ce-time": "2024-03-04T12:00:00Z"})
    assert binary.status_code == 200 and binary.get_json()["added"] == 1
    second = json.loads(json.dumps(CDEVENT))
    second["context"].update(id="e2", timestamp="2024-03-04T13:00:00Z")
    structured = {"specversion": "1.0", "id": "e2", "source": "/ci", "type": second["context"]["type"], "data": second}
    reply = client.post("/webhooks/cdevents/live", data=json.dumps(structured),
                        content_type="application/cloudevents+json", headers=bearer)
    assert reply.get_json()["added"] == 1
    assert client.post("/webhooks/cdevents/live", data=json.dumps(structured),
                       content_type="application/cloudevents+json", headers=bearer).get_json()["repeated"] is True
    assert client.post("/webhooks/cdevents/live", data=json.dumps(structured), headers={"Authorization": "Bearer no"},
                       content_type="application/cloudevents+json").status_code == 401
    assert list(events_of("live")["kind"]) == ["deploy", "deploy"]


def test_canonical_events(client):
    bearer = {"Authorization": f"Bearer {INGEST}", "Idempotency-Key": "batch-1"}
    batch = {"events": [{"ts": "2024-03-04T12:00:00Z", "kind": "deploy", "service": "api", "deploy_id": "d1"},
                        {"ts": "2024-03-04T12:30:00Z", "kind": "toil", "service": "api", "metric_value": 30}]}
    first = client.post("/webhooks/events/live", json=batch, headers=bearer).get_json()
    assert first["added"] == 2 and first["events"] == 2
    assert client.post("/webhooks/events/live", json=batch, headers=bearer).get_json()["repeated"] is True
    bad = client.post("/webhooks/events/live", json=[{"ts": "soon", "kind": "deploy", "service": "api"}],
                      headers={"Authorization": f"Bearer {INGEST}"})
    assert bad.status_code == 400 and "bad timestamp" in json.dumps(bad.get_json())
    assert len(store.load("live")) == 2


def test_the_dataset_listing_shows_webhook_totals(client):
    github(client, "pull_request", pull_request("opened"), "t1")
    github(client, "push", {"repository": REPO}, "t2")
    listing = run_cli("datasets").stdout
    assert "webhooks from github: 2 deliveries, +1 events, 1 skipped, 0 rejected" in listing, listing
    assert "skipped 1: GitHub push deliveries (not used by the metrics)" in listing
    from components.sync_status import sync_status
    from metrics.ingest.sync.run import last_runs
    line = str(sync_status(last_runs("live")))
    assert "last delivery" in line and "2 deliveries, +1 events, 1 skipped" in line


# -- fuzz: any body, any headers -----------------------------------------------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=12), inner, max_size=4)),
                           max_leaves=12)


def test_odd_headers_and_payloads_are_4xx_not_500(client, monkeypatch):
    body = json.dumps(pull_request("opened")).encode()
    for header in ("X-Hub-Signature-256", "X-PagerDuty-Signature", "X-Gitlab-Token", "Authorization"):
        for provider in ("github", "pagerduty", "gitlab", "events"):
            reply = client.post(f"/webhooks/{provider}/live", data=body, headers={header: "sha256=é v1=é Bearer é"})
            assert reply.status_code == 401, (provider, header, reply.status_code)
    odd = [("release", {"action": "published", "repository": {"url": 7}, "release": {"tag_name": "v1", "published_at": "x"}}),
           ("pull_request_review", {"action": "submitted", "pull_request": "not an object",
                                    "review": {"submitted_at": "2024-03-04T10:00:00Z"}}),
           ("deployment_status", {"action": "created", "deployment": [], "repository": "x",
                                  "deployment_status": {"state": "success"}})]
    for i, (event, payload) in enumerate(odd):
        reply = github(client, event, payload, f"odd-{i}", query="?releases=true")
        assert reply.status_code in (200, 400), (event, reply.get_data(as_text=True))
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    signature = "sha256=" + hmac.new(GITHUB_SECRET.encode(), deep, hashlib.sha256).hexdigest()
    reply = client.post("/webhooks/github/live", data=deep, headers={"X-GitHub-Event": "pull_request",
                                                                    "X-Hub-Signature-256": signature})
    assert reply.status_code == 400 and "nested too deeply" in reply.get_json()["error"]
    monkeypatch.setenv("METRICS_WEBHOOK_MAX_MB", "lots")
    from dashboard.auth import AuthConfigError
    with pytest.raises(AuthConfigError, match="METRICS_WEBHOOK_MAX_MB"):
        create_app()


header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=40)


@FUZZ
@given(provider=st.sampled_from(["github", "gitlab", "pagerduty", "cdevents", "events"]),
       event=st.sampled_from(["pull_request", "pull_request_review", "deployment_status", "workflow_run", "release",
                              "ping", "push", ""]),
       payload=json_values, raw=st.binary(max_size=64), use_raw=st.booleans(), sign=st.booleans(),
       extra=st.dictionaries(st.sampled_from(["X-Hub-Signature-256", "X-PagerDuty-Signature", "X-Gitlab-Token",
                                              "Authorization", "ce-specversion", "Content-Type", "Idempotency-Key",
                                              "webhook-id", "X-GitHub-Delivery"]), header_text, max_size=3))
def test_no_delivery_breaks_the_server(env, data_dir, provider, event, payload, raw, use_raw, sign, extra):
    client = create_app().server.test_client()
    body = raw if use_raw else json.dumps(payload).encode()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": "z", **extra}
    if sign:
        headers.update({"X-Hub-Signature-256": "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest(),
                        "X-Gitlab-Token": GITLAB_TOKEN, "Authorization": f"Bearer {INGEST}",
                        "X-PagerDuty-Signature": "v1=" + hmac.new(PD_SECRET.encode(), body, hashlib.sha256).hexdigest()})
    before = {d.name: d.events for d in store.list_datasets()}
    reply = client.post(f"/webhooks/{provider}/fuzz", data=body, headers=headers)
    assert reply.status_code in (200, 400, 401), reply.get_data(as_text=True)
    assert reply.is_json and "Traceback" not in reply.get_data(as_text=True)
    if reply.status_code != 200:
        assert {d.name: d.events for d in store.list_datasets()} == before


# -- ids unique per repository (issue 22) ---------------------------------------------------------

def test_the_same_pr_through_an_export_and_webhooks_from_two_repositories_is_one_pr_per_repository(client, tmp_path):
    """acme/shop and acme/checkout both have PR #7 (different times): imported from a `gh api`
    export, then delivered again by webhooks from both repositories, it is one PR per repository."""
    def repo(name):
        return {"id": len(name), "name": name, "full_name": f"acme/{name}", "url": f"https://api.github.com/repos/acme/{name}"}

    def pull(name, created, merged):
        return {"url": f"https://api.github.com/repos/acme/{name}/pulls/7", "number": 7, "state": "closed",
                "created_at": created, "merged_at": merged, "user": {"login": "ada"},
                "base": {"ref": "main", "repo": repo(name)}}

    pulls = [pull("shop", "2024-03-04T09:00:00Z", "2024-03-04T10:00:00Z"),
             pull("checkout", "2024-03-05T09:00:00Z", "2024-03-05T12:00:00Z")]
    export = tmp_path / "pulls.json"
    export.write_text(json.dumps(pulls))
    p = run_cli("import", "--from", "github", export, "--name", "live")
    assert p.returncode == 0, p.stderr
    assert "+6;" in p.stdout                     # two PRs, created, merged and AI verdict, one per repository
    for name, body in (("shop", pulls[0]), ("checkout", pulls[1])):
        for action in ("opened", "closed"):
            payload = {"action": action, "number": 7, "repository": repo(name),
                       "pull_request": dict(body, merged_at=body["merged_at"] if action == "closed" else None)}
            answer = github(client, "pull_request", payload, f"{name}-{action}").get_json()
            assert answer["added"] == 0 and answer["repeated"] is False, answer
    stored = events_of("live")
    assert sorted(zip(stored["kind"], stored["pr_id"], stored["service"])) == [
        ("pr_ai_assisted", "checkout#7", "checkout"), ("pr_ai_assisted", "shop#7", "shop"),
        ("pr_created", "checkout#7", "checkout"), ("pr_created", "shop#7", "shop"),
        ("pr_merged", "checkout#7", "checkout"), ("pr_merged", "shop#7", "shop")]
    # each repository's PR keeps its own times: shop 1 h from creation to merge, checkout 3 h
    merged = stored[stored["kind"] == "pr_merged"].set_index("pr_id")["ts"]
    created = stored[stored["kind"] == "pr_created"].set_index("pr_id")["ts"]
    assert ((merged - created).dt.total_seconds() / 3600).to_dict() == {"checkout#7": 3.0, "shop#7": 1.0}


# -- a chunked body over the limit, on a real server (issue 26) ------------------------------------

@pytest.fixture
def live_server(env, data_dir):
    """The dashboard on werkzeug's server at 127.0.0.1 (a free port), in a thread; yields its port."""
    import threading

    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, create_app().server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.port
    server.shutdown()
    server.server_close()


def post_chunked(port: int, path: str, body: bytes, headers: dict) -> tuple[int, dict]:
    """POST ``body`` with ``Transfer-Encoding: chunked`` (no Content-Length), 64 KiB a chunk; the
    status and JSON of the answer."""
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        chunks = (body[i:i + 65536] for i in range(0, len(body), 65536))
        connection.request("POST", path, body=chunks, headers={"Content-Type": "application/json", **headers},
                           encode_chunked=True)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def signed_github(body: bytes, delivery: str) -> dict:
    return {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()}


def padded_to(size: int) -> bytes:
    """An opened pull request delivery of exactly ``size`` bytes (a ``padding`` field fills it)."""
    bare = json.dumps({**pull_request("opened"), "padding": ""}).encode()
    body = json.dumps({**pull_request("opened"), "padding": "x" * (size - len(bare))}).encode()
    assert len(body) == size
    return body


def test_a_chunked_26_mb_delivery_is_413_not_401(live_server):
    """GitHub's limit is 25 MB (the default); 26 MB sent chunked, validly signed: 413, nothing stored."""
    body = padded_to(26 * 1024 * 1024)
    status, answer = post_chunked(live_server, "/webhooks/github/live", body, signed_github(body, "big"))
    assert status == 413, answer
    assert answer["error"] == "the delivery is over the limit of 25 MB (METRICS_WEBHOOK_MAX_MB)"
    assert store.list_datasets() == []


def test_a_chunked_delivery_exactly_at_the_limit_is_read_whole(live_server, monkeypatch):
    """The limit's own byte is accepted, one more is 413 (chunked: no Content-Length to refuse early)."""
    monkeypatch.setenv("METRICS_WEBHOOK_MAX_MB", "0.01")
    limit = int(0.01 * 1024 * 1024)                                  # 10485 bytes, worked out by hand
    over = padded_to(limit + 1)
    status, answer = post_chunked(live_server, "/webhooks/github/live", over, signed_github(over, "over"))
    assert status == 413 and "METRICS_WEBHOOK_MAX_MB" in answer["error"]
    assert store.list_datasets() == []
    at = padded_to(limit)
    status, answer = post_chunked(live_server, "/webhooks/github/live", at, signed_github(at, "at"))
    assert (status, answer["added"]) == (200, 1), answer


# -- the delivery's repository names the service (issue 26) -------------------------------------------

def without_own_repository(payload: dict) -> dict:
    """``payload`` with its object's own repository taken out (no ``url``, ``base``, ``pull_request_url``,
    ``repository``): only the delivery's top-level ``repository`` says where it happened."""
    payload = json.loads(json.dumps(payload))
    for key in ("pull_request", "review", "workflow_run"):
        if isinstance(payload.get(key), dict):
            for own in ("url", "base", "pull_request_url", "repository"):
                payload[key].pop(own, None)
    return payload


def test_a_delivery_whose_object_names_no_repository_takes_the_deliverys(client, tmp_path):
    """GitHub's docs: every repository event's payload carries ``repository``. Its name is the
    service, the same one ``import --from github`` gives the full objects (checkout, by hand)."""
    merged = without_own_repository(pull_request("closed", "2024-03-04T10:30:00Z"))
    answer = github(client, "pull_request", merged, "n1").get_json()
    assert answer["added"] == 3, answer                # created, merged and AI verdict: the three refused before
    run = without_own_repository({"action": "completed", "repository": REPO, "workflow_run": {
        "id": 99, "name": "Deploy to production", "path": ".github/workflows/deploy.yml", "workflow_id": 3,
        "status": "completed", "conclusion": "success", "updated_at": "2024-03-05T09:00:00Z"}})
    assert github(client, "workflow_run", run, "n3").get_json()["added"] == 1
    stored = events_of("live")
    assert set(stored["service"]) == {"checkout"}
    pulls = stored[stored["kind"].isin(["pr_created", "pr_merged", "pr_ai_assisted"])].reset_index(drop=True)
    (tmp_path / "pulls.json").write_text(json.dumps([pull_request("closed", "2024-03-04T10:30:00Z")["pull_request"]]))
    assert run_cli("import", "--from", "github", tmp_path / "pulls.json", "--name", "imported").returncode == 0
    assert pulls.equals(events_of("imported"))


def test_a_review_whose_objects_name_no_url_takes_the_pr_number_and_the_deliverys_repository(client):
    """A ``pull_request_review`` delivery whose review has no ``pull_request_url`` and whose
    ``pull_request`` has no ``url`` still names the PR (``pull_request.number``: 7) and the
    delivery's ``repository`` (checkout): a review of checkout#7, the PR the opened delivery stored."""
    assert github(client, "pull_request", pull_request("opened"), "r1").get_json()["added"] == 1
    review = without_own_repository({"action": "submitted", "repository": REPO, "pull_request": {"number": 7},
                                     "review": {"id": 9, "state": "approved", "submitted_at": "2024-03-04T10:00:00Z",
                                                "user": {"login": "grace"}}})
    answer = github(client, "pull_request_review", review, "r2")
    assert answer.status_code == 200 and answer.get_json()["added"] == 1, answer.get_json()
    stored = events_of("live")
    reviewed = stored[stored["kind"] == "pr_reviewed"]
    assert list(reviewed["pr_id"]) == list(stored.loc[stored["kind"] == "pr_created", "pr_id"]) == ["checkout#7"]
    assert list(reviewed["service"]) == ["checkout"]


def test_a_delivery_naming_no_repository_at_all_says_service(client):
    bare = without_own_repository(pull_request("closed", "2024-03-04T10:30:00Z"))
    del bare["repository"]
    refused = github(client, "pull_request", bare, "q1")
    assert refused.status_code == 400
    assert "?service=" in refused.get_json()["error"] and "repository" in refused.get_json()["error"]
    assert store.list_datasets() == []
    named = github(client, "pull_request", bare, "q2", query="?service=payments").get_json()
    assert named["added"] == 3 and set(events_of("live")["service"]) == {"payments"}


# -- security negatives: signatures that must not pass (issue 26) --------------------------------------

def good_github_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(GITHUB_SECRET.encode(), body, hashlib.sha256).hexdigest()


def github_header_variants(body: bytes) -> dict:
    """Signatures a prefix or lenient comparison would let through: each must be 401."""
    good = good_github_signature(body)
    return {"empty": "", "blank": "   ", "scheme alone": "sha256=", "half": good[:7 + 32], "one digit short": good[:-1],
            "one digit long": good + "0", "first digit": good[:8], "sha1 scheme": "sha1=" + good[7:],
            "no scheme": good[7:], "another body's": good_github_signature(body + b" ")}


@pytest.mark.parametrize("variant", list(github_header_variants(b"")))
def test_an_empty_truncated_or_bare_github_signature_is_401(client, variant, capsys):
    payload = pull_request("opened")
    body = json.dumps(payload).encode()
    header = github_header_variants(body)[variant]
    assert not github_signature_valid(GITHUB_SECRET, body, header)
    reply = client.post("/webhooks/github/live", data=body, content_type="application/json",
                        headers={"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "neg",
                                 "X-Hub-Signature-256": header})
    assert reply.status_code == 401 and "not authentic" in reply.get_json()["error"]
    assert store.list_datasets() == []
    logged = capsys.readouterr().err
    good = good_github_signature(body)
    assert GITHUB_SECRET not in logged and good[7:] not in logged and good[7:] not in reply.get_data(as_text=True)


def test_pagerduty_and_gitlab_refuse_empty_and_truncated_secrets():
    body = b'{"event": {}}'
    good = "v1=" + hmac.new(PD_SECRET.encode(), body, hashlib.sha256).hexdigest()
    for header in ("", "v1=", good[:-1], good[:3 + 32], f"{good[:-1]},v1="):
        assert not pagerduty_signature_valid(PD_SECRET, body, header), header
    for token in ("", " ", GITLAB_TOKEN[:-1], GITLAB_TOKEN[:1]):
        assert not hooks.token_valid(GITLAB_TOKEN, token), token
    assert hooks.token_valid(GITLAB_TOKEN, GITLAB_TOKEN)


# Standard Webhooks (GitLab's signing token): the tolerance is defaults.WEBHOOK_TOLERANCE_S = 300 s.
# Decided and tested: a timestamp exactly 300 s away (before or after the server's clock) is accepted;
# 301 s away is refused.

def standard(msg_id: str, stamp: int, body: bytes, key: bytes) -> str:
    return base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()).decode()


STANDARD_KEY = base64.b64decode(SIGNING[len("whsec_"):])
NOW = 1_700_000_000


@pytest.mark.parametrize("offset, accepted", [(-600, False), (600, False), (-301, False), (301, False),
                                              (-300, True), (300, True), (0, True)])
def test_standard_webhooks_timestamp_tolerance_edges(offset, accepted):
    body, stamp = b'{"a": 1}', NOW + offset
    signature = "v1," + standard("msg_t", stamp, body, STANDARD_KEY)
    problem = hooks.standard_signature_problem(SIGNING, body, "msg_t", str(stamp), signature, NOW)
    assert (problem is None) is accepted, problem
    if not accepted:
        assert "5 minutes" in problem


def test_standard_webhooks_ten_minutes_in_the_future_is_401(client, monkeypatch):
    monkeypatch.setenv("GITLAB_WEBHOOK_SIGNING_TOKEN", SIGNING)
    body = json.dumps(merge_request("open", "2024-03-04 08:00:00 UTC")).encode()
    stamp = int(time.time()) + 600
    reply = client.post("/webhooks/gitlab/live", data=body, content_type="application/json",
                        headers={"webhook-id": "msg_f", "webhook-timestamp": str(stamp), "X-Gitlab-Token": GITLAB_TOKEN,
                                 "webhook-signature": "v1," + standard("msg_f", stamp, body, STANDARD_KEY)})
    assert reply.status_code == 401 and "5 minutes" in reply.get_json()["error"]
    assert store.list_datasets() == []


def test_standard_webhooks_key_rotation_any_listed_signature_may_match():
    body = b'{"a": 1}'
    good = "v1," + standard("msg_r", NOW, body, STANDARD_KEY)
    stale = "v1," + standard("msg_r", NOW, body, b"the-previous-key-before-rotation")
    wrong_body = "v1," + standard("msg_r", NOW, body + b" ", STANDARD_KEY)
    check = lambda signatures: hooks.standard_signature_problem(SIGNING, body, "msg_r", str(NOW), signatures, NOW)  # noqa: E731
    assert check(f"{stale} {good}") is None                          # the stale one listed before the good one
    assert check(f"{good} {stale}") is None                          # ... and after it
    assert check(f"{stale} {wrong_body} {good}") is None
    for refused in (f"{stale} {wrong_body}", stale, "v1,", "v1", good[:-4], good[:3 + 20], "v2," + good[3:],
                    f"{stale} {good[:-1]}", good[3:]):
        assert check(refused) == "no webhook-signature matches", refused


fields = st.dictionaries(st.sampled_from(["name", "full_name", "url", "number", "merged_at", "created_at", "base", "repo",
                                          "repository", "pull_request_url", "submitted_at", "workflow_id", "conclusion",
                                          "tag_name", "published_at", "deployment_url", "state", "id"]),
                         json_values, max_size=6)


@FUZZ
@given(event=st.sampled_from([("pull_request", "opened"), ("pull_request", "closed"), ("pull_request_review", "submitted"),
                              ("workflow_run", "completed"), ("release", "published"), ("deployment_status", "created")]),
       obj=fields, repository=st.one_of(json_values, fields), service=st.sampled_from(["", "?service=pinned"]))
def test_any_object_and_repository_shape_is_200_or_400(env, data_dir, event, obj, repository, service):
    """The service fallback meets any object and ``repository``: a 200, or a 400 with a sentence and
    nothing stored; never a 500."""
    client = create_app().server.test_client()
    name, action = event
    payload = {"action": action, "repository": repository, {"pull_request_review": "review"}.get(name, name): obj}
    before = {d.name: d.events for d in store.list_datasets()}
    reply = github(client, name, payload, "fz", dataset="fuzz", query=service + ("&" if service else "?") + "releases=true")
    assert reply.status_code in (200, 400), reply.get_data(as_text=True)
    assert reply.is_json and "Traceback" not in reply.get_data(as_text=True)
    if reply.status_code == 400:
        assert reply.get_json()["error"] and {d.name: d.events for d in store.list_datasets()} == before
