"""Argo CD's and Jenkins' live sync end to end, as a user runs it: ``python -m metrics sync argocd``
and ``sync jenkins`` (in process through ``metrics.cli.main``, and once as a subprocess), and both as
``[[source]]`` entries of ``sync --config FILE``, against the loopback fakes of tests/fake_cd_apis.py.

The numbers are read back as the user reads them (``python -m metrics --dataset D --json`` and
``datasets``) and were worked out by hand from the fixtures below: a first sync stores them, a
second adds nothing, a missing or wrong credential and a missing ``--api-url`` are one sentence
with exit 2 (the token never printed, nothing stored)."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import run_cli
from fake_cd_apis import FakeArgoCD, FakeJenkins, configured
from metrics import store
from metrics.cli import main
from metrics.ingest.sync.http import SyncError
from metrics.ingest.sync.run import last_runs
from metrics.registry.source import source
from test_sync_cd_fuzz import DrawnApi

ARGO_TOKEN = "argocd-e2e-token-5c1d"
PROD = ("--production", "prod")
JENKINS_TOKEN = "11e2e0c2b7a4e5f6071829jenkins"


def apps(argo: FakeArgoCD) -> None:
    """checkout (namespace prod, tier=production) synced 03-04 10:02:11, 03-05 14:30:45 and 03-07
    09:15:00 (ids 0-2); legacy (namespace prod, no tier label) 03-06 08:00:00 (id 0); checkout-staging
    (namespace staging, tier=staging) 03-06 16:45:10 (id 0); guestbook never synced.

    By hand, with ``--production prod``: 5 deploy events, all successful; production: checkout's 3
    and legacy's 1 = 4 deployments (checkout-staging keeps its namespace, staging, as environment).
    Window: the day of the first event to the day after the last, 03-04 to 03-08, 4 days: 4
    successful deployments, 1.0 a day.
    Change failure rate: none (null): Argo CD's history holds completed syncs only, never a failed
    one, and without incident data a rate of 0 % would be a perfect value the data cannot show."""
    for name, namespace, labels in (("checkout", "prod", {"team": "payments", "tier": "production"}),
                                    ("legacy", "prod", None),
                                    ("checkout-staging", "staging", {"team": "payments", "tier": "staging"}),
                                    ("guestbook", "default", None)):
        argo.add_app(name, namespace, labels)
    for name, started, deployed in (("checkout", "03-04T10:01:58", "03-04T10:02:11"),
                                    ("checkout", "03-05T14:30:20", "03-05T14:30:45"),
                                    ("checkout", "03-07T09:14:41", "03-07T09:15:00"),
                                    ("legacy", "03-06T07:59:00", "03-06T08:00:00"),
                                    ("checkout-staging", "03-06T16:44:59", "03-06T16:45:10")):
        argo.synced(name, f"2024-{started}Z", f"2024-{deployed}Z")


ARGO_EVENTS = [("2024-03-04 10:02:11", "checkout", "checkout@0", "production", "success"),
               ("2024-03-05 14:30:45", "checkout", "checkout@1", "production", "success"),
               ("2024-03-06 08:00:00", "legacy", "legacy@0", "production", "success"),
               ("2024-03-06 16:45:10", "checkout-staging", "checkout-staging@0", "staging", "success"),
               ("2024-03-07 09:15:00", "checkout", "checkout@2", "production", "success")]


def builds(jenkins: FakeJenkins) -> None:
    """The folder team: team/deploy-api #1 SUCCESS 03-04 10:00:00 + 60 s, #2 FAILURE 03-05 10:00:00
    + 90 s, #3 UNSTABLE 03-06 10:00:00 + 120 s, #4 ABORTED 03-06 11:00:00, #5 running since 03-07
    10:00:00; team/build (not a deployment job) #1 SUCCESS. At the root: deploy-web #1 SUCCESS 03-07
    12:00:00 + 30 s, #2 SUCCESS 03-07 15:00:00 + 30 s.

    By hand, with the default ``--deploy-workflow *deploy*``: a deploy at each finished build's end
    (start + duration): 5 deployments (api #1, #2, #3, web #1, #2), 2 failed (FAILURE, UNSTABLE);
    ABORTED skipped (1), the running build left for a later sync. Window 03-04 to 03-08, 4 days:
    3 successful deployments, 0.75 a day; change failure rate 2 / 5 = 40 %."""
    jenkins.add_folder("team")
    for job in ("team/deploy-api", "team/build", "deploy-web"):
        jenkins.add_job(job)
    for job, number, result, start, seconds in (("team/deploy-api", 1, "SUCCESS", "03-04T10:00:00", 60),
                                                ("team/deploy-api", 2, "FAILURE", "03-05T10:00:00", 90),
                                                ("team/deploy-api", 3, "UNSTABLE", "03-06T10:00:00", 120),
                                                ("team/deploy-api", 4, "ABORTED", "03-06T11:00:00", 5),
                                                ("team/deploy-api", 5, None, "03-07T10:00:00", 0),
                                                ("team/build", 1, "SUCCESS", "03-05T09:00:00", 300),
                                                ("deploy-web", 1, "SUCCESS", "03-07T12:00:00", 30),
                                                ("deploy-web", 2, "SUCCESS", "03-07T15:00:00", 30)):
        jenkins.add_build(job, number, result, f"2024-{start}Z", seconds)


@pytest.fixture
def argo(monkeypatch):
    """Argo CD on 127.0.0.1 with ``apps``, its token in ``ARGOCD_TOKEN``."""
    monkeypatch.setenv("ARGOCD_TOKEN", ARGO_TOKEN)
    with FakeArgoCD(ARGO_TOKEN) as fake:
        apps(fake)
        yield fake


@pytest.fixture
def jenkins(monkeypatch):
    """Jenkins on 127.0.0.1 with ``builds``, its user and token in ``JENKINS_USER`` and ``JENKINS_TOKEN``."""
    with FakeJenkins(token=JENKINS_TOKEN) as fake:
        builds(fake)
        monkeypatch.setenv("JENKINS_USER", fake.user)
        monkeypatch.setenv("JENKINS_TOKEN", JENKINS_TOKEN)
        yield fake


def argocd(argo: FakeArgoCD, *extra: str, name: str = "argo") -> list[str]:
    """``sync argocd`` into ``name`` since 2024-01-01, with ``extra`` options."""
    return ["argocd", "--name", name, "--api-url", argo.url, "--since", "2024-01-01", *extra]


def jenkins_sync(jenkins: FakeJenkins, *extra: str, name: str = "ci") -> list[str]:
    """``sync jenkins`` into ``name`` since 2024-01-01, with ``extra`` options."""
    return ["jenkins", "--name", name, "--api-url", jenkins.root, "--since", "2024-01-01", *extra]


JENKINS_EVENTS = [("2024-03-04 10:01:00", "deploy-api", "deploy-api@team/deploy-api#1", "production", "success"),
                  ("2024-03-05 10:01:30", "deploy-api", "deploy-api@team/deploy-api#2", "production", "failed"),
                  ("2024-03-06 10:02:00", "deploy-api", "deploy-api@team/deploy-api#3", "production", "failed"),
                  ("2024-03-07 12:00:30", "deploy-web", "deploy-web@deploy-web#1", "production", "success"),
                  ("2024-03-07 15:00:30", "deploy-web", "deploy-web@deploy-web#2", "production", "success")]


def key(provider: str, api_url: str, target: str = "all") -> str:
    """A source's name in the sync's lines and state: provider, target and the installation (the API
    URL without its scheme: Argo CD and Jenkins have no default one)."""
    return f"{provider}:{target}@{api_url.split('://', 1)[1]}"


def stored(dataset: str) -> list[tuple]:
    """The dataset's events as (time, service, deploy_id, environment, status), by time."""
    frame = store.load(dataset).sort_values(["ts", "deploy_id"])
    return [(f"{ts:%Y-%m-%d %H:%M:%S}", *rest) for ts, *rest in
            frame[["ts", "service", "deploy_id", "environment", "status"]].itertuples(index=False)]


def summary(dataset: str, capsys) -> dict:
    """``python -m metrics --dataset DATASET --json``, read."""
    capsys.readouterr()
    assert main(["--dataset", dataset, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def sync(capsys, *argv) -> tuple[int, list[str]]:
    """``python -m metrics sync ARGV``: the exit code and the lines on stderr."""
    capsys.readouterr()
    code = main(["sync", *argv])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err.splitlines()


def dora(numbers: dict) -> tuple:
    d = numbers["dora"]
    return (numbers["window"]["start"], numbers["window"]["end"], d["deployments"], d["successful_deployments"],
            d["deploys_per_day"], d["change_failure_rate_pct"])


# -- Argo CD ------------------------------------------------------------------------------------


def test_argocd_first_sync_stores_the_deployments_and_a_second_adds_nothing(argo, capsys):
    first = sync(capsys, *argocd(argo, *PROD))
    second = sync(capsys, *argocd(argo, *PROD))
    argo.synced("checkout", "2024-03-08T09:59:00Z", "2024-03-08T10:00:00Z")
    third = sync(capsys, *argocd(argo, *PROD))
    name = re.escape(key("argocd", argo.url))
    assert first[0] == 0 and re.fullmatch(name + r" -> argo: \+5 events from 1 requests in [\d.]+ s", first[1][-1])
    assert second[0] == 0 and re.fullmatch(name + r" -> argo: \+0 events from 1 requests in [\d.]+ s", second[1][-1])
    assert third[0] == 0 and f"{key('argocd', argo.url)} -> argo: +1 events" in third[1][-1]
    assert not any("warning" in line for line in first[1] + second[1] + third[1])
    assert stored("argo") == ARGO_EVENTS + [("2024-03-08 10:00:00", "checkout", "checkout@3", "production", "success")]


def test_argocd_numbers_as_json_and_the_last_sync_in_datasets(argo, capsys):
    assert sync(capsys, *argocd(argo, *PROD))[0] == 0
    assert stored("argo") == ARGO_EVENTS
    assert dora(summary("argo", capsys)) == ("2024-03-04T00:00:00Z", "2024-03-08T00:00:00Z", 4, 4, 1.0, None)
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "argo\t5 events\t2024-03-04 10:02 to 2024-03-07 09:15 UTC" in out
    assert re.search(rf"^  last sync from {re.escape(key('argocd', argo.url))} at \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\dZ: "
                     rf"\+5 events$", out, re.M)


def test_argocd_one_application_and_production_by_label(argo, capsys):
    # --application checkout: its 3 syncs only, under its own key; --production tier=production:
    # legacy (namespace prod, no label) is no longer production, its environment its namespace
    one = sync(capsys, *argocd(argo, "--application", "checkout", name="one"))
    label = sync(capsys, *argocd(argo, "--production", "tier=production", name="label"))
    assert one[0] == 0 and f"{key('argocd', argo.url, 'checkout')} -> one: +3 events" in one[1][-1]
    assert argo.paths()[0] == "/api/v1/applications/checkout"
    assert stored("one") == [e for e in ARGO_EVENTS if e[1] == "checkout"]
    assert label[0] == 0 and "+5 events" in label[1][-1]
    assert [(e[2], e[3]) for e in stored("label")] == [("checkout@0", "production"), ("checkout@1", "production"),
                                                       ("legacy@0", "prod"), ("checkout-staging@0", "staging"),
                                                       ("checkout@2", "production")]
    assert dora(summary("label", capsys))[2:4] == (3, 3)


def test_argocd_a_production_no_application_matches_is_a_warning_every_sync(argo, capsys):
    first = sync(capsys, *argocd(argo, "--production", "prd", name="typo"))
    second = sync(capsys, *argocd(argo, "--production", "prd", name="typo"))      # nothing new: still said
    warning = ("  warning: no application matches --production 'prd' (a destination namespace, or a label "
               "KEY=VALUE): none of their deployments count as production")
    assert first[0] == 0 and first[1][-1] == warning and "+5 events" in first[1][-2]
    assert second[0] == 0 and second[1][-1] == warning and "+0 events" in second[1][-2]
    assert dora(summary("typo", capsys))[2] == 0


def test_argocd_new_syncs_of_an_application_that_is_not_production_alone_warn_of_nothing(argo, capsys):
    # the batch holds only checkout-staging (the one application with a new sync): --production prod
    # still matches checkout and legacy, so nothing is said
    sync(capsys, *argocd(argo, *PROD))
    argo.synced("checkout-staging", "2024-03-08T09:00:00Z", "2024-03-08T09:00:20Z")
    code, lines = sync(capsys, *argocd(argo, *PROD))
    assert code == 0 and "+1 events" in lines[-1] and not any("warning" in line for line in lines)


def test_argocd_syncs_dropped_from_the_history_between_two_syncs_are_said(argo, capsys):
    # after the first sync (checkout's ids 0-2), checkout syncs 12 times (ids 3-14, hourly from 03-08
    # 00:00:30); Argo CD keeps the newest 10 (5-14): those are collected, 3 and 4 are gone and said
    sync(capsys, *argocd(argo, *PROD))
    for hour in range(12):
        argo.synced("checkout", f"2024-03-08T{hour:02d}:00:00Z", f"2024-03-08T{hour:02d}:00:30Z")
    code, lines = sync(capsys, *argocd(argo, *PROD))
    again = sync(capsys, *argocd(argo, *PROD))
    assert code == 0 and "+10 events" in lines[-2]
    assert lines[-1] == ("  warning: application 'checkout': 2 syncs (history ids 3 to 4) were dropped from Argo CD's "
                         "history before this sync (it keeps the last revisionHistoryLimit syncs, 10 by default) and "
                         "cannot be collected: sync more often")
    assert [e[2] for e in stored("argo")][-10:] == [f"checkout@{i}" for i in range(5, 15)]
    assert again[0] == 0 and "+0 events" in again[1][-1] and not any("warning" in line for line in again[1])


def test_argocd_an_unknown_application_is_one_sentence(argo, capsys):
    code, lines = sync(capsys, *argocd(argo, "--application", "nope"))
    assert code == 2 and lines == [f"error: {key('argocd', argo.url, 'nope')} -> argo: {argo.url}/api/v1/applications/"
                                   f"nope answered 404: no such repository, project, service, job or application, or "
                                   f"the token cannot see it; check the name and the API URL"]


@pytest.mark.parametrize("provider", ["argocd", "jenkins"])
def test_a_missing_api_url_is_one_sentence(capsys, provider):
    code, lines = sync(capsys, provider, "--name", "d")
    assert (code, lines) == (2, [f"error: sync {provider} needs --api-url URL (every installation has its own)"])


def test_another_sources_option_is_refused(capsys):
    assert sync(capsys, "argocd", "--name", "d", "--api-url", "https://argocd.example.com", "--job", "x") == \
        (2, ["error: --job is for sync jenkins, not for sync argocd"])
    assert sync(capsys, "jenkins", "--name", "d", "--api-url", "https://ci.example.com", "--application", "x") == \
        (2, ["error: --application is for sync argocd, not for sync jenkins"])


# -- Jenkins ------------------------------------------------------------------------------------


def test_jenkins_first_sync_stores_the_deployments_a_second_adds_nothing_a_finished_build_comes(jenkins, capsys):
    first = sync(capsys, *jenkins_sync(jenkins))
    second = sync(capsys, *jenkins_sync(jenkins))
    jenkins.finish("team/deploy-api", 5, "SUCCESS", 300)         # ends 03-07 10:05:00
    third = sync(capsys, *jenkins_sync(jenkins))
    name = key("jenkins", jenkins.root)
    assert first[0] == 0 and re.fullmatch(re.escape(name) + r" -> ci: \+5 events from \d+ requests in [\d.]+ s, "
                                                            r"1 skipped", first[1][-1])
    assert second[0] == 0 and f"{name} -> ci: +0 events" in second[1][-1]
    assert third[0] == 0 and f"{name} -> ci: +1 events" in third[1][-1]
    assert "/jenkins/job/team/job/build/api/json" not in jenkins.paths()     # not a deployment job: never asked
    assert stored("ci") == JENKINS_EVENTS[:3] + [
        ("2024-03-07 10:05:00", "deploy-api", "deploy-api@team/deploy-api#5", "production", "success")] + JENKINS_EVENTS[3:]


def test_jenkins_numbers_as_json_and_the_last_sync_in_datasets(jenkins, capsys):
    assert sync(capsys, *jenkins_sync(jenkins))[0] == 0
    assert stored("ci") == JENKINS_EVENTS
    assert dora(summary("ci", capsys)) == ("2024-03-04T00:00:00Z", "2024-03-08T00:00:00Z", 5, 3, 0.75, 40.0)
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "ci\t5 events\t2024-03-04 10:01 to 2024-03-07 15:00 UTC" in out
    assert re.search(rf"^  last sync from {re.escape(key('jenkins', jenkins.root))} at \S+Z: \+5 events$", out, re.M)


def test_jenkins_one_job_and_a_deploy_workflow(jenkins, capsys):
    # --job team/deploy-api: that job's builds, under its own key; --deploy-workflow build: the one
    # job named "build" (team/build #1, 03-05 09:00:00 + 300 s), as a deployment
    one = sync(capsys, *jenkins_sync(jenkins, "--job", "team/deploy-api", name="one"))
    other = sync(capsys, *jenkins_sync(jenkins, "--deploy-workflow", "build", "--service", "builder", name="other"))
    assert one[0] == 0 and f"{key('jenkins', jenkins.root, 'team/deploy-api')} -> one: +3 events" in one[1][-1]
    assert stored("one") == JENKINS_EVENTS[:3]
    assert other[0] == 0 and "+1 events" in other[1][-1]
    assert stored("other") == [("2024-03-05 09:05:00", "builder", "builder@team/build#1", "production", "success")]


# -- credentials ------------------------------------------------------------------------------


def served(request, provider: str) -> tuple:
    """The fake of ``provider`` (its fixture), its API URL, and ``sync PROVIDER`` into the dataset ``provider``."""
    fake = request.getfixturevalue("argo" if provider == "argocd" else "jenkins")
    url = fake.url if provider == "argocd" else fake.root
    return fake, url, [provider, "--name", provider, "--api-url", url]


@pytest.mark.parametrize("provider, unset, named", [
    ("argocd", ("ARGOCD_TOKEN",), "ARGOCD_TOKEN"),
    ("jenkins", ("JENKINS_TOKEN",), "JENKINS_TOKEN"),
    ("jenkins", ("JENKINS_USER", "JENKINS_TOKEN"), "JENKINS_USER and JENKINS_TOKEN")])
def test_a_missing_credential_is_one_sentence_naming_it_and_nothing_is_asked_or_stored(
        provider, unset, named, request, capsys, monkeypatch):
    fake, url, command = served(request, provider)
    for variable in unset:
        monkeypatch.delenv(variable)
    code, lines = sync(capsys, *command)
    assert code == 2 and fake.paths() == []
    assert lines == [f"error: {key(provider, url)} -> {provider}: set {named} in the environment to sync from "
                     f"{provider} (tokens are never taken on the command line)"]
    assert provider not in [d.name for d in store.list_datasets()]


@pytest.mark.parametrize("provider, variable, path, named", [
    ("argocd", "ARGOCD_TOKEN", "/api/v1/applications", "ARGOCD_TOKEN"),
    ("jenkins", "JENKINS_TOKEN", "/api/json", "JENKINS_USER and JENKINS_TOKEN")])
def test_a_wrong_token_is_one_sentence_without_the_token_and_nothing_stored(
        provider, variable, path, named, request, capsys, monkeypatch):
    fake, url, command = served(request, provider)
    monkeypatch.setenv(variable, "wrong-token-93ab")
    code, lines = sync(capsys, *command)
    assert code == 2 and len(lines) == 1 and "wrong-token-93ab" not in lines[0]
    assert lines[0] == (f"error: {key(provider, url)} -> {provider}: {url}{path} answered 401: the token is missing, "
                        f"wrong, expired or lacks access; check {named} and what the token may read")
    assert provider not in [d.name for d in store.list_datasets()]
    assert last_runs(provider)[0]["error"].startswith(f"{url}{path} answered 401")


# -- both in one configuration file, and as a user's shell runs it ----------------------------------


def config(tmp_path, argo: FakeArgoCD, jenkins: FakeJenkins, argocd_keys: str = 'production = "prod"',
           jenkins_keys: str = "") -> str:
    path = tmp_path / "sync.toml"
    path.write_text(f'[defaults]\nsince = "2024-01-01"\ndataset = "delivery"\n\n'
                    f'[[source]]\ntype = "argocd"\napi_url = "{argo.url}"\n{argocd_keys}\n\n'
                    f'[[source]]\ntype = "jenkins"\napi_url = "{jenkins.root}"\ndeploy_workflow = "*deploy*"\n'
                    f'{jenkins_keys}\n', encoding="utf-8")
    return str(path)


def test_both_from_a_configuration_file_in_a_subprocess(argo, jenkins, tmp_path):
    """By hand: Argo CD's 5 events (4 production deployments, none failed) and Jenkins' 5 deployments
    (2 failed) in one dataset: 9 deployments, 7 successful, 2 failed: change failure rate 2 / 9 =
    22.2 %; window 03-04 to 03-08 (4 days): 7 successful, 1.75 a day."""
    path = config(tmp_path, argo, jenkins)
    first = run_cli("sync", "--config", path)
    second = run_cli("sync", "--config", path)
    assert (first.returncode, first.stdout) == (0, "")
    lines = first.stderr.splitlines()
    argocd_key, jenkins_key = key("argocd", argo.url), key("jenkins", jenkins.root)
    assert f"{argocd_key} -> delivery: +5 events" in lines[-2] and f"{jenkins_key} -> delivery: +5 events" in lines[-1]
    assert second.returncode == 0 and [line.split(" from ")[0] for line in second.stderr.splitlines()[-2:]] == \
        [f"{argocd_key} -> delivery: +0 events", f"{jenkins_key} -> delivery: +0 events"]
    listed = run_cli("datasets").stdout
    assert "delivery\t10 events\t2024-03-04 10:01 to 2024-03-07 15:00 UTC" in listed
    assert re.search(rf"^  last sync from {re.escape(argocd_key)} at \S+Z: \+0 events$", listed, re.M)
    assert re.search(rf"^  last sync from {re.escape(jenkins_key)} at \S+Z: \+0 events$", listed, re.M)
    numbers = json.loads(run_cli("--dataset", "delivery", "--json").stdout)
    window, d = numbers["window"], numbers["dora"]
    assert (window["start"], window["end"]) == ("2024-03-04T00:00:00Z", "2024-03-08T00:00:00Z")
    assert (d["deployments"], d["successful_deployments"], d["deploys_per_day"]) == (9, 7, 1.75)
    assert d["change_failure_rate_pct"] == pytest.approx(200 / 9, abs=0.05)
    for run in (first, second):
        assert ARGO_TOKEN not in run.stderr + run.stdout and JENKINS_TOKEN not in run.stderr + run.stdout


def test_a_configuration_file_takes_the_application_the_job_and_a_label(argo, jenkins, tmp_path, capsys):
    # application checkout with production by label (3 deployments), job team/deploy-api (3 builds,
    # 2 failed): 6 deployments, 4 successful (1.0 a day over 03-04 to 03-08), 2 failed: 33.3 %
    path = config(tmp_path, argo, jenkins, argocd_keys='application = "checkout"\nproduction = "tier=production"',
                  jenkins_keys='job = "team/deploy-api"')
    code, lines = sync(capsys, "--config", path)
    assert code == 0 and f"{key('argocd', argo.url, 'checkout')} -> delivery: +3 events" in lines[-2]
    assert f"{key('jenkins', jenkins.root, 'team/deploy-api')} -> delivery: +3 events" in lines[-1]
    assert dora(summary("delivery", capsys))[2:] == (6, 4, 1.0, pytest.approx(100 * 2 / 6, abs=0.05))


def test_a_configuration_file_without_api_url_or_with_a_token_is_one_sentence(tmp_path, capsys):
    path = tmp_path / "sync.toml"
    path.write_text('[[source]]\ntype = "jenkins"\ndataset = "ci"\n')
    assert sync(capsys, "--config", str(path)) == \
        (2, [f"error: {path}, source 1: api_url is required for jenkins (every installation has its own)"])
    path.write_text('[[source]]\ntype = "argocd"\ndataset = "ci"\napi_url = "https://a.example.com"\ntoken = "x1"\n')
    code, lines = sync(capsys, "--config", str(path))
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"error: {path}, source 1: unknown key 'token'")
    assert "x1" not in lines[0]


def test_two_argo_cds_into_one_dataset_keep_a_state_each(tmp_path, capsys, monkeypatch):
    # one Argo CD per cluster, the same application name in both: staging's checkout synced 03-04 and
    # 03-06 (ids 0, 1), production's 03-05 and 03-07 (ids 0, 1). Sharing one state, the second
    # would take the first's newest sync (03-07) as its own and skip both of its; apart: 4 events
    monkeypatch.setenv("ARGOCD_TOKEN", ARGO_TOKEN)
    with FakeArgoCD(ARGO_TOKEN) as production, FakeArgoCD(ARGO_TOKEN) as staging:
        for fake, days in ((production, ("05", "07")), (staging, ("04", "06"))):
            fake.add_app("checkout", "prod")
            for day in days:
                fake.synced("checkout", f"2024-03-{day}T09:59:00Z", f"2024-03-{day}T10:00:00Z")
        path = tmp_path / "sync.toml"
        path.write_text(f'[defaults]\nsince = "2024-01-01"\ndataset = "both"\n\n'
                        f'[[source]]\ntype = "argocd"\napi_url = "{production.url}"\n\n'
                        f'[[source]]\ntype = "argocd"\napi_url = "{staging.url}"\n'
                        f'services = {{ checkout = "checkout-staging" }}\n')
        code, lines = sync(capsys, "--config", str(path))
    assert code == 0 and f"{key('argocd', production.url)} -> both: +2 events" in lines[-2]
    assert f"{key('argocd', staging.url)} -> both: +2 events" in lines[-1]
    # staging's events are renamed before their ids are qualified (the ids rule): checkout@0 under checkout-staging
    assert [e[:3] for e in stored("both")] == [("2024-03-04 10:00:00", "checkout-staging", "checkout-staging@checkout@0"),
                                               ("2024-03-05 10:00:00", "checkout", "checkout@0"),
                                               ("2024-03-06 10:00:00", "checkout-staging", "checkout-staging@checkout@1"),
                                               ("2024-03-07 10:00:00", "checkout", "checkout@1")]


def test_two_sources_sharing_one_state_in_a_configuration_file_are_one_sentence(tmp_path, capsys):
    path = tmp_path / "sync.toml"
    path.write_text('[[source]]\ntype = "jenkins"\ndataset = "ci"\napi_url = "https://ci.example.com/"\n'
                    'deploy_workflow = "deploy*"\n\n'
                    '[[source]]\ntype = "jenkins"\ndataset = "ci"\napi_url = "https://ci.example.com"\n'
                    'deploy_workflow = "release*"\n')
    assert sync(capsys, "--config", str(path)) == \
        (2, [f"error: {path}: sources 1 and 2 both sync jenkins:all@ci.example.com into ci, which keeps one sync "
             f"state for them: merge them, or give each its own dataset"])


# -- the documented commands run as written --------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def documented_commands(text: str) -> list[list[str]]:
    """The ``[.venv/bin/]python -m metrics sync argocd|jenkins ...`` lines of a Markdown text, as arguments."""
    return [shlex.split(line.split("python -m metrics ", 1)[1].split(" #")[0])
            for line in text.splitlines()
            if re.match(r"\s*(\.venv/bin/)?python -m metrics sync (argocd|jenkins) ", line)]


def with_value(args: list[str], flag: str, value: str) -> list[str]:
    """``args`` with the value of ``flag`` replaced by ``value``."""
    at = args.index(flag) + 1
    return args[:at] + [value] + args[at + 1:]


@pytest.mark.parametrize("doc", ["README.md", "docs/sync.md"])
def test_the_documented_commands_run_as_written(doc, argo, jenkins, capsys):
    commands = documented_commands((ROOT / doc).read_text(encoding="utf-8"))
    assert {args[1] for args in commands} == {"argocd", "jenkins"}
    for number, args in enumerate(commands):       # the example URL ours, a dataset each
        url = argo.url if args[1] == "argocd" else jenkins.root
        args = with_value(with_value(args[1:], "--api-url", url), "--name", f"doc{number}")
        code, lines = sync(capsys, *args, "--since", "2024-01-01")
        assert code == 0 and re.search(r": \+[1-9]\d* events from", lines[-1]), (args, lines)


def test_the_documented_configuration_reads_and_its_argocd_and_jenkins_sources_sync(argo, jenkins, tmp_path):
    from dataclasses import replace

    from metrics.ingest.sync.config import read_config
    from metrics.ingest.sync.run import sync as sync_source
    text = (ROOT / "docs" / "sync.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```toml\n")[1:] if 'type = "argocd"' in b.split("```", 1)[0]]
    assert len(blocks) == 1
    path = tmp_path / "sync.toml"
    path.write_text(blocks[0], encoding="utf-8")
    configured = [s for s in read_config(path) if s.provider in ("argocd", "jenkins")]
    assert [s.provider for s in configured] == ["argocd", "jenkins"]
    added = [sync_source(replace(s, api_url=argo.url if s.provider == "argocd" else jenkins.root)).added
             for s in configured]
    assert added == [5, 5]                  # as the command line's first syncs above


# -- fuzzed: a state carried from one sync to the next, and any api_url --------------------------


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["", "prod", "team=payments"]), st.data())
def test_argocd_a_second_sync_from_any_answers_gives_events_or_a_sentence_and_warnings_of_one_line(production, data):
    # the first sync's state (marks of whatever it read) is the second's: the check for syncs dropped
    # from the history reads marks and histories of any shape
    src = configured("argocd", "https://tool.example.com", "fuzz", production=production)
    spec, state = source("argocd").sync, {}
    try:
        for _ in range(2):
            for batch in spec.batches(DrawnApi(data), src, state, "2024-03-20T00:00:00Z"):
                raw = spec.events(src, batch.objects)
                assert raw.warnings == ()
                assert all(isinstance(w, str) and w and "\n" not in w for w in batch.warnings)
                state = batch.state
                json.dumps(state)
    except SyncError as e:
        assert str(e) and "\n" not in str(e)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["argocd", "jenkins"]),
       st.one_of(st.text(max_size=40), st.builds(lambda user, host, rest: f"https://{user}{host}{rest}",
                                                 st.sampled_from(["", "me:s3cr3t@", "me@", ":pw@"]),
                                                 st.sampled_from(["ci.example.com", "[::1]", "h:99999", "h:80", ""]),
                                                 st.text(max_size=12))))
