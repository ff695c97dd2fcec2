"""What the Azure DevOps and Bitbucket Cloud sources do alike: their declarations, the lead time end
to end from one small hand-made file each, one sentence for a file that is not the tool's JSON, and
fuzzing (hypothesis): random JSON values, random bytes, and the documented-shape fixtures with any
one value replaced give a load report or one sentence (LoadError) naming the file, never another
exception.

The fixtures follow the documented responses (see tests/test_source_azure_devops.py and
tests/test_source_bitbucket.py for the pages):
https://learn.microsoft.com/en-us/rest/api/azure/devops/git/pull-requests/get-pull-requests-by-project?view=azure-devops-rest-7.1
https://learn.microsoft.com/en-us/rest/api/azure/devops/pipelines/runs/list?view=azure-devops-rest-7.1
https://developer.atlassian.com/cloud/bitbucket/rest/api-group-pullrequests/
https://developer.atlassian.com/cloud/bitbucket/rest/api-group-deployments/
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from api_exports import loader, pages
from conftest import FIXTURES
from metrics import Window, analyze, tables_from_frame
from metrics.ingest import LoadError
from metrics.registry.source import source

ADO, BB = FIXTURES / "azure_devops", FIXTURES / "bitbucket"


@pytest.mark.parametrize("name, title, options, words", [
    ("azure-devops", "Azure DevOps pull requests and deployments (JSON)",
     [("deploy_workflow", "text", "*deploy*", "--deploy-workflow")], ("REPO#ID", "closedDate", "publishedDate")),
    ("bitbucket", "Bitbucket Cloud pull requests and deployments (JSON)",
     [("production", "text", "production", "--production")], ("SLUG#ID", "updated_on", "completion_date")),
])
def test_the_declaration(name, title, options, words):
    spec = source(name)
    assert (spec.name, spec.title, spec.upload, spec.sync, spec.webhook) == (name, title, True, None, None)
    assert [(o.name, o.kind, o.default, o.command_flag) for o in spec.options] == options
    assert all(word in spec.describe for word in words)


@pytest.mark.parametrize("name, path, service, hours", [
    # azure_devops/lead_time.json: PRs 301-303 of repository shop, runs of pipeline shop-deploy (so
    # `--service shop` lines them up). 301 created 07-01 08:00, merged 10:00 -> run 601 at 11:00: 3 h;
    # 302 created 09:00, merged 11:00 -> run 601 at 11:00, exactly at the merge: 2 h; 303 created 07-02
    # 12:00, merged 14:00 -> 602 failed at 15:00, 603 at 07-03 09:00: 21 h. Median 3 h.
    ("azure-devops", ADO / "lead_time.json", "shop", [2.0, 3.0, 21.0]),
    # without it the deployments are shop-deploy's and no PR of shop is deployed
    ("azure-devops", ADO / "lead_time.json", None, []),
    # bitbucket/lead_time.json: PRs 21-23 of acme/shop, 22's activity, the environments, the deployments.
    # 21 created 07-01 08:00, merged (updated_on) 10:00 -> production success at 11:00: 3 h; 22 created
    # 09:00, merged at its activity's update 11:00 (its updated_on, 18:00, is a later comment) -> the
    # 11:00 deployment, exactly at the merge: 2 h; 23 created 07-02 12:00, merged 14:00 -> 15:00 failed,
    # 16:00 to staging, 07-03 09:00 production: 21 h. Median 3 h.
    ("bitbucket", BB / "lead_time.json", None, [2.0, 3.0, 21.0]),
])
def test_lead_time_end_to_end(name, path, service, hours):
    frame, report = loader(name)(path, service=service)
    assert report.rejected_count == 0
    analysis = analyze(tables_from_frame(frame), Window.between("2024-07-01", "2024-07-04"))
    assert sorted(analysis.lead_time_hours()) == pytest.approx(hours)
    assert analysis.summary["dora"]["lead_time_hours_median"] == (pytest.approx(3.0) if hours else None)
    # three production deployments, one failed (Bitbucket's staging deployment is not production)
    assert (analysis.summary["dora"]["deployments"], analysis.summary["dora"]["successful_deployments"]) == (3, 2)


@pytest.mark.parametrize("name, content, message", [
    ("azure-devops", "ts,kind,service\n2024-01-01,deploy,api\n", "export.json: invalid JSON at line 1"),
    ("azure-devops", '[{"number": 1, "merged_at": null, "created_at": "2024-01-01T00:00:00Z"}]',
     "export.json: not Azure DevOps REST API JSON (no pull request, comment thread, pipeline run or environment "
     "deployment record in it)"),
    ("azure-devops", '{"count": 2, "value": 3}',
     "export.json: expected Azure DevOps pages with a list under 'value', or a list of value"),
    ("bitbucket", "id,title\n1,x\n", "export.json: invalid JSON at line 1"),
    ("bitbucket", '{"count": 1, "value": [{"pullRequestId": 1, "creationDate": "2024-01-01T00:00:00Z"}]}',
     "export.json: not Bitbucket Cloud REST API JSON (no pull request, pull request activity, deployment or "
     "environment in it)"),
    ("bitbucket", '{"pagelen": 10, "values": {"id": 1}}',
     "export.json: expected Bitbucket Cloud pages with a list under 'values', or a list of values"),
])
def test_a_file_that_is_not_the_tools_json_is_one_sentence(tmp_path, name, content, message):
    path = tmp_path / "export.json"
    path.write_text(content)
    with pytest.raises(LoadError) as error:
        loader(name)(path)
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


@pytest.mark.parametrize("name, page", [("azure-devops", '{"count": 0, "value": []}'),
                                        ("bitbucket", '{"size": 0, "page": 1, "pagelen": 10, "values": []}')])
def test_an_empty_page_is_no_events(tmp_path, name, page):
    path = tmp_path / "empty.json"
    path.write_text(page)
    frame, report = loader(name)(path)
    assert len(frame) == 0 and report.rows_read == 0 and report.rejected_count == 0


FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
SOURCES = ("azure-devops", "bitbucket")
FIXTURE_FILES = [("azure-devops", ADO / name) for name in ("pullrequests.json", "pipeline_runs.json",
                                                           "environment_deployments.json", "lead_time.json")] + \
                [("bitbucket", BB / name) for name in ("pullrequests.json", "deployments.json", "lead_time.json")]
KEYS = ["value", "count", "pullRequestId", "repository", "name", "id", "creationDate", "closedDate", "status",
        "createdBy", "reviewers", "vote", "isContainer", "comments", "publishedDate", "properties", "identities",
        "_links", "self", "href", "CodeReviewThreadType", "CodeReviewVoteResult", "$value", "pipeline", "state",
        "result", "finishedDate", "environmentId", "owner", "definition", "finishTime", "jobName", "jobAttempt",
        "values", "next", "page", "pagelen", "type", "created_on", "updated_on", "author", "nickname", "destination",
        "full_name", "links", "pull_request", "approval", "changes_requested", "update", "comment", "date", "user",
        "uuid", "completion_date", "environment", "release", "url", "environment_type"]
WORDS = ["completed", "abandoned", "VoteUpdate", "succeeded", "failed", "10", "-5", "0", "pullrequest", "MERGED",
         "DECLINED", "OPEN", "COMPLETED", "SUCCESSFUL", "FAILED", "deployment", "deployment_environment", "Production",
         "https://api.bitbucket.org/2.0/repositories/acme/shop/pullrequests/1",
         "https://dev.azure.com/o/p/_apis/git/repositories/r/pullRequests/1/threads/2",
         "2024-06-03T08:00:00Z", "9999-12-31T00:00:00Z"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(WORDS))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=6)), max_leaves=25)


def report_or_sentence(name: str, path) -> None:
    """Loading ``path`` with source ``name`` gives a consistent report, or one sentence naming the file."""
    try:
        frame, report = loader(name)(path)
    except LoadError as e:
        assert path.name in str(e) and "\n" not in str(e)
        return
    assert report.accepted == len(frame) and report.rows_read >= report.accepted


def slots(value):
    """Every (container, key) of a JSON value, depth first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield value, key
        yield from slots(inner)


