"""Jenkins builds -> deploy events (``import --from jenkins``), from files shaped like the JSON API's.

Fixtures written from Jenkins' documentation:
- https://www.jenkins.io/doc/book/using/remote-access-api/ (``.../api/json`` on every object: the
  root lists its jobs, a job its builds; Basic authentication with a user and an API token);
- the ``/api/`` page every Jenkins serves (``tree=jobs[name],views[name,jobs[name]]``, range
  specifiers ``{M,N}``, ``{M,}``, ``{,N}``, ``{N}``), and the model it exports: ``hudson.model.Run``
  (number, result, timestamp and duration in milliseconds, url, building; a running build has
  result null and duration 0), ``hudson.model.Result`` (SUCCESS, UNSTABLE, FAILURE, NOT_BUILT,
  ABORTED), ``Job.builds`` (the newest 100) and ``allBuilds``; a folder's (cloudbees-folder) and a
  view's ``jobs``.

tests/fixtures/jenkins/:
- job_deploy-checkout.json, ``/job/deploy-checkout/api/json?tree=builds[number,result,timestamp,
  duration,url]``: #46 running; #45 SUCCESS 03-07 08:59:30 + 30 s; #44 ABORTED; #43 UNSTABLE 03-05
  15:00:00 + 240 s; #42 FAILURE 03-05 09:30:00 + 61.5 s; #41 SUCCESS 03-04 10:00:00 + 185 s;
  #40 NOT_BUILT;
- root_jobs.json, ``/api/json?tree=jobs[name,fullName,url,builds[...]]``: deploy-api (#8 SUCCESS
  03-06 14:00:00 + 95 s, #7 FAILURE 03-05 14:00:00 + 45 s), api-tests (2 builds, not a deployment
  job), the folder payments (no builds listed), Deploy-Web (no builds yet);
- folder_payments.json, ``/job/payments/api/json?tree=jobs[...]``: payments/deploy (#3 SUCCESS
  03-07 16:20:00 + 125.25 s), payments/build (#31, not a deployment job).
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FIXTURES
from fake_cd_apis import event_tuples
from metrics import Window, analyze, tables_from_frame
from metrics.ingest import LoadError, load_events
from metrics.compute.pvm import Assumptions
from metrics.registry.source import source

JOB = FIXTURES / "jenkins" / "job_deploy-checkout.json"
ROOT = FIXTURES / "jenkins" / "root_jobs.json"
FOLDER = FIXTURES / "jenkins" / "folder_payments.json"
NOT_DEPLOY_JOBS = "builds of jobs not matching --deploy-workflow '*deploy*'"


def read(paths, **options):
    return load_events(paths, reader=source("jenkins").make_reader(**options))


def events(frame) -> list[tuple]:
    return event_tuples(frame, ["service", "deploy_id", "status", "environment"])


def write(tmp_path, name, value):
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def test_a_jobs_builds_are_deploys_at_their_end():
    frame, report = read([JOB])
    assert set(frame["kind"]) == {"deploy"}
    # the end is timestamp + duration: 10:00:00 + 185 s = 10:03:05; 09:30:00 + 61.5 s = 09:31:01.5;
    # 15:00:00 + 240 s = 15:04:00; 08:59:30 + 30 s = 09:00:00
    assert events(frame) == [
        ("2024-03-04T10:03:05+00:00", "deploy-checkout", "deploy-checkout@deploy-checkout#41", "success", "production"),
        ("2024-03-05T09:31:01.500000+00:00", "deploy-checkout", "deploy-checkout@deploy-checkout#42", "failed", "production"),
        ("2024-03-05T15:04:00+00:00", "deploy-checkout", "deploy-checkout@deploy-checkout#43", "failed", "production"),
        ("2024-03-07T09:00:00+00:00", "deploy-checkout", "deploy-checkout@deploy-checkout#45", "success", "production"),
    ]
    assert report.skipped == {"builds still running (no result yet)": 1,
                              "builds ABORTED (not a deployment outcome)": 1,
                              "builds NOT_BUILT (not a deployment outcome)": 1}
    assert (report.rows_read, report.accepted, report.rejected_count) == (4, 4, 0)


def test_a_job_file_takes_every_build_whatever_deploy_workflow_says():
    # the file names no job: the job's name comes from the builds' URLs, and every build counts
    assert len(read([JOB], deploy_workflow="release-*")[0]) == 4


def test_service_given_names_every_deploy():
    frame, _ = read([JOB], service="checkout")
    assert set(frame["service"]) == {"checkout"}
    assert sorted(frame["deploy_id"]) == ["checkout@deploy-checkout#41", "checkout@deploy-checkout#42",
                                          "checkout@deploy-checkout#43", "checkout@deploy-checkout#45"]


def test_the_roots_jobs_matching_deploy_workflow():
    frame, report = read([ROOT])
    assert events(frame) == [
        ("2024-03-05T14:00:45+00:00", "deploy-api", "deploy-api@deploy-api#7", "failed", "production"),
        ("2024-03-06T14:01:35+00:00", "deploy-api", "deploy-api@deploy-api#8", "success", "production"),
    ]
    assert report.skipped == {NOT_DEPLOY_JOBS: 2,
                              "jobs listed without builds (folders not expanded, or never built)": 1}
    # another glob: api-tests' builds (#120 13:00 + 600 s, #119 13:00 + 540 s), none of deploy-api's
    frame, report = read([ROOT], deploy_workflow="*-TESTS")
    assert events(frame) == [
        ("2024-03-05T13:09:00+00:00", "api-tests", "api-tests@api-tests#119", "failed", "production"),
        ("2024-03-06T13:10:00+00:00", "api-tests", "api-tests@api-tests#120", "success", "production"),
    ]
    assert report.skipped["builds of jobs not matching --deploy-workflow '*-TESTS'"] == 2


def test_a_folders_jobs_have_full_names(tmp_path):
    frame, report = read([FOLDER])
    # 16:20:00 + 125.25 s = 16:22:05.25; the service is the job's name, the id names the folder
    assert events(frame) == [
        ("2024-03-07T16:22:05.250000+00:00", "deploy", "deploy@payments/deploy#3", "success", "production")]
    assert report.skipped == {NOT_DEPLOY_JOBS: 1}
    # a glob over full names: both jobs of the folder payments match payments/*
    assert len(read([FOLDER], deploy_workflow="payments/*")[0]) == 2
    # a root listing with the folder expanded inside it (tree=jobs[...,jobs[...]]) gives the same
    root = json.loads(ROOT.read_text())
    root["jobs"][2]["jobs"] = json.loads(FOLDER.read_text())["jobs"]
    frame, _ = read([write(tmp_path, "root.json", root)])
    assert sorted(frame["deploy_id"]) == ["deploy-api@deploy-api#7", "deploy-api@deploy-api#8", "deploy@payments/deploy#3"]


def test_one_build_and_arrays_and_pages_one_after_another(tmp_path):
    builds = json.loads(JOB.read_text())["builds"]
    one = write(tmp_path, "one.json", builds[1])                          # /job/deploy-checkout/45/api/json
    assert events(read([one])[0]) == [
        ("2024-03-07T09:00:00+00:00", "deploy-checkout", "deploy-checkout@deploy-checkout#45", "success", "production")]
    array = write(tmp_path, "array.json", builds)                          # `jq .builds`
    pages = write(tmp_path, "pages.json", json.dumps({"allBuilds": builds[:3]}) + "\n" +
                  json.dumps({"allBuilds": builds[3:]}))                   # allBuilds{0,3} then {3,}
    expected = events(read([JOB])[0])
    assert events(read([array])[0]) == expected and events(read([pages])[0]) == expected


def test_a_build_url_with_folders_and_escapes(tmp_path):
    build = {"number": 9, "result": "SUCCESS", "timestamp": 1709280000000, "duration": 1000,
             "url": "https://ci.example.com/jenkins/job/web%20team/job/deploy-web/9/"}
    frame, _ = read([write(tmp_path, "b.json", build)])
    # 1709280000000 ms = 2024-03-01 08:00:00 UTC; + 1 s
    assert events(frame) == [("2024-03-01T08:00:01+00:00", "deploy-web", "deploy-web@web team/deploy-web#9", "success",
                              "production")]


def test_change_failure_rate_by_hand():
    frame, _ = read([JOB])
    an = analyze(tables_from_frame(frame), Window.between("2024-03-04", "2024-03-08"), Assumptions())
    d = an.summary["dora"]
    # #41 success, #42 failed, #43 failed (UNSTABLE), #45 success: 4 deployments in 4 days, 2 successful
    assert (d["deployments"], d["successful_deployments"]) == (4, 2)
    assert d["deploys_per_day"] == pytest.approx(0.5) and d["change_failure_rate_pct"] == pytest.approx(50.0)


@pytest.mark.parametrize("content", [
    '{"foo": 1}', "[1, 2]", '"builds"', "3.5", '{"builds": 7}', '{"number": 4}',
    '{"metadata": {"resourceVersion": "1"}, "items": []}',
])
def test_a_file_that_is_not_jenkins_is_one_sentence_naming_it(tmp_path, content):
    with pytest.raises(LoadError) as e:
        read([write(tmp_path, "builds.json", content)])
    assert str(e.value).startswith("builds.json: not Jenkins JSON") and "\n" not in str(e.value)


def test_invalid_json_is_one_sentence(tmp_path):
    with pytest.raises(LoadError, match=r"^builds\.json: invalid JSON at line 1"):
        read([write(tmp_path, "builds.json", '{"builds": [{"number": ')])


def test_records_missing_a_field_are_rejected_with_their_reason(tmp_path):
    url = "https://ci.example.com/job/deploy-x/{}/"
    ok = {"number": 1, "result": "SUCCESS", "timestamp": 1709280000000, "duration": 0, "url": url.format(1)}
    job = {"builds": [
        dict(ok, number=None),                                  # 1
        dict(ok, number=2, result="PASSED"),                    # 2
        dict(ok, number=3, timestamp="yesterday"),              # 3
        {k: v for k, v in dict(ok, number=4).items() if k != "duration"},   # 4
        dict(ok, number=5, duration=-5),                        # 5
        dict(ok, number=6, timestamp=10**20),                   # 6: far past any calendar
        dict(ok, number=7, timestamp=-86_400_000),              # 7: 1969-12-31, before any event
        "build",                                                # 8
        dict(ok, number=9, result=["SUCCESS"]),                 # 9
        dict(ok, number=10, timestamp=True),                    # 10
        dict(ok, number=11, url=None),                          # 11: no job: no service
        ok,                                                     # 12
        dict(ok, number=13, timestamp=1709280000000.0),         # 13: a whole float is fine
    ]}
    frame, report = read([write(tmp_path, "job.json", job)])
    assert sorted(frame["deploy_id"]) == ["deploy-x@deploy-x#1", "deploy-x@deploy-x#13"]
    assert report.rejected[["row", "reason"]].values.tolist() == [
        ["build 1", "a build without a number"],
        ["build 2", "build deploy-x#2: unknown result 'PASSED'"],
        ["build 3", "build deploy-x#3: no timestamp (milliseconds since the epoch)"],
        ["build 4", "build deploy-x#4: no duration (milliseconds)"],
        ["build 5", "build deploy-x#5: no duration (milliseconds)"],
        ["build 6", "build deploy-x#6: timestamp out of range (100000000000000000000)"],
        ["build 7", "timestamp outside 1970-2199 '1969-12-31T00:00:00.000+00:00'"],
        ["build 8", "not a JSON object (str)"],
        ["build 9", "build deploy-x#9: unknown result \"['SUCCESS']\""],
        ["build 10", "build deploy-x#10: no timestamp (milliseconds since the epoch)"],
        ["build 11", "missing required field service"],
    ]
    # the import's --service fills the service of a build whose URL names no job
    frame, report = load_events([tmp_path / "job.json"], reader=source("jenkins").make_reader(), service="x")
    assert report.rejected_count == 10 and "x@#11" in set(frame["deploy_id"])


# -- fuzz ----------------------------------------------------------------------------------------

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["SUCCESS", "FAILURE", "ABORTED", "deploy-api",
                                                           "https://ci/job/a/job/deploy/3/", "a/deploy",
                                                           1709280000000]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["builds", "allBuilds", "jobs", "name", "fullName", "url", "number", "result",
                                     "timestamp", "duration", "building", "_class"]),
                    inner, max_size=6)), max_leaves=25)


def fuzz_load(folder, content: bytes, **options):
    path = folder / "builds.json"
    path.write_bytes(content)
    try:
        frame, report = read([path], **options)
    except LoadError as e:
        assert (str(e).startswith("builds.json: ") or str(e).startswith(str(path))) and "\n" not in str(e).strip()
        return
    assert report.accepted == len(frame) and set(frame["kind"]) <= {"deploy"}


@FUZZ
@given(json_values, st.sampled_from([None, "*deploy*", "[", "a/*"]), st.sampled_from([None, "svc"]))
def test_fuzz_any_json_gives_events_or_a_sentence(tmp_path_factory, value, glob, service):
    fuzz_load(tmp_path_factory.mktemp("j"), json.dumps(value, allow_nan=True).encode(), deploy_workflow=glob,
              service=service)


@FUZZ
@given(json_values)
def test_fuzz_jobs_with_random_parts(tmp_path_factory, part):
    root = json.loads(ROOT.read_text())
    root["jobs"][0]["builds"].append(part)
    root["jobs"].append(part)
    fuzz_load(tmp_path_factory.mktemp("j"), json.dumps([root, part], allow_nan=True).encode())


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_give_events_or_a_sentence(tmp_path_factory, content):
    fuzz_load(tmp_path_factory.mktemp("j"), content)
