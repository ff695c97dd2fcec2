"""The jenkins source's live sync against a Jenkins on 127.0.0.1 (tests/fake_cd_apis.py, written from
https://www.jenkins.io/doc/book/using/remote-access-api/ and the ``/api/`` page's ``tree`` and range
specifiers): the first sync collects the deployment jobs' builds since ``since``, as ``import --from
jenkins`` reads the same listing; a second adds nothing; a running build is collected once, when it
finishes; pages of ``allBuilds{M,N}`` are followed, and a sync killed half-way resumes without
asking again for what it stored; rate limits and a 5xx are waited out; a wrong token is one
sentence without the token."""
from __future__ import annotations

import functools
import json

import pytest

from api_exports import loader
from fake_cd_apis import FakeJenkins, configured, event_tuples, sync_once
from metrics import store
from metrics.ingest.sync import http
from metrics.ingest.sync.http import Client, SyncError
from metrics.registry.source import source

LISTING = "jobs[name,fullName,url,jobs[name]]"
BUILDS = "number,result,timestamp,duration,url"


@pytest.fixture(autouse=True)
def known_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 1.0)


def ci(jenkins: FakeJenkins) -> None:
    """deploy-api: #6 ABORTED, #7 FAILURE 03-05 14:00:00 + 45 s, #8 SUCCESS 03-06 14:00:00 + 95 s;
    api-tests (not a deployment job): #119, #120; deploy-old: #1 2023-12-01 (before since), #2
    SUCCESS 02-01 00:00:00 + 60 s; the folder payments: payments/deploy #1 SUCCESS 03-04 10:00:00 +
    120 s, #2 FAILURE 03-05 10:00:00 + 30 s, #3 running since 03-06 10:00:00; payments/build (not a
    deployment job) #1."""
    jenkins.add_job("deploy-api")
    jenkins.add_build("deploy-api", 6, "ABORTED", "2024-03-05T13:00:00Z", 10)
    jenkins.add_build("deploy-api", 7, "FAILURE", "2024-03-05T14:00:00Z", 45)
    jenkins.add_build("deploy-api", 8, "SUCCESS", "2024-03-06T14:00:00Z", 95)
    jenkins.add_job("api-tests")
    jenkins.add_build("api-tests", 119, "FAILURE", "2024-03-05T13:00:00Z", 540)
    jenkins.add_build("api-tests", 120, "SUCCESS", "2024-03-06T13:00:00Z", 600)
    jenkins.add_job("deploy-old")
    jenkins.add_build("deploy-old", 1, "SUCCESS", "2023-12-01T00:00:00Z", 60)
    jenkins.add_build("deploy-old", 2, "SUCCESS", "2024-02-01T00:00:00Z", 60)
    jenkins.add_folder("payments")
    jenkins.add_job("payments/deploy")
    jenkins.add_build("payments/deploy", 1, "SUCCESS", "2024-03-04T10:00:00Z", 120)
    jenkins.add_build("payments/deploy", 2, "FAILURE", "2024-03-05T10:00:00Z", 30)
    jenkins.add_build("payments/deploy", 3, None, "2024-03-06T10:00:00Z")
    jenkins.add_job("payments/build")
    jenkins.add_build("payments/build", 1, "SUCCESS", "2024-03-06T09:00:00Z", 300)


def source_of(jenkins, **extra):
    return configured("jenkins", jenkins.root, "ci", **{"deploy_workflow": "*deploy*", **extra})


events = functools.partial(event_tuples, columns=["service", "deploy_id", "status"])


FIRST = [("2024-02-01T00:01:00+00:00", "deploy-old", "deploy-old@deploy-old#2", "success"),
         ("2024-03-04T10:02:00+00:00", "deploy", "deploy@payments/deploy#1", "success"),
         ("2024-03-05T10:00:30+00:00", "deploy", "deploy@payments/deploy#2", "failed"),
         ("2024-03-05T14:00:45+00:00", "deploy-api", "deploy-api@deploy-api#7", "failed"),
         ("2024-03-06T14:01:35+00:00", "deploy-api", "deploy-api@deploy-api#8", "success")]


