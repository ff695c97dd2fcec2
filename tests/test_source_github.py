"""GitHub REST API exports -> events (fixtures from the API documentation)."""
import json

import pytest

from conftest import FIXTURES, run_cli
from metrics.ingest import load_events
from metrics.registry.source import source


GITHUB = FIXTURES / "github"



def test_github_pulls_reviews_and_deployment_statuses():
    frame, report = load_events([GITHUB / "pulls.json", GITHUB / "reviews.json", GITHUB / "deployments.json"],
                                reader=source("github").make_reader())
    got = sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status, r.environment) for r in frame.itertuples())
    assert got == [
        ("deploy", "shop@501", "05-01 16:00", "success", "production"),     # first final status; in_progress/inactive skipped
        ("deploy", "shop@502", "05-03 21:00", "failed", "production"),      # failure
        ("deploy", "shop@503", "05-03 22:00", "success", "staging"),
        ("pr_created", "shop#10", "05-01 09:00", "", ""), ("pr_created", "shop#11", "05-02 10:00", "", ""),
        ("pr_created", "shop#12", "05-03 08:00", "", ""),
        ("pr_merged", "shop#10", "05-01 15:00", "", ""), ("pr_merged", "shop#12", "05-03 20:00", "", ""),   # #11 never merged
        ("pr_reviewed", "shop#10", "05-01 11:00", "", ""), ("pr_reviewed", "shop#12", "05-03 12:00", "", ""),
    ]
    assert set(frame["service"]) == {"shop"}
    assert report.skipped["pending reviews (not submitted)"] == 1
    assert report.skipped["deployment statuses that are not final (in_progress)"] == 1
    # the deployment object has its statuses in the export: they decide, it adds nothing
    assert sum(report.skipped.values()) == 3 and report.rejected_count == 0 and report.warnings == []


def test_github_import_gives_dora_numbers(data_dir):
    p = run_cli("import", "--from", "github", GITHUB / "pulls.json", GITHUB / "reviews.json",
                GITHUB / "deployments.json", "--name", "gh")
    assert p.returncode == 0, p.stderr
    d = json.loads(run_cli("--dataset", "gh", "--json").stdout)
    # #10: created 05-01 09:00, first successful production deploy after its 15:00 merge is 501 at 16:00 -> 7 h;
    # #12 merged 05-03 20:00: 502 failed, 503 is staging -> not deployed
    assert d["dora"]["lead_time_hours_median"] == pytest.approx(7.0)
    assert (d["dora"]["deployments"], d["dora"]["change_failure_rate_pct"]) == (2, 50.0)
    # reviews: #10 09:00 -> 11:00 (2 h), #12 08:00 -> 12:00 (4 h)
    assert d["space"]["review_turnaround_hours_mean"] == pytest.approx(3.0)


def test_github_workflow_runs_by_name_or_file():
    frame, report = load_events([GITHUB / "workflow_runs.json"], reader=source("github").make_reader())
    assert sorted(zip(frame["deploy_id"], frame["status"], frame["ts"].astype(str))) == [
        ("shop@run-30433650", "success", "2024-05-01 15:40:00+00:00"),    # "Release" from deploy-production.yml
        ("shop@run-30433670", "failed", "2024-05-03 21:00:00+00:00")]
    assert report.skipped == {"workflow runs not matching --deploy-workflow '*deploy*'": 1,
                              "deployment workflow runs with no outcome (cancelled)": 1}
    frame, report = load_events([GITHUB / "workflow_runs.json"], reader=source("github").make_reader(deploy_workflow="ci"))
    assert list(frame["deploy_id"]) == ["shop@run-30433642"]


def test_service_option_fills_records_without_one(tmp_path, data_dir):
    runs = json.loads((GITHUB / "workflow_runs.json").read_text().split("\n}\n{")[0] + "\n}")
    for run in runs["workflow_runs"]:
        del run["repository"]                          # an export trimmed by jq: no repository
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    frame, report = load_events([path], reader=source("github").make_reader())
    assert report.rejected["reason"].tolist() == ["missing required field service"]
    frame, report = load_events([path], reader=source("github").make_reader(), service="shop")
    assert report.rejected_count == 0 and list(frame["service"]) == ["shop"]