@FUZZ
@given(st.sampled_from(SOURCES), json_values)
def test_any_json_gives_a_report_or_one_sentence(tmp_path_factory, name, value):
    path = tmp_path_factory.mktemp("fuzz") / "export.json"
    path.write_text(json.dumps(value, allow_nan=True))
    report_or_sentence(name, path)


@FUZZ
@given(st.sampled_from(SOURCES), st.binary(max_size=400))
def test_any_bytes_give_a_report_or_one_sentence(tmp_path_factory, name, content):
    path = tmp_path_factory.mktemp("fuzz") / "export.json"
    path.write_bytes(content)
    report_or_sentence(name, path)


@FUZZ
@given(st.sampled_from(FIXTURE_FILES), st.integers(0, 10_000), st.one_of(scalars, st.lists(scalars, max_size=2)))
def test_a_documented_file_with_one_value_changed_gives_a_report(tmp_path_factory, fixture, pick, replacement):
    """Any one field of a documented-shape file replaced by a random value: a report, never a traceback."""
    name, original = fixture
    docs = pages(original)
    every = list(slots(docs))
    parent, key = every[pick % len(every)]
    parent[key] = replacement
    path = tmp_path_factory.mktemp("fuzz") / original.name
    path.write_text(json.dumps(docs, allow_nan=True))
    report_or_sentence(name, path)
