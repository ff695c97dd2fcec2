"""CDEvents 0.4 / 0.5 -> events (fixtures after the specification's examples)."""
import json

import pytest

from conftest import FIXTURES, run_cli
from metrics.ingest import load_events
from metrics.registry.source import source


CDEVENTS = FIXTURES / "cdevents.ndjson"



def test_cdevents_bare_and_cloudevents_wrapped(data_dir):
    frame, report = load_events([CDEVENTS], reader=source("cdevents").make_reader())
    assert list(zip(frame["kind"], frame["service"], frame["change_type"], frame["status"])) == [
        ("pr_created", "shop", "", ""), ("pr_reviewed", "shop", "", ""), ("pr_merged", "shop", "", ""),
        ("deploy", "shop", "feature", "success"), ("incident_start", "shop", "", ""),
        ("incident_resolved", "shop", "", ""), ("deploy", "shop", "rollback", "success"),
        ("deploy", "deploy-shop", "feature", "failed")]
    (rejected,) = report.rejected.to_dict("records")
    assert (rejected["source"], rejected["row"]) == ("cdevents.ndjson", "event 10")
    assert rejected["reason"].startswith("invalid JSON (")
    assert report.skipped == {"CDEvents not used by the metrics (build.finished)": 1,
                              "pipeline runs not matching --deploy-workflow '*deploy*'": 1}
    p = run_cli("import", "--from", "cdevents", CDEVENTS, "--name", "cd", "--service", "shop")
    assert p.returncode == 0 and "rejected cdevents.ndjson event 10: invalid JSON" in p.stderr
    d = json.loads(run_cli("--dataset", "cd", "--json").stdout)["dora"]
    # pr-7 created 07-01 09:00, merged 12:00, deployed 13:00 -> 4 h. Deploys 13:00, 15:00 (rollback), 07-02 09:00 (failed);
    # inc-1 at 14:00 is attributed to the 13:00 deploy -> 2 of 3 failed; recovered in 45 min
    assert d["lead_time_hours_median"] == 4.0
    assert (d["deployments"], d["change_failure_rate_pct"], d["mttr_minutes_mean"]) == (3, pytest.approx(200 / 3), 45.0)


def test_cdevents_json_array_and_unknown_documents(tmp_path):
    events = [json.loads(line) for line in CDEVENTS.read_text().splitlines()[:3]]
    path = tmp_path / "changes.json"
    path.write_text(json.dumps(events + [{"hello": "world"}]))
    frame, report = load_events([path], reader=source("cdevents").make_reader())
    assert list(frame["kind"]) == ["pr_created", "pr_reviewed", "pr_merged"]
    assert report.rejected.to_dict("records") == [{"source": "changes.json", "row": "event 4", "reason": "not a CDEvent (type '')"}]


def test_cdevents_service_upgraded_is_a_deploy(tmp_path):
    event = {"context": {"version": "0.5.0", "id": "u1", "source": "/argocd", "type": "dev.cdevents.service.upgraded.0.2.0",
                         "timestamp": "2024-07-03T10:00:00Z"},
             "subject": {"id": "shop", "source": "/clusterA", "type": "service",
                         "content": {"environment": {"id": "prod"}, "artifactId": "pkg:oci/shop@sha256%3Aabc"}}}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(event))                          # a single bare event
    frame, _ = load_events([path], reader=source("cdevents").make_reader(production="prod"))
    assert list(zip(frame["kind"], frame["deploy_id"], frame["environment"])) == [("deploy", "shop@u1", "production")]


def cdevent(kind, subject, content, ts="2024-03-01T10:00:00Z", event_id="e1"):
    return {"context": {"version": "0.4.1", "id": event_id, "source": "/ci", "type": kind, "timestamp": ts},
            "subject": {"id": subject, "source": "/ci", "content": content}}