def test_deployments_alone_releases_and_incident_issues(tmp_path):
    repo = "https://api.github.com/repos/acme/shop"
    deployments = [{"url": f"{repo}/deployments/7", "id": 7, "sha": "a" * 40, "environment": "production",
                    "created_at": "2024-04-01T10:00:00Z", "statuses_url": f"{repo}/deployments/7/statuses",
                    "repository_url": repo}]
    releases = [{"url": f"{repo}/releases/1", "tag_name": "v2.0", "draft": False, "prerelease": False,
                 "published_at": "2024-04-02T12:00:00Z"},
                {"url": f"{repo}/releases/2", "tag_name": "v2.1-rc1", "draft": False, "prerelease": True,
                 "published_at": "2024-04-03T12:00:00Z"},
                {"url": f"{repo}/releases/3", "tag_name": "v3", "draft": True, "prerelease": False, "published_at": None}]
    issues = [{"url": f"{repo}/issues/40", "number": 40, "state": "closed", "labels": [{"name": "Incident"}],
               "created_at": "2024-04-02T13:00:00Z", "closed_at": "2024-04-02T14:30:00Z"},
              {"url": f"{repo}/issues/41", "number": 41, "state": "open", "labels": [{"name": "bug"}],
               "created_at": "2024-04-02T15:00:00Z", "closed_at": None},
              {"url": f"{repo}/issues/42", "number": 42, "state": "open", "labels": [], "pull_request": {},
               "created_at": "2024-04-02T15:00:00Z"}]
    path = tmp_path / "github.json"
    path.write_text(json.dumps(deployments + releases + issues))
    frame, report = load_events([path], reader=source("github").make_reader(releases=True, incident_label="incident"))
    got = sorted((r.kind, r.deploy_id or r.incident_id, f"{r.ts:%m-%d %H:%M}", r.environment) for r in frame.itertuples())
    assert got == [("deploy", "shop@7", "04-01 10:00", "production"), ("deploy", "shop@v2.0", "04-02 12:00", "production"),
                   ("deploy", "shop@v2.1-rc1", "04-03 12:00", "prerelease"),
                   ("incident_resolved", "issue-40", "04-02 14:30", ""), ("incident_start", "issue-40", "04-02 13:00", "")]
    assert set(frame["service"]) == {"shop"} and report.rejected_count == 0
    assert "1 deployment(s) came without statuses: counted as successful at their creation" in report.warnings[0]
    assert report.skipped == {"draft releases (not published)": 1,
                              "issues without the incident label (--incident-label)": 1,
                              "issues that are pull requests (their PR objects count)": 1}
    plain, report = load_events([path], reader=source("github").make_reader())
    assert list(plain["deploy_id"]) == ["shop@7"]
    assert report.skipped["releases (--releases-as-deployments counts them as deployments)"] == 3


def single_pull(number, created, merged, **extra):
    """A pull request as ``GET /repos/acme/shop/pulls/N`` gives it (the fields the mapping reads)."""
    return {"url": f"https://api.github.com/repos/acme/shop/pulls/{number}", "number": number,
            "state": "closed" if merged else "open", "user": {"login": "ann"}, "created_at": created,
            "merged_at": merged, "base": {"repo": {"name": "shop", "full_name": "acme/shop"}}, **extra}


def commit(date):
    """A commit as ``GET /repos/acme/shop/pulls/N/commits`` lists it."""
    return {"sha": "a" * 40, "commit": {"author": {"name": "Ann", "date": date},
                                        "committer": {"name": "Ann", "date": date}, "message": "x"}}


def facts(frame) -> dict:
    return {(r.kind, r.pr_id): (str(r.ts)[5:16], None if r.metric_value != r.metric_value else r.metric_value)
            for r in frame.itertuples() if r.kind not in ("pr_created", "pr_merged")}


def test_a_single_pulls_size_and_first_commit(tmp_path):
    path = tmp_path / "pulls.json"
    path.write_text(json.dumps([
        # merged: its size at the merge, its first commit at the commit's author date
        single_pull(20, "2024-05-02T09:00:00Z", "2024-05-03T15:00:00Z", additions=120, deletions=30, changed_files=4,
                    commits=3, first_commit=commit("2024-04-30T17:00:00Z")),
        # open: a first commit, no size (the size is a merged PR's)
        single_pull(21, "2024-05-04T09:00:00Z", None, additions=5, deletions=0, changed_files=1,
                    first_commit=commit("2024-05-04T08:00:00Z")),
        # the list's object (no size fields, no first commit): neither
        single_pull(22, "2024-05-05T09:00:00Z", "2024-05-05T10:00:00Z"),
        # a binary-only change: 0 lines, 1 file
        single_pull(23, "2024-05-06T09:00:00Z", "2024-05-06T10:00:00Z", additions=0, deletions=0, changed_files=1),
    ]))
    frame, report = load_events([path], reader=source("github").make_reader())
    assert report.rejected_count == 0
    assert facts(frame) == {
        ("pr_first_commit", "shop#20"): ("04-30 17:00", None),
        ("pr_lines_added", "shop#20"): ("05-03 15:00", 120.0), ("pr_lines_removed", "shop#20"): ("05-03 15:00", 30.0),
        ("pr_files_changed", "shop#20"): ("05-03 15:00", 4.0),
        ("pr_first_commit", "shop#21"): ("05-04 08:00", None),
        ("pr_lines_added", "shop#23"): ("05-06 10:00", 0.0), ("pr_lines_removed", "shop#23"): ("05-06 10:00", 0.0),
        ("pr_files_changed", "shop#23"): ("05-06 10:00", 1.0),
    }


@pytest.mark.parametrize("value, reason", [
    (-3, "lines added must be >= 0"), (2.5, "a PR's lines and files are whole numbers"),
    ("many", "metric_value is not a finite number 'many'"), ({"n": 1}, "a field holds an object or array, not a value"),
])
def test_a_bad_size_is_rejected_with_its_reason(tmp_path, value, reason):
    path = tmp_path / "pulls.json"
    path.write_text(json.dumps([single_pull(20, "2024-05-02T09:00:00Z", "2024-05-03T15:00:00Z", additions=value,
                                            deletions=1, changed_files=1)]))
    frame, report = load_events([path], reader=source("github").make_reader())
    assert report.rejected["reason"].tolist() == [reason]
    # the rest of the PR stays: its times and the sizes that are right
    assert sorted(frame["kind"]) == ["pr_created", "pr_files_changed", "pr_lines_removed", "pr_merged"]