def test_first_sync_collects_the_deployment_jobs_as_the_import_reads_them(tmp_path):
    with FakeJenkins() as jenkins:
        ci(jenkins)
        run = sync_once(source_of(jenkins), {}, jenkins.environ, save=True)
        asked = list(jenkins.requests)
        # the same jobs saved as a file: the root's listing with the folder's jobs and every build
        tree = f"jobs[name,fullName,url,builds[{BUILDS}],jobs[name,fullName,url,builds[{BUILDS}]]]"
        listing = Client(jenkins.root, source("jenkins").sync.auth(jenkins.environ)).get("api/json", {"tree": tree})
        export = tmp_path / "jobs.json"
        export.write_text(json.dumps(listing.body))
    assert events(run.frame) == FIRST and run.rejected == []
    assert run.skipped == {"builds ABORTED (not a deployment outcome)": 1}
    assert [p for p, _ in asked] == ["/jenkins/api/json", "/jenkins/job/payments/api/json",
                                     "/jenkins/job/deploy-api/api/json", "/jenkins/job/deploy-old/api/json",
                                     "/jenkins/job/payments/job/deploy/api/json"]
    assert asked[0][1] == {"tree": LISTING}
    assert asked[2][1] == {"tree": "allBuilds[number,result,timestamp,duration,url,building]{0,100}"}
    assert run.state["jobs"] == {"deploy-api": {"highest": 8, "open": []}, "deploy-old": {"highest": 2, "open": []},
                                 "payments/deploy": {"highest": 3, "open": [3]}}
    imported, report = loader("jenkins")(export)
    # the file has no since: deploy-old #1 (2023-12-01 00:00:00 + 60 s) as well; #3 is running
    assert events(imported) == [("2023-12-01T00:01:00+00:00", "deploy-old", "deploy-old@deploy-old#1", "success")] + FIRST
    assert report.skipped["builds still running (no result yet)"] == 1
    assert run.added == 5 and len(store.load("ci")) == 5


def test_a_second_sync_adds_nothing_and_a_running_build_comes_once_it_finishes():
    with FakeJenkins() as jenkins:
        ci(jenkins)
        first = sync_once(source_of(jenkins), {}, jenkins.environ, save=True)
        jenkins.requests.clear()
        second = sync_once(source_of(jenkins), first.state, jenkins.environ, save=True)
        # listings (2), one page per job (3), and #3 asked again: still running
        assert (len(second.frame), second.added, second.requests) == (0, 0, 6)
        assert ("/jenkins/job/payments/job/deploy/3/api/json",
                {"tree": "number,result,timestamp,duration,url,building"}) in jenkins.requests
        jenkins.finish("payments/deploy", 3, "SUCCESS", 300)
        jenkins.add_build("deploy-api", 9, "UNSTABLE", "2024-03-21T08:00:00Z", 61.5)
        third = sync_once(source_of(jenkins), second.state, jenkins.environ, save=True)
        fourth = sync_once(source_of(jenkins), third.state, jenkins.environ, save=True)
    # #3: 03-06 10:00:00 + 300 s; deploy-api #9: 08:00:00 + 61.5 s, UNSTABLE is a failure
    assert events(third.frame) == [("2024-03-06T10:05:00+00:00", "deploy", "deploy@payments/deploy#3", "success"),
                                   ("2024-03-21T08:01:01.500000+00:00", "deploy-api", "deploy-api@deploy-api#9", "failed")]
    assert third.state["jobs"]["payments/deploy"] == {"highest": 3, "open": []}
    assert (len(fourth.frame), fourth.added) == (0, 0) and len(store.load("ci")) == 7


def big(jenkins, count: int = 250) -> None:
    """deploy-big: builds 1..count, build n started n hours after 2024-02-01 00:00, 60 s long."""
    jenkins.add_job("deploy-big")
    for n in range(1, count + 1):
        day, hour = divmod(n, 24)
        jenkins.add_build("deploy-big", n, "SUCCESS", f"2024-02-{1 + day:02d}T{hour:02d}:00:00Z", 60)


def test_pages_of_all_builds_are_followed():
    with FakeJenkins() as jenkins:
        big(jenkins)
        run = sync_once(source_of(jenkins, target="deploy-big"), {}, jenkins.environ)
        pages = [q["tree"] for p, q in jenkins.requests]
        again = sync_once(source_of(jenkins, target="deploy-big"), run.state, jenkins.environ)
    fields = "allBuilds[number,result,timestamp,duration,url,building]"
    assert pages == [fields + "{0,100}", fields + "{100,200}", fields + "{200,300}"]
    assert sorted(run.frame["deploy_id"]) == sorted(f"deploy-big@deploy-big#{n}" for n in range(1, 251))
    # build 250: 250 h = 10 days 10 h after 02-01 00:00, so 02-11 10:00:00, + 60 s
    assert events(run.frame)[-1] == ("2024-02-11T10:01:00+00:00", "deploy-big", "deploy-big@deploy-big#250", "success")
    assert (len(again.frame), again.requests) == (0, 1)


@pytest.mark.parametrize("count, pages", [(0, 1), (99, 1), (100, 2), (199, 2), (200, 3)])
def test_the_walk_ends_at_the_first_page_short_of_a_hundred(count, pages):
    with FakeJenkins() as jenkins:
        big(jenkins, count)
        run = sync_once(source_of(jenkins, target="deploy-big"), {}, jenkins.environ)
    assert (run.requests, len(run.frame), run.state["jobs"]["deploy-big"]["highest"]) == (pages, count, count)


@pytest.mark.parametrize("killed_after, stored, walk", [(1, range(151, 251), {"top": 250, "down_to": 151}),
                                                        (2, range(51, 251), {"top": 250, "down_to": 51})])