def test_custom_cancelled_unknown_outcome_and_staging_incidents_are_skipped(tmp_path):
    events = [
        cdevent("dev.cdeventsx.acme-audit.created.0.1.0", "x", {}),
        cdevent("dev.cdevents.pipelinerun.finished.0.1.1", "r1", {"pipelineName": "deploy", "outcome": "cancel"}),
        cdevent("dev.cdevents.pipelinerun.finished.0.1.1", "r2", {"pipelineName": "deploy"}),
        cdevent("dev.cdevents.pipelinerun.finished.0.1.1", "r3", {"pipelineName": "deploy", "outcome": "success"}),
        cdevent("dev.cdevents.incident.detected.0.1.0", "i1", {"environment": {"id": "staging"},
                                                                "service": {"id": "/svc/shop"}}),
        cdevent("dev.cdevents.incident.detected.0.1.0", "i2", {"environment": {"id": "production"},
                                                                "service": {"id": "/svc/shop"}}),
    ]
    path = tmp_path / "events.ndjson"
    path.write_text("\n".join(json.dumps(e) for e in events))
    frame, report = load_events([path], reader=source("cdevents").make_reader())
    assert report.rejected_count == 0
    assert sorted(zip(frame["kind"], frame["deploy_id"].where(frame["deploy_id"] != "", frame["incident_id"]))) == \
        [("deploy", "deploy@r3"), ("incident_start", "i2")]
    assert report.skipped == {"custom CDEvents (acme-audit)": 1, "cancelled pipeline runs (outcome cancel)": 1,
                              "pipeline runs with no outcome (not known to have succeeded)": 1,
                              "incidents outside production (staging)": 1}


def test_one_broken_event_in_a_pretty_printed_file_rejects_only_itself(tmp_path):
    good = [cdevent("dev.cdevents.service.deployed.0.1.1", "shop", {"environment": {"id": "production"}}, event_id=f"d{i}")
            for i in range(2)]
    text = json.dumps(good[0], indent=2) + "\n" + '{\n  "context": {"type": "dev.cdevents.service.deployed.0.1.1",\n' \
        + "  oops\n}\n" + json.dumps(good[1], indent=2) + "\n"
    path = tmp_path / "pretty.json"
    path.write_text(text)
    frame, report = load_events([path], reader=source("cdevents").make_reader())
    assert sorted(frame["deploy_id"]) == ["shop@d0", "shop@d1"]
    assert report.rejected_count == 1 and report.rows_read == 3
    assert report.rejected.iloc[0]["reason"].startswith("invalid JSON")


def linked_stream():
    """Three repositories, each deployed as a service of another name, linked three ways:

    storefront-repo: pr-1 created 07-01 09:00, merged 11:00; packaged as pkg:oci/storefront (change.source
        names the repository); service shop deploys that artifact at 14:00 -> lead time 5 h
    billing: pr-2 created 07-02 08:00, merged 10:00; service payments upgrades to pkg:github/acme/billing
        (the purl names the repository) at 18:00 -> 10 h
    infra-repo: pr-3 created 07-03 09:00, merged 09:30; gateway deploys pkg:oci/gw at 12:00, which no
        artifact event names: linked only by --repo-service infra-repo=gateway -> 3 h
    """
    change = lambda kind, pr, repo, ts: cdevent(f"dev.cdevents.change.{kind}.0.2.0", pr,  # noqa: E731
                                               {"repository": repo}, ts=ts, event_id=f"{pr}-{kind}")
    deploy = lambda kind, service, artifact, ts: cdevent(f"dev.cdevents.service.{kind}.0.2.0", service,  # noqa: E731
                                                        {"environment": {"id": "production"}, "artifactId": artifact},
                                                        ts=ts, event_id=f"{service}-{ts}")
    return [
        change("created", "pr-1", {"id": "acme/storefront-repo", "source": "https://github.com"}, "2024-07-01T09:00:00Z"),
        change("merged", "pr-1", {"id": "acme/storefront-repo", "source": "https://github.com"}, "2024-07-01T11:00:00Z"),
        cdevent("dev.cdevents.artifact.packaged.0.2.0", "pkg:oci/storefront@sha256%3Aaaa",
                {"change": {"id": "1a2b3c", "source": "github.com/acme/storefront-repo"}}, ts="2024-07-01T11:30:00Z"),
        deploy("deployed", "shop", "pkg:oci/storefront@sha256%3Aaaa?repository_url=mycr.io/storefront", "2024-07-01T14:00:00Z"),
        change("created", "pr-2", {"id": "acme/billing"}, "2024-07-02T08:00:00Z"),
        change("merged", "pr-2", {"id": "acme/billing"}, "2024-07-02T10:00:00Z"),
        deploy("upgraded", "payments", "pkg:github/acme/billing@v2.0.0", "2024-07-02T18:00:00Z"),
        change("created", "pr-3", {"name": "infra-repo"}, "2024-07-03T09:00:00Z"),
        change("merged", "pr-3", {"name": "infra-repo"}, "2024-07-03T09:30:00Z"),
        deploy("deployed", "gateway", "pkg:oci/gw@sha256%3Accc", "2024-07-03T12:00:00Z"),
    ]


