"""Importers: exports of other tools become canonical events with the same load report."""
import io
import json
import os
import subprocess

import pytest

from conftest import FIXTURES, run_cli
from metrics.cli import run_import
from metrics.events import LoadError, load_events
from metrics.importers import json_documents, read_pagerduty, reader_for

PAGERDUTY = FIXTURES / "pagerduty_incidents.json"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_pagerduty_incidents_become_incident_events():
    frame, report = load_events([PAGERDUTY], reader=read_pagerduty)
    starts = frame[frame["kind"] == "incident_start"].set_index("incident_id")
    ends = frame[frame["kind"] == "incident_resolved"].set_index("incident_id")
    assert list(starts.index) == ["PT4KHLK", "PT4KHLL", "PT4KHLM", "PT4KHLN"]
    assert dict(starts["service"]) == {"PT4KHLK": "My Mail Service", "PT4KHLL": "My Mail Service",
                                       "PT4KHLM": "Checkout", "PT4KHLN": "Checkout"}
    # resolved_at when given, else last_status_change_at for a resolved incident; others stay open
    assert {k: str(v) for k, v in ends["ts"].items()} == {"PT4KHLK": "2015-10-06 21:38:23+00:00",
                                                          "PT4KHLL": "2015-10-07 11:30:00+00:00"}
    assert report.open_incidents == 2
    assert report.rejected.to_dict("records") == [
        {"source": "pagerduty_incidents.json", "row": "incident 5", "reason": "missing required field ts"}]


def test_pagerduty_import_gives_recovery_times(data_dir):
    p = run_cli("import", "--from", "pagerduty", PAGERDUTY, "--name", "pd")
    assert p.returncode == 0 and "Dataset pd: 6 events" in p.stdout
    d = json.loads(run_cli("--dataset", "pd", "--start", "2015-10-06", "--json").stdout)["dora"]
    # 21:30:42 -> 21:38:23 is 461 s = 7.6833 min; 10:00 -> 11:30 is 90 min; two still open
    assert (d["incidents"], d["open_incidents"], d["unattributed_incidents"]) == (4, 2, 4)
    assert d["mttr_minutes_mean"] == pytest.approx((461 / 60 + 90) / 2, abs=1e-4)
    assert d["mttr_minutes_median"] == pytest.approx((461 / 60 + 90) / 2, abs=1e-4)


def test_concatenated_pages_and_bad_exports(tmp_path):
    assert json_documents('{"a": 1}\n{"b": 2} [3]', "x") == [{"a": 1}, {"b": 2}, [3]]
    with pytest.raises(LoadError, match="invalid JSON"):
        json_documents('{"a": 1} {oops', "x")
    bad = tmp_path / "x.json"
    bad.write_text('{"incidents": 3}')
    with pytest.raises(LoadError, match="expected PagerDuty pages"):
        load_events([bad], reader=read_pagerduty)


# ---------------------------------------------------------------------------------------------
# git

