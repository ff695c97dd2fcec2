"""GitLab REST API exports -> events (fixtures from the API documentation)."""
import json


from conftest import FIXTURES, run_cli
from metrics.ingest import load_events
from metrics.registry.source import source


GITLAB = FIXTURES / "gitlab"



def test_gitlab_merge_requests_and_deployments(data_dir):
    frame, report = load_events([GITLAB / "merge_requests.json", GITLAB / "deployments.json"], reader=source("gitlab").make_reader())
    got = sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status) for r in frame.itertuples())
    assert got == [("deploy", "shop@41", "06-03 14:00", "success"), ("deploy", "shop@42", "06-04 10:00", "failed"),
                   ("pr_created", "shop!1", "06-03 08:00", ""), ("pr_created", "shop!2", "06-04 09:00", ""),
                   ("pr_merged", "shop!1", "06-03 12:00", "")]
    assert set(frame["service"]) == {"shop"} and report.skipped == {"deployments that did not finish (running)": 1}
    run_cli("import", "--from", "gitlab", GITLAB / "merge_requests.json", GITLAB / "deployments.json", "--name", "gl")
    d = json.loads(run_cli("--dataset", "gl", "--json").stdout)["dora"]
    # !1: 06-03 08:00 -> deploy 41 at 14:00 = 6 h; one of two deploys failed
    assert (d["lead_time_hours_median"], d["change_failure_rate_pct"]) == (6.0, 50.0)




def api_deployment(deployment_id, finished, status="success"):
    """A deployment created through the API (``POST /projects/:id/deployments``): no job, ``deployable`` null."""
    return {"id": deployment_id, "iid": deployment_id, "ref": "main", "sha": "a" * 40, "status": status,
            "created_at": finished, "updated_at": finished, "finished_at": finished, "deployable": None,
            "environment": {"id": 9, "name": "production"}}


def test_an_api_deployment_takes_the_exports_project(tmp_path, data_dir):
    merge_requests = json.loads((GITLAB / "merge_requests.json").read_text())
    path = tmp_path / "export.json"
    path.write_text(json.dumps(merge_requests + [api_deployment(50, "2024-06-03T15:00:00Z")]))
    frame, report = load_events([path], reader=source("gitlab").make_reader())
    deploys = frame[frame["kind"] == "deploy"]
    assert list(zip(deploys["deploy_id"], deploys["service"])) == [("shop@50", "shop")]    # the MRs' project
    assert report.rejected_count == 0 and report.warnings == []
    p = run_cli("import", "--from", "gitlab", path, "--name", "api")
    assert p.returncode == 0, p.stderr
    # !1 created 06-03 08:00, merged 12:00, deployed by 50 at 15:00 -> 7 h
    assert json.loads(run_cli("--dataset", "api", "--json").stdout)["dora"]["lead_time_hours_median"] == 7.0


def test_an_api_deployment_with_no_project_in_the_export_says_give_service(tmp_path, data_dir):
    path = tmp_path / "deployments.json"
    path.write_text(json.dumps([api_deployment(50, "2024-06-03T15:00:00Z")]))
    frame, report = load_events([path], reader=source("gitlab").make_reader())
    assert len(frame) == 0 and report.rejected_count == 1
    (warning,) = report.warnings
    assert "1 deployment(s) created through the API (deployable null) name no project" in warning
    assert "names none: give --service" in warning
    p = run_cli("import", "--from", "gitlab", path, "--name", "api", "--service", "shop")
    assert p.returncode == 0 and "Dataset api: 1 events" in p.stdout


def test_a_merge_requests_changes_and_first_commit_give_its_size(tmp_path):
    """``/merge_requests/:iid/changes``' object (the MR with its ``changes``): 2 + 1 lines added, 1
    removed, 3 files (a binary one with no diff); ``first_commit`` as the sync attaches it."""
    mr = {"iid": 4, "created_at": "2024-06-03T08:00:00Z", "merged_at": "2024-06-03T12:00:00Z",
          "web_url": "https://gitlab.example.com/acme/shop/-/merge_requests/4", "author": {"username": "carol"},
          "changes": [{"old_path": "a.py", "new_path": "a.py", "diff": "@@ -1 +1,2 @@\n-a\n+b\n+c\n"},
                      {"old_path": "b.py", "new_path": "b.py", "diff": "@@ -0,0 +1 @@\n+d\n"},
                      {"old_path": "logo.png", "new_path": "logo.png", "diff": ""}],
          "first_commit": {"id": "c" * 40, "authored_date": "2024-06-02T17:30:00+02:00"}}
    (tmp_path / "mr.json").write_text(json.dumps([mr]))
    frame, report = load_events([tmp_path / "mr.json"], reader=source("gitlab").make_reader())
    got = sorted((r.kind, str(r.ts)[5:16], r.metric_value) for r in frame.itertuples() if r.kind not in ("pr_created", "pr_merged"))
    assert [(k, t, None if v != v else v) for k, t, v in got] == [
        ("pr_files_changed", "06-03 12:00", 3.0), ("pr_first_commit", "06-02 15:30", None),
        ("pr_lines_added", "06-03 12:00", 3.0), ("pr_lines_removed", "06-03 12:00", 1.0)]
    assert report.rejected_count == 0