def test_changes_take_the_service_that_deploys_their_repository(tmp_path):
    path = tmp_path / "stream.ndjson"
    path.write_text("\n".join(json.dumps(e) for e in linked_stream()))
    frame, report = load_events([path], reader=source("cdevents").make_reader(repo_service={"infra-repo": "gateway"}))
    changes = frame[frame["kind"] == "pr_created"]
    assert dict(zip(changes["pr_id"], changes["service"])) == {"shop#pr-1": "shop", "payments#pr-2": "payments", "gateway#pr-3": "gateway"}
    assert report.skipped == {"artifact packaged events (read to link repositories to services)": 1}
    frame, _ = load_events([path], reader=source("cdevents").make_reader())      # no mapping: infra-repo keeps its name
    changes = frame[frame["kind"] == "pr_created"]
    assert dict(zip(changes["pr_id"], changes["service"])) == {"shop#pr-1": "shop", "payments#pr-2": "payments", "infra-repo#pr-3": "infra-repo"}


def test_lead_time_over_a_whole_cdevents_stream(tmp_path, data_dir):
    path = tmp_path / "stream.ndjson"
    path.write_text("\n".join(json.dumps(e) for e in linked_stream()))
    p = run_cli("import", "--from", "cdevents", path, "--name", "cd", "--repo-service", "infra-repo=gateway")
    assert p.returncode == 0, p.stderr
    d = json.loads(run_cli("--dataset", "cd", "--json").stdout)["dora"]
    assert d["lead_time_hours_median"] == 5.0                            # 5, 10 and 3 h
    p = run_cli("import", "--from", "cdevents", path, "--name", "cd2")
    d = json.loads(run_cli("--dataset", "cd2", "--json").stdout)["dora"]
    assert d["lead_time_hours_median"] == 7.5                            # 5 and 10 h; pr-3 not deployed
    assert "merged PRs not yet deployed: 1" in run_cli("--dataset", "cd2").stdout


def test_a_repository_deployed_as_two_services_keeps_its_name_and_says_so(tmp_path):
    events = linked_stream()[:4] + [cdevent("dev.cdevents.service.deployed.0.2.0", "shop-eu",
                                            {"artifactId": "pkg:oci/storefront@sha256%3Abbb"}, event_id="eu")]
    path = tmp_path / "two.ndjson"
    path.write_text("\n".join(json.dumps(e) for e in events))
    frame, report = load_events([path], reader=source("cdevents").make_reader())
    assert set(frame.loc[frame["kind"] == "pr_created", "service"]) == {"storefront-repo"}
    assert report.warnings == ["repository storefront-repo is deployed as several services (shop, shop-eu): its changes "
                               "keep the repository's name (--repo-service storefront-repo=SERVICE picks one)"]
    frame, report = load_events([path], reader=source("cdevents").make_reader(repo_service={"acme/storefront-repo": "shop"}))
    assert set(frame.loc[frame["kind"] == "pr_created", "service"]) == {"shop"} and report.warnings == []


@pytest.mark.parametrize("value", ["shop", "=shop", "repo=", " = "])
def test_a_bad_repo_service_is_one_sentence(value, data_dir):
    p = run_cli("import", "--from", "cdevents", CDEVENTS, "--name", "cd", "--repo-service", value)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert p.stderr.strip().splitlines() == [
        f"error: argument --repo-service: expected REPO=SERVICE (two names joined by '='), got {value!r}"]