def _git(repo, *args, when=None, name="Ann"):
    env = dict(os.environ, GIT_AUTHOR_NAME=name, GIT_AUTHOR_EMAIL=f"{name.lower()}@example.com",
               GIT_COMMITTER_NAME=name, GIT_COMMITTER_EMAIL=f"{name.lower()}@example.com")
    if when:
        env.update(GIT_AUTHOR_DATE=when[0], GIT_COMMITTER_DATE=when[1])
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def make_repo(repo):
    """A repository whose history is written out below, with every date chosen by hand.

    main:  initial (03-01 09:00, tag nightly-1)
           <- PR #1 merge commit (merged 03-02 09:00; its commits authored 03-01 10:00 by Bob and 03-01 12:00)
              annotated tag v1.0, tagged 03-02 15:00
           <- squash "Add search (#2)" (authored 03-03 08:00, committed 03-04 10:00), lightweight tag v1.1
           <- squash "Fix typo (#3)" (authored 03-05 09:00, committed 03-05 11:00), not tagged
           <- "Merge branch 'docs'" (not a pull request)
    """
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main", ".")
    commit = lambda message, author, committer, name="Ann": _git(
        repo, "commit", "-q", "--allow-empty", "-m", message, when=(author, committer), name=name)
    commit("initial", "2024-03-01T09:00:00Z", "2024-03-01T09:00:00Z")
    _git(repo, "tag", "nightly-1")
    _git(repo, "checkout", "-q", "-b", "f1")
    commit("search box", "2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z", name="Bob")
    commit("tests", "2024-03-01T12:00:00Z", "2024-03-01T12:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "f1", "-m", "Merge pull request #1 from dev/f1",
         when=("2024-03-02T09:00:00Z", "2024-03-02T09:00:00Z"))
    _git(repo, "tag", "-a", "v1.0", "-m", "release 1.0", when=("2024-03-02T15:00:00Z", "2024-03-02T15:00:00Z"))
    commit("Add search (#2)", "2024-03-03T08:00:00Z", "2024-03-04T10:00:00Z")
    _git(repo, "tag", "v1.1")
    commit("Fix typo (#3)", "2024-03-05T09:00:00Z", "2024-03-05T11:00:00Z")
    _git(repo, "checkout", "-q", "-b", "docs")
    commit("docs", "2024-03-05T12:00:00Z", "2024-03-05T12:00:00Z")
    _git(repo, "checkout", "-q", "main")
    _git(repo, "merge", "-q", "--no-ff", "docs", "-m", "Merge branch 'docs'",
         when=("2024-03-05T13:00:00Z", "2024-03-05T13:00:00Z"))
    return repo


@pytest.fixture
def shop_repo(tmp_path):
    return make_repo(tmp_path / "shop")


def test_git_tags_are_deploys_and_pull_requests_come_from_history(shop_repo):
    frame, report = load_events([shop_repo], reader=reader_for("git", tag_pattern="v*"))
    rows = {(r.kind, r.pr_id or r.deploy_id): (str(r.ts), r.deploy_id, r.author) for r in frame.itertuples()}
    assert rows == {
        # annotated tag: its tagger date; lightweight tag: its commit's committer date
        ("deploy", "v1.0"): ("2024-03-02 15:00:00+00:00", "v1.0", ""),
        ("deploy", "v1.1"): ("2024-03-04 10:00:00+00:00", "v1.1", ""),
        # merge commit: created at the earliest author date of the PR's own commits, merged at the commit
        ("pr_created", "#1"): ("2024-03-01 10:00:00+00:00", "", "Bob"),
        ("pr_merged", "#1"): ("2024-03-02 09:00:00+00:00", "v1.0", ""),
        # squash commit: created at its author date; shipped by the first tag containing it
        ("pr_created", "#2"): ("2024-03-03 08:00:00+00:00", "", "Ann"),
        ("pr_merged", "#2"): ("2024-03-04 10:00:00+00:00", "v1.1", ""),
        ("pr_created", "#3"): ("2024-03-05 09:00:00+00:00", "", "Ann"),
        ("pr_merged", "#3"): ("2024-03-05 11:00:00+00:00", "", ""),
    }
    assert set(frame["service"]) == {"shop"}
    assert report.skipped == {"tags not matching --tag-pattern 'v*'": 1}
    assert (report.rows_read, report.accepted, report.rejected_count) == (8, 8, 0)


def test_git_import_gives_lead_time_from_history(shop_repo, data_dir):
    p = run_cli("import", "--from", "git", shop_repo, "--name", "shop", "--tag-pattern", "v*")
    assert p.returncode == 0, p.stderr
    assert "Dataset shop: 8 events (+8" in p.stdout
    assert "skipped 1 (not events): tags not matching --tag-pattern 'v*'" in p.stderr
    d = json.loads(run_cli("--dataset", "shop", "--json").stdout)
    # PR #1: 03-01 10:00 -> v1.0 03-02 15:00 = 29 h; PR #2: 03-03 08:00 -> v1.1 03-04 10:00 = 26 h; #3 not deployed
    assert d["dora"]["lead_time_hours_median"] == pytest.approx(27.5)
    # window 03-01 .. 03-06 (5 days), two deploys
    assert (d["window"]["days"], d["dora"]["deployments"], d["dora"]["deploys_per_day"]) == (5, 2, 0.4)
    # all tags: nightly-1 (03-01 09:00) is a third deploy, and re-importing the rest adds nothing
    p = run_cli("import", "--from", "git", shop_repo, "--name", "shop")
    assert "Dataset shop: 9 events (+1; 8 already stored" in p.stdout