def test_a_sync_killed_half_way_resumes_without_taking_anything_twice(killed_after, stored, walk):
    with FakeJenkins() as jenkins:
        big(jenkins)
        killed = sync_once(source_of(jenkins, target="deploy-big"), {}, jenkins.environ, save=True,
                           batches_at_most=killed_after)
        assert killed.added == len(stored) and killed.state["walk"] == {"deploy-big": {**walk, "newest": 250}}
        jenkins.add_build("deploy-big", 251, "SUCCESS", "2024-02-11T11:00:00Z", 60)
        jenkins.add_build("deploy-big", 252, "FAILURE", "2024-02-11T12:00:00Z", 60)
        resumed = sync_once(source_of(jenkins, target="deploy-big"), killed.state, jenkins.environ, save=True)
    # 252 and 251 are new; what was stored before the kill is skipped; the rest is taken
    rest = [252, 251, *range(1, stored.start)]
    assert sorted(resumed.frame["deploy_id"]) == sorted(f"deploy-big@deploy-big#{n}" for n in rest)
    assert resumed.added == len(rest) and len(store.load("ci")) == 252
    assert resumed.state["jobs"]["deploy-big"] == {"highest": 252, "open": []} and resumed.state["walk"] == {}


@pytest.mark.parametrize("target", ["payments/build", "job/payments/job/build", "/job/payments/job/build/"])
def test_the_target_job_gives_every_build_whatever_its_name(target):
    with FakeJenkins() as jenkins:
        ci(jenkins)
        run = sync_once(source_of(jenkins, target=target), {}, jenkins.environ)
        paths = jenkins.paths()
    assert paths == ["/jenkins/job/payments/job/build/api/json"]
    # 03-06 09:00:00 + 300 s
    assert events(run.frame) == [("2024-03-06T09:05:00+00:00", "build", "build@payments/build#1", "success")]


def test_a_target_that_is_a_folder_or_missing_is_one_sentence():
    with FakeJenkins() as jenkins:
        ci(jenkins)
        with pytest.raises(SyncError, match=r"/jenkins/job/payments/api/json lists no builds \(is 'payments' a folder\?\)"):
            sync_once(source_of(jenkins, target="payments"), {}, jenkins.environ)
        with pytest.raises(SyncError, match=r"/jenkins/job/nope/api/json answered 404"):
            sync_once(source_of(jenkins, target="nope"), {}, jenkins.environ)


def test_service_given_and_another_glob():
    with FakeJenkins() as jenkins:
        ci(jenkins)
        run = sync_once(source_of(jenkins, service="payments", deploy_workflow="payments/*"), {},
                        jenkins.environ)
    assert sorted(run.frame["deploy_id"]) == ["payments@payments/build#1", "payments@payments/deploy#1", "payments@payments/deploy#2"]
    assert set(run.frame["service"]) == {"payments"}


def test_a_running_build_deleted_before_it_finished_is_let_go():
    with FakeJenkins() as jenkins:
        ci(jenkins)
        first = sync_once(source_of(jenkins), {}, jenkins.environ)
        jenkins.items["payments/deploy"]["builds"].pop()          # #3 discarded by Jenkins
        second = sync_once(source_of(jenkins), first.state, jenkins.environ)
    assert second.state["jobs"]["payments/deploy"] == {"highest": 3, "open": []} and len(second.frame) == 0


def test_rate_limit_and_a_server_error_are_waited_out():
    with FakeJenkins() as jenkins:
        ci(jenkins)
        jenkins.fail_next = [(429, {"Retry-After": "5"}, {"message": "Too Many Requests"}),
                             (502, {}, {"message": "Bad Gateway"})]
        run = sync_once(source_of(jenkins), {}, jenkins.environ)
    assert run.waits == [5.0, 1.0] and events(run.frame) == FIRST and run.requests == 7


def test_a_wrong_token_is_one_sentence_without_the_token():
    with FakeJenkins() as jenkins:
        ci(jenkins)
        with pytest.raises(SyncError) as e:
            sync_once(source_of(jenkins), {}, {"JENKINS_USER": jenkins.user,
                                                          "JENKINS_TOKEN": "11ffffffffffffffffffffffffffffffff"})
    message = str(e.value)
    assert "/jenkins/api/json answered 401" in message and "11ffffff" not in message and "\n" not in message
    auth = source("jenkins").sync.auth
    with pytest.raises(SyncError, match="^set JENKINS_USER in the environment to sync from jenkins"):
        auth({"JENKINS_TOKEN": "t"})
    with pytest.raises(SyncError, match="^set JENKINS_USER and JENKINS_TOKEN in the environment"):
        auth({})
    # RFC 7617: base64 of user ":" token
    assert auth({"JENKINS_USER": "ci", "JENKINS_TOKEN": "t0k"}) == {"Authorization": "Basic Y2k6dDBr"}


def test_an_answer_that_is_not_jenkins_is_one_sentence():
    with FakeJenkins() as jenkins:
        jenkins.route = lambda path, query: (200, {}, {"items": []})
        with pytest.raises(SyncError, match=r"/jenkins/api/json did not answer with Jenkins jobs$"):
            sync_once(source_of(jenkins), {}, jenkins.environ)
