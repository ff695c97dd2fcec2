"""Azure DevOps REST API JSON -> events, through the source registry (`import --from azure-devops`).

The fixtures (tests/fixtures/azure_devops/) are written by hand in the shapes of the documented
responses (api-version 7.1), several pages one after another as a user saves them:
- pull requests: https://learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-requests/get-pull-requests-by-project?view=azure-devops-rest-7.1
  (reviewers' `vote`: https://learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-request-reviewers/list?view=azure-devops-rest-7.1)
- comment threads: https://learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-request-threads/list?view=azure-devops-rest-7.1
- pipeline runs: https://learn.microsoft.com/en-us/rest/api/azure/devops/pipelines/runs/list?view=azure-devops-rest-7.1
- environment deployment records: https://learn.microsoft.com/en-us/rest/api/azure/devops/distributedtask/environmentdeployment-records/list?view=azure-devops-rest-7.1
Every expected event below is worked out by hand from the fixtures.
"""
from __future__ import annotations

import json

from api_exports import events, loader, pages, rejections, write
from conftest import FIXTURES

ADO = FIXTURES / "azure_devops"
load = loader("azure-devops")


def test_pull_requests_with_reviews_from_threads_or_at_the_close(tmp_path):
    frame, report = load(ADO / "pullrequests.json")
    assert events(frame) == sorted([
        # 101: no threads in the file, so Ben's vote 10 is a review at closedDate; the group's vote and
        # Cy's 0 ("no vote") are not reviews
        ("pr_created", "shop#101", "06-03 08:00", "", "ana@fabrikam.com"),
        ("pr_merged", "shop#101", "06-03 12:00", "", ""),
        ("pr_reviewed", "shop#101", "06-03 12:00", "", "ben@fabrikam.com"),
        # 102: its threads are in the file: Ana's 5 at 09:40, Dee's -10 at 09:50 (an older thread naming
        # the voter by id: her uniqueName from the reviewers), Dee's reset to 0 at 10:00 (no review) and
        # her 10 at 10:10; the reviewers' final votes (Ana 5, Dee 10) are not used again
        ("pr_created", "shop#102", "06-04 09:00", "", "ben@fabrikam.com"),
        ("pr_merged", "shop#102", "06-04 10:30", "", ""),
        ("pr_reviewed", "shop#102", "06-04 09:40", "", "ana@fabrikam.com"),
        ("pr_reviewed", "shop#102", "06-04 09:50", "", "dee@fabrikam.com"),
        ("pr_reviewed", "shop#102", "06-04 10:10", "", "dee@fabrikam.com"),
        # 103 is abandoned: skipped; billing 7 is active: created only, Ana's -5 has no time
        ("pr_created", "billing#7", "06-05 07:00", "", "dee@fabrikam.com"),
    ])
    assert set(zip(frame["pr_id"], frame["service"])) == {("shop#101", "shop"), ("shop#102", "shop"), ("billing#7", "billing")}
    assert report.skipped == {
        "abandoned pull requests (closed without merging)": 1,
        "group reviewers' votes (their members' own votes count)": 1,
        "votes on pull requests not completed whose threads are not in the file (a vote has no time)": 1,
        "comment threads other than votes": 1,
        "votes reset to 0 (no vote)": 1}
    assert report.rejected_count == 0 and report.rows_read == 9


def test_without_its_threads_a_pull_requests_votes_are_reviews_at_its_close(tmp_path):
    page_1 = pages(ADO / "pullrequests.json")[0]             # page 1 alone: no threads of 102
    frame, report = load(write(tmp_path, "pulls.json", page_1))
    reviews = frame[frame["kind"] == "pr_reviewed"]
    # 102's final votes: Ana 5 and Dee 10, both at its closedDate 10:30
    assert sorted(zip(reviews["pr_id"], reviews["ts"].astype(str).str[5:16], reviews["author"])) == [
        ("shop#101", "06-03 12:00", "ben@fabrikam.com"),
        ("shop#102", "06-04 10:30", "ana@fabrikam.com"), ("shop#102", "06-04 10:30", "dee@fabrikam.com")]


def test_pipeline_runs_of_deployment_pipelines():
    frame, report = load(ADO / "pipeline_runs.json")
    assert events(frame) == [("deploy", "shop-deploy@run-501", "06-03 14:00", "success", ""),
                             ("deploy", "shop-deploy@run-502", "06-04 11:00", "failed", "")]
    assert set(frame["service"]) == {"shop-deploy"} and set(frame["environment"]) == {"production"}
    assert report.skipped == {"pipeline runs not matching --deploy-workflow '*deploy*'": 2,
                              "deployment pipeline runs not completed (inProgress)": 1,
                              "deployment pipeline runs canceled or with no result (canceled)": 1}
    # another glob takes the CI pipeline's runs instead (its two runs succeeded)
    frame, report = load(ADO / "pipeline_runs.json", deploy_workflow="SHOP-CI")
    assert events(frame) == [("deploy", "shop-ci@run-498", "06-03 12:11", "success", ""),
                             ("deploy", "shop-ci@run-499", "06-04 10:41", "success", "")]
    assert report.skipped == {"pipeline runs not matching --deploy-workflow 'SHOP-CI'": 4}