def test_git_import_errors_are_one_line(tmp_path, data_dir):
    (tmp_path / "plain").mkdir()
    p = run_cli("import", "--from", "git", tmp_path / "plain", "--name", "x")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "not a git repository" in p.stderr
    p = run_cli("import", "--from", "git", tmp_path / "missing", "--name", "x")
    assert p.returncode == 2 and "not a directory" in p.stderr


def test_git_repository_without_commits_gives_no_events(tmp_path):
    (tmp_path / "empty").mkdir()
    _git(tmp_path / "empty", "init", "-q")
    frame, report = load_events([tmp_path / "empty"], reader=reader_for("git"))
    assert len(frame) == 0 and report.rows_read == 0


# ---------------------------------------------------------------------------------------------
# GitHub, GitLab, CDEvents

GITHUB = FIXTURES / "github"
GITLAB = FIXTURES / "gitlab"
CDEVENTS = FIXTURES / "cdevents.ndjson"


def test_github_pulls_reviews_and_deployment_statuses():
    frame, report = load_events([GITHUB / "pulls.json", GITHUB / "reviews.json", GITHUB / "deployments.json"],
                                reader=reader_for("github"))
    got = sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status, r.environment) for r in frame.itertuples())
    assert got == [
        ("deploy", "501", "05-01 16:00", "success", "production"),     # first final status; in_progress/inactive skipped
        ("deploy", "502", "05-03 21:00", "failed", "production"),      # failure
        ("deploy", "503", "05-03 22:00", "success", "staging"),
        ("pr_created", "#10", "05-01 09:00", "", ""), ("pr_created", "#11", "05-02 10:00", "", ""),
        ("pr_created", "#12", "05-03 08:00", "", ""),
        ("pr_merged", "#10", "05-01 15:00", "", ""), ("pr_merged", "#12", "05-03 20:00", "", ""),   # #11 never merged
        ("pr_reviewed", "#10", "05-01 11:00", "", ""), ("pr_reviewed", "#12", "05-03 12:00", "", ""),
    ]
    assert set(frame["service"]) == {"shop"}
    assert report.skipped["pending reviews (not submitted)"] == 1
    assert report.skipped["deployment statuses that are not final (in_progress)"] == 1
    assert sum(report.skipped.values()) == 4 and report.rejected_count == 0


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
    frame, report = load_events([GITHUB / "workflow_runs.json"], reader=reader_for("github"))
    assert sorted(zip(frame["deploy_id"], frame["status"], frame["ts"].astype(str))) == [
        ("run-30433650", "success", "2024-05-01 15:40:00+00:00"),    # "Release" from deploy-production.yml
        ("run-30433670", "failed", "2024-05-03 21:00:00+00:00")]
    assert report.skipped == {"workflow runs not matching --deploy-workflow '*deploy*'": 1,
                              "deployment workflow runs with no outcome (cancelled)": 1}
    frame, report = load_events([GITHUB / "workflow_runs.json"], reader=reader_for("github", deploy_workflow="ci"))
    assert list(frame["deploy_id"]) == ["run-30433642"]


def test_gitlab_merge_requests_and_deployments(data_dir):
    frame, report = load_events([GITLAB / "merge_requests.json", GITLAB / "deployments.json"], reader=reader_for("gitlab"))
    got = sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status) for r in frame.itertuples())
    assert got == [("deploy", "41", "06-03 14:00", "success"), ("deploy", "42", "06-04 10:00", "failed"),
                   ("pr_created", "!1", "06-03 08:00", ""), ("pr_created", "!2", "06-04 09:00", ""),
                   ("pr_merged", "!1", "06-03 12:00", "")]
    assert set(frame["service"]) == {"shop"} and report.skipped == {"deployments that did not finish (running)": 1}
    run_cli("import", "--from", "gitlab", GITLAB / "merge_requests.json", GITLAB / "deployments.json", "--name", "gl")
    d = json.loads(run_cli("--dataset", "gl", "--json").stdout)["dora"]
    # !1: 06-03 08:00 -> deploy 41 at 14:00 = 6 h; one of two deploys failed
    assert (d["lead_time_hours_median"], d["change_failure_rate_pct"]) == (6.0, 50.0)