def test_any_api_url_is_a_source_named_without_a_secret_or_one_sentence(provider, api_url):
    from metrics.ingest.sync.config import ConfigError, source_of
    try:
        synced = source_of({"type": provider, "dataset": "d", "api_url": api_url}, "sync.toml, source 1")
    except ConfigError as e:
        assert str(e).startswith("sync.toml, source 1: ") and "\n" not in str(e) and "s3cr3t" not in str(e)
        return
    assert "s3cr3t" not in synced.key and "@" not in synced.key.split("@", 1)[1]


@pytest.mark.parametrize("api_url, sentence", [         # the command line names its flag, never the file's key
    ("https://", "--api-url names no host (https://HOST[:PORT][/PATH])"),
    ("https://ci.example.com:99999", "--api-url is not a URL (https://HOST[:PORT][/PATH])"),
    ("https://[::1/jenkins", "--api-url is not a URL (https://HOST[:PORT][/PATH])"),
    ("https://me:tok3n@ci.example.com", "--api-url must not hold a user or password; credentials come from the "
                                        "environment (JENKINS_USER and JENKINS_TOKEN)"),
    ("", "--api-url is required for jenkins (every installation has its own)"),
    ("ftp://ci.example.com", "--api-url must start with https:// (or http:// for a local server)")])
def test_an_api_url_that_names_no_installation_is_one_sentence(api_url, sentence, capsys):
    code, lines = sync(capsys, "jenkins", "--name", "ci", "--api-url", api_url)
    assert (code, lines) == (2, [f"error: the command line: {sentence}"])