def test_environment_deployment_records_one_deployment_per_run():
    frame, report = load(ADO / "environment_deployments.json")
    # 506: Deploy failed, then its second attempt succeeded (10:20), SmokeTest succeeded (10:25): a
    # success at the last finish; 507 failed; 508 canceled (skipped); 509 succeeded with issues; 510 runs
    assert events(frame) == [("deploy", "shop-deploy@run-506", "06-05 10:25", "success", ""),
                             ("deploy", "shop-deploy@run-507", "06-06 09:00", "failed", ""),
                             ("deploy", "shop-deploy@run-509", "06-07 08:00", "success", "")]
    assert set(frame["service"]) == {"shop-deploy"} and set(frame["environment"]) == {"production"}
    assert report.skipped == {"earlier attempts of a deployment job (its last attempt counts)": 1,
                              "environment deployments canceled, skipped or unfinished": 2}
    assert report.warnings == []


def test_a_run_with_its_environment_records_counts_once(tmp_path):
    runs = pages(ADO / "pipeline_runs.json")[0]
    records = pages(ADO / "environment_deployments.json")
    run_506 = dict(runs["value"][-1], id=506, name="20240605.3", result="succeeded",
                   createdDate="2024-06-05T09:55:00Z", finishedDate="2024-06-05T10:30:00Z")
    frame, report = load(write(tmp_path, "both.json", json.dumps({"count": 1, "value": [run_506]})
                               + json.dumps(records[0])))
    # the records' time (the last job's finish, 10:25), not the run's (10:30)
    assert events(frame) == [("deploy", "shop-deploy@run-506", "06-05 10:25", "success", "")]
    assert report.skipped["pipeline runs whose environment deployment records are in the file (the records count)"] == 1


def test_a_failed_last_attempt_fails_the_deployment_and_several_environments_are_said(tmp_path):
    records = pages(ADO / "environment_deployments.json")[0]["value"]
    smoke_failed = dict(records[2], result="failed")
    other_env = dict(records[0], id=40, environmentId=4, owner=dict(records[0]["owner"], id=600))
    values = [records[0], records[1], smoke_failed, other_env]
    frame, report = load(write(tmp_path, "records.json", {"count": 4, "value": values}))
    assert events(frame) == [("deploy", "shop-deploy@run-506", "06-05 10:25", "failed", ""),
                             ("deploy", "shop-deploy@run-600", "06-05 10:05", "failed", "")]
    (warning,) = report.warnings
    assert warning.startswith("records of 2 environments (3, 4) are in one file and each counts as a production")


def test_records_missing_a_field_are_rejected_with_the_reason(tmp_path):
    pr = pages(ADO / "pullrequests.json")
    good, thread = pr[0]["value"][0], pr[2]["value"][0]
    no_created = {k: v for k, v in good.items() if k != "creationDate"}
    no_closed = dict({k: v for k, v in good.items() if k != "closedDate"}, pullRequestId=110)
    no_link = {k: v for k, v in thread.items() if k != "_links"}
    elsewhere = dict(thread, _links={"self": {"href": "https://dev.azure.com/fabrikam/p/_apis/git/repositories/"
                                                      "x/pullRequests/999/threads/5"}})
    bad_vote = dict(thread, properties=dict(thread["properties"], CodeReviewVoteResult={"$value": "ten"}),
                    _links={"self": {"href": thread["_links"]["self"]["href"].replace("/102/", "/101/")}})
    run = pages(ADO / "pipeline_runs.json")[0]["value"][-1]
    record = pages(ADO / "environment_deployments.json")[0]["value"][0]
    values = [good, no_created, no_closed, no_link, elsewhere, bad_vote, {k: v for k, v in run.items() if k != "id"},
              {k: v for k, v in record.items() if k != "owner"}, {"name": "not a record of Azure DevOps"}, 7]
    frame, report = load(write(tmp_path, "mixed.json", {"count": len(values), "value": values}))
    assert sorted(rejections(report)) == [
        ("record 10", "not a JSON object (int)"),
        ("record 2", "pull request without creationDate"),
        ("record 3", "pull request without closedDate"),
        ("record 4", "comment thread that names no pull request (no _links.self)"),
        ("record 5", "comment thread of pull request 999, which is not in this file (save a pull request's "
                     "threads in the same file as the pull request)"),
        ("record 6", "vote thread without a readable CodeReviewVoteResult"),
        ("record 7", "pipeline run without id"),
        ("record 8", "environment deployment record without owner.id"),
        ("record 9", "not an Azure DevOps pull request, comment thread, pipeline run or environment deployment record"),
    ]
    # PR 101 itself is read (its thread in record 6 is the one with the unreadable vote)
    assert sorted(frame["kind"]) == ["pr_created", "pr_merged"]
    assert report.rows_read == 2 + 9


def test_a_bad_time_is_rejected_by_validation(tmp_path):
    good = pages(ADO / "pullrequests.json")[0]["value"][0]
    frame, report = load(write(tmp_path, "pulls.json", {"count": 1, "value": [dict(good, closedDate="yesterday")]}))
    assert list(report.rejected["reason"]) == ["bad timestamp 'yesterday'", "bad timestamp 'yesterday'"]
    assert list(frame["kind"]) == ["pr_created"]