def test_cdevents_bare_and_cloudevents_wrapped(data_dir):
    frame, report = load_events([CDEVENTS], reader=reader_for("cdevents"))
    assert list(zip(frame["kind"], frame["service"], frame["change_type"], frame["status"])) == [
        ("pr_created", "shop", "", ""), ("pr_reviewed", "shop", "", ""), ("pr_merged", "shop", "", ""),
        ("deploy", "shop", "feature", "success"), ("incident_start", "shop", "", ""),
        ("incident_resolved", "shop", "", ""), ("deploy", "shop", "rollback", "success"),
        ("deploy", "deploy-shop", "feature", "failed")]
    assert report.rejected.to_dict("records") == [
        {"source": "cdevents.ndjson", "row": "event 10", "reason": "invalid JSON (Expecting value)"}]
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
    frame, report = load_events([path], reader=reader_for("cdevents"))
    assert list(frame["kind"]) == ["pr_created", "pr_reviewed", "pr_merged"]
    assert report.rejected.to_dict("records") == [{"source": "changes.json", "row": "event 4", "reason": "not a CDEvent (type '')"}]


def test_progress_bar_on_a_terminal(shop_repo, data_dir):
    class Terminal(io.StringIO):
        def isatty(self):
            return True
    out, err = io.StringIO(), Terminal()
    assert run_import(["--from", "git", str(shop_repo), "--name", "shop"], out=out, err=err) == 0
    bar = err.getvalue()
    assert "\r[------------------------------] 0/1 reading shop" in bar
    assert "\r[##############################] 20/20 stored shop" in bar        # 20 column blobs
    err = io.StringIO()                                  # not a terminal: no bar
    run_import(["--from", "git", str(shop_repo), "--name", "shop"], out=out, err=err)
    assert "\r" not in err.getvalue()


def test_service_option_fills_records_without_one(tmp_path, data_dir):
    runs = json.loads((GITHUB / "workflow_runs.json").read_text().split("\n}\n{")[0] + "\n}")
    for run in runs["workflow_runs"]:
        del run["repository"]                          # an export trimmed by jq: no repository
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    frame, report = load_events([path], reader=reader_for("github"))
    assert report.rejected["reason"].tolist() == ["missing required field service"]
    frame, report = load_events([path], reader=reader_for("github"), service="shop")
    assert report.rejected_count == 0 and list(frame["service"]) == ["shop"]


def test_pagerduty_urgency_filter(data_dir):
    frame, report = load_events([PAGERDUTY], reader=reader_for("pagerduty", urgency="high"))
    # PT4KHLL is low urgency; PT4KHLO has none: both skipped and counted
    assert sorted(set(frame["incident_id"])) == ["PT4KHLK", "PT4KHLM", "PT4KHLN"]
    assert report.skipped == {"incidents not of --urgency high (low)": 1, "incidents not of --urgency high (none)": 1}
    run_cli("import", "--from", "pagerduty", PAGERDUTY, "--name", "pd", "--urgency", "high")
    d = json.loads(run_cli("--dataset", "pd", "--json").stdout)["dora"]
    # only PT4KHLK is resolved: 21:30:42 -> 21:38:23 = 461 s
    assert (d["incidents"], d["mttr_minutes_mean"]) == (3, pytest.approx(461 / 60, abs=1e-4))


def test_cdevents_service_upgraded_is_a_deploy(tmp_path):
    event = {"context": {"version": "0.5.0", "id": "u1", "source": "/argocd", "type": "dev.cdevents.service.upgraded.0.2.0",
                         "timestamp": "2024-07-03T10:00:00Z"},
             "subject": {"id": "shop", "source": "/clusterA", "type": "service",
                         "content": {"environment": {"id": "prod"}, "artifactId": "pkg:oci/shop@sha256%3Aabc"}}}
    path = tmp_path / "one.json"
    path.write_text(json.dumps(event))                          # a single bare event
    frame, _ = load_events([path], reader=reader_for("cdevents", production="prod"))
    assert list(zip(frame["kind"], frame["deploy_id"], frame["environment"])) == [("deploy", "u1", "production")]
