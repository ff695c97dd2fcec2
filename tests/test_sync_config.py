"""The sync configuration file, ``--every``, and the PagerDuty connector against a local fake API."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given, settings, strategies as st

from metrics import store
from metrics.ingest.sync import http
from metrics.cli.sync import run_sync
from metrics.ingest.sync.config import ConfigError, parse_every, read_config, source_of
from metrics.ingest.sync.run import sync

from fake_apis import FakeGitHub, FakePagerDuty

NOW = datetime(2024, 3, 20, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)


def test_config_names_every_source(tmp_path):
    path = tmp_path / "sync.toml"
    path.write_text('''
[defaults]
since = "2024-01-01"
bots = ["deploy-robot"]

[[source]]
type = "github"
repo = "acme/shop"
dataset = "acme"
deploy_workflow = "release*"
services = { shop = "checkout" }

[[source]]
type = "pagerduty"
dataset = "acme"
service_ids = ["PSVC1", "PSVC2"]

[[source]]
type = "opsgenie"
dataset = "acme"
region = "eu"
''')
    github, pagerduty, opsgenie = read_config(path)
    assert (github.provider, github.target, github.dataset, github.option("deploy_workflow")) == \
        ("github", "acme/shop", "acme", "release*")
    assert github.option("production") == "production"                     # not configured: the declared default
    assert github.services == {"shop": "checkout"} and github.bots == ("deploy-robot",)
    assert github.since == "2024-01-01T00:00:00Z" and github.api_url == "https://api.github.com"
    assert pagerduty.option("service_ids") == ("PSVC1", "PSVC2") and pagerduty.key == "pagerduty:PSVC1,PSVC2"
    assert opsgenie.api_url == "https://api.eu.opsgenie.com"


GITLAB = '[[source]]\ntype = "gitlab"\nproject = "acme/platform"\ndataset = "a"\n'


@pytest.mark.parametrize("text, message", [
    ('[[source]]\ntype = "github"\ndataset = "a"\n', "repo must be OWNER/NAME"),
    ('[[source]]\ntype = "jira"\ndataset = "a"\n', "type must be one of github, gitlab, pagerduty, opsgenie"),
    ('[[source]]\ntype = "pagerduty"\n', "dataset is required"),
    ('[[source]]\ntype = "pagerduty"\ndataset = "a"\ntoken = "x"\n', "unknown key 'token'"),
    ('[[source]]\ntype = "pagerduty"\ndataset = "a"\nsince = "last week"\n', "since must be a date"),
    ('[[source]]\ntype = "gitlab"\ndataset = "a"\n', "project must be the project's id or its path"),
    ('[[source]]\ntype = "opsgenie"\ndataset = "a"\nregion = "apac"\n', "region must be us or eu"),
    ('[[source]]\ntype = "github"\nrepo = "a/b"\ndataset = "a"\napi_url = "ftp://x"\n', "api_url must start with https://"),
    ('[[source]]\ntype = "github"\nrepo = "a/b"\ndataset = "a"\nservices = ["x"]\n', "services must map"),
    (GITLAB + 'service_paths = { api = "" }\n',
     "service_paths needs SERVICE=GLOB with a service name and a non-empty glob"),
    (GITLAB + 'service_paths = { api = ["services/api", 3] }\n', "service_paths needs SERVICE=GLOB"),
    (GITLAB + 'service_paths = { api = [] }\n', "service_paths gives service 'api' no glob"),
    (GITLAB + 'service_paths = "services/api"\n', "service_paths must map service names to globs"),
    (GITLAB + 'service_paths = { api = "x" }\ntag_patterns = { web = "w*" }\n', "tag_patterns names service 'web'"),
    (GITLAB + 'service_paths = { api = "x" }\ntag_patterns = { api = 1 }\n', "tag_patterns needs SERVICE=GLOB"),
    (GITLAB + 'service = "api"\nservice_paths = { api = "x" }\n', "service sets one service for every event"),
    ('[[source]]\ntype = "pagerduty"\ndataset = "a"\nservice_paths = { api = "x" }\n',
     "service_paths is for github and gitlab sources"),
    ("type = \n", "is not valid TOML"),
    ("", "names no source"),
])
def test_bad_config_is_one_sentence(tmp_path, capsys, text, message):
    path = tmp_path / "sync.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_config(path)
    assert run_sync(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert message.split(" ")[0] in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("keys, sentence, argv", [
    ('type = "jenkins"\napi_url = "https://ci.example.com"\nrepo = "a/b"\n', "repo is for sync github, not for sync jenkins",
     ["jenkins", "--api-url", "https://ci.example.com", "--repo", "a/b"]),
    ('type = "pagerduty"\ndeploy_workflow = "deploy*"\n', "deploy_workflow is for sync github / jenkins, not for sync "
     "pagerduty", ["pagerduty", "--deploy-workflow", "deploy*"]),
    ('type = "github"\nrepo = "a/b"\nregion = "eu"\n', "region is for sync opsgenie, not for sync github",
     ["github", "--repo", "a/b", "--region", "eu"]),
    ('type = "gitlab"\nproject = "a/b"\nservice_ids = ["P1"]\n', "service_ids is for sync pagerduty, not for sync gitlab",
     ["gitlab", "--project", "a/b", "--service-id", "P1"]),
    ('type = "argocd"\napi_url = "https://argo.example.com"\njob = "deploy"\n', "job is for sync jenkins, not for sync "
     "argocd", ["argocd", "--api-url", "https://argo.example.com", "--job", "deploy"]),
])
def test_another_sources_key_is_refused_as_the_command_line_refuses_its_flag(tmp_path, capsys, keys, sentence, argv):
    path = tmp_path / "sync.toml"
    path.write_text('[[source]]\ndataset = "a"\n' + keys)
    with pytest.raises(ConfigError) as refused:
        read_config(path)
    assert str(refused.value) == f"{path}, source 1: {sentence}"     # the file, the source and the key
    assert run_sync(["--config", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {path}, source 1: {sentence}\n"
    key, rest = sentence.split(" is for ")
    assert run_sync([*argv, "--name", "a"]) == 2                      # the same sentence for the same option's flag
    assert capsys.readouterr().err == f"error: {argv[-2]} is for {rest}\n"


def test_a_default_applies_to_the_sources_that_take_it(tmp_path):
    path = tmp_path / "sync.toml"
    path.write_text('[defaults]\nproduction = "live"\nservice = "shop"\n\n'
                    '[[source]]\ntype = "github"\nrepo = "a/b"\ndataset = "a"\n\n'
                    '[[source]]\ntype = "pagerduty"\ndataset = "a"\n')
    github, pagerduty = read_config(path)
    assert github.options["production"] == "live" and "production" not in pagerduty.options
    assert github.service == pagerduty.service == "shop"            # a key every source takes
    path.write_text('[defaults]\nregion = "eu"\n\n[[source]]\ntype = "github"\nrepo = "a/b"\ndataset = "a"\n')
    with pytest.raises(ConfigError, match=r"\[defaults\] region is for sync opsgenie, and no source here is one"):
        read_config(path)


@pytest.mark.parametrize("argv, sentence", [
    (["--since", "last week"], "the command line: --since must be a date (YYYY-MM-DD), got 'last week'"),
    (["--repo", "a"], "the command line: --repo must be OWNER/NAME, got 'a'"),
    (["--api-url", "https://[::1"], "the command line: --api-url is not a URL (https://HOST[:PORT][/PATH])"),
])
def test_the_command_line_names_its_flags_not_the_files_keys(argv, sentence, capsys):
    assert run_sync(["github", "--repo", "a/b", "--name", "a", *argv]) == 2
    assert capsys.readouterr().err == f"error: {sentence}\n"


def test_an_empty_api_url_on_the_command_line_is_the_default_or_names_the_flag(capsys, monkeypatch):
    from metrics.cli import sync as command
    monkeypatch.setattr(command, "run_once", lambda sources, *a, **k: print(sources[0].api_url) or 0)
    assert run_sync(["github", "--repo", "a/b", "--name", "a", "--api-url", ""]) == 0
    assert capsys.readouterr().out == "https://api.github.com\n"                # github has its default API
    assert run_sync(["argocd", "--name", "a", "--api-url", ""]) == 2
    assert capsys.readouterr().err == ("error: the command line: --api-url is required for argocd (every installation "
                                       "has its own)\n")


def test_the_file_names_itself_the_source_and_the_key(tmp_path):
    path = tmp_path / "sync.toml"
    path.write_text('[[source]]\ntype = "pagerduty"\ndataset = "a"\nsince = "last week"\n')
    with pytest.raises(ConfigError) as refused:
        read_config(path)
    assert str(refused.value) == f"{path}, source 1: since must be a date (YYYY-MM-DD), got 'last week'"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_fuzzed_config_never_crashes(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("cfg") / "sync.toml"
    path.write_text(text, encoding="utf-8")
    try:
        read_config(path)
    except ConfigError:
        pass


def test_missing_config_file(capsys, tmp_path):
    assert run_sync(["--config", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.mark.parametrize("text, seconds", [("15m", 900.0), ("1h", 3600.0), ("2d", 172800.0), ("90s", 90.0)])
def test_every(text, seconds):
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["15", "m", "10s", "-5m", "1.5h", "15 minutes"])
def test_bad_every(text):
    with pytest.raises(ConfigError):
        parse_every(text)


def test_every_keeps_syncing(monkeypatch, capsys):
    slept = []
    with FakeGitHub() as gh:
        gh.add_pull(1, "2024-03-01T09:00:00Z", "2024-03-02T10:00:00Z", merged="2024-03-02T10:00:00Z")
        monkeypatch.setenv("GITHUB_TOKEN", gh.token)
        argv = ["github", "--repo", "acme/shop", "--name", "shop", "--api-url", gh.url, "--since", "2024-02-01",
                "--every", "15m"]
        assert run_sync(argv, sleep=slept.append, rounds=2) == 0
        pulls_asked = [p for p in gh.paths() if p == "/repos/acme/shop/pulls"]
    assert slept == [900.0] and len(pulls_asked) == 2
    err = capsys.readouterr().err
    assert err.count("github:acme/shop -> shop: +") == 2 and "next sync in 15m" in err


def test_cli_needs_repo_and_name(capsys):
    assert run_sync(["github", "--name", "x"]) == 2
    assert "needs --repo" in capsys.readouterr().err
    assert run_sync(["github", "--repo", "a/b"]) == 2
    assert "--name DATASET" in capsys.readouterr().err
    assert run_sync(["github", "--repo", "a/b", "--name", "x", "--token", "abc"]) == 2   # never an option
    assert "unrecognized arguments" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# PagerDuty


def pd_source(pd_api, **extra):
    return source_of({"type": "pagerduty", "dataset": "ops", "api_url": pd_api.url, "since": "2024-01-01", **extra}, "t")


def test_pagerduty_pages_by_offset_and_rechecks_open_incidents():
    with FakePagerDuty() as pd_api:
        for n in range(230):
            day = 1 + n % 28
            pd_api.add_incident(f"Q{n}", f"2024-02-{day:02d}T10:00:00Z", resolved=f"2024-02-{day:02d}T11:30:00Z")
        pd_api.add_incident("OPEN1", "2024-03-10T08:00:00Z")
        first = sync(pd_source(pd_api), environ={"PAGERDUTY_TOKEN": pd_api.token}, now=NOW)
        pages = [q for p, q in pd_api.requests if p == "/incidents"]
        assert [int(q["offset"]) for q in pages] == [0, 100, 200]
        assert first.added == 230 * 2 + 1
        # the open incident resolves; only it is fetched again, plus the (empty) new range
        pd_api.incidents[-1].update(status="resolved", resolved_at="2024-03-21T09:00:00Z")
        pd_api.requests.clear()
        second = sync(pd_source(pd_api), environ={"PAGERDUTY_TOKEN": pd_api.token},
                      now=datetime(2024, 3, 22, tzinfo=timezone.utc))
        assert pd_api.paths() == ["/incidents/OPEN1", "/incidents"]
    assert second.added == 1
    frame = store.load("ops")
    resolved = frame[(frame["incident_id"] == "OPEN1") & (frame["kind"] == "incident_resolved")]
    assert str(resolved["ts"].iloc[0]) == "2024-03-21 09:00:00+00:00"


def test_pagerduty_long_backfill_is_split_into_six_month_ranges():
    with FakePagerDuty() as pd_api:
        pd_api.add_incident("A", "2023-01-05T10:00:00Z", resolved="2023-01-05T12:00:00Z")
        pd_api.add_incident("B", "2024-03-05T10:00:00Z", resolved="2024-03-05T12:00:00Z")
        outcome = sync(pd_source(pd_api, since="2023-01-01"), environ={"PAGERDUTY_TOKEN": pd_api.token}, now=NOW)
        ranges = [(q["since"], q["until"]) for p, q in pd_api.requests if p == "/incidents"]
    assert outcome.added == 4
    assert len(ranges) == 3 and ranges[0][0] == "2023-01-01T00:00:00Z" and ranges[-1][1] == "2024-03-20T00:00:00Z"
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))


def test_pagerduty_service_ids_filter():
    with FakePagerDuty() as pd_api:
        pd_api.add_incident("A", "2024-03-05T10:00:00Z", resolved="2024-03-05T12:00:00Z", service_id="PSVC1")
        pd_api.add_incident("B", "2024-03-05T10:00:00Z", resolved="2024-03-05T12:00:00Z", service_id="PSVC2",
                            service="Search")
        sync(pd_source(pd_api, service_ids=["PSVC2"]), environ={"PAGERDUTY_TOKEN": pd_api.token}, now=NOW)
    assert set(store.load("ops")["incident_id"]) == {"B"}
    assert set(store.load("ops")["service"]) == {"Search"}


def test_monorepo_keys_of_a_github_or_gitlab_source():
    from metrics.ingest.sync.config import ConfigError, source_of
    base = {"type": "github", "repo": "acme/mono", "dataset": "d"}
    got = source_of({**base, "service_paths": {"api": "services/api/**", "web": ["apps/web/**", "libs/ui"]},
                     "tag_patterns": {"api": "api-v*"}}, "sync.toml, source 1")
    assert got.service_paths == {"api": ("services/api/**",), "web": ("apps/web/**", "libs/ui")}
    assert got.tag_patterns == {"api": ("api-v*",)}
    for extra, message in (
            ({"service_paths": {"api": ""}}, "service_paths needs SERVICE=GLOB with a service name and a non-empty glob"),
            ({"service_paths": "services/api"}, "service_paths must map service names to globs"),
            ({"service_paths": {"api": "x"}, "tag_patterns": {"web": "w*"}}, "tag_patterns names service 'web'"),
            ({"service_paths": {"api": "x"}, "service": "api"}, "service sets one service for every event")):
        with pytest.raises(ConfigError) as e:
            source_of({**base, **extra}, "sync.toml, source 1")
        assert str(e.value).startswith(f"sync.toml, source 1: {message}"), str(e.value)
    gitlab = source_of({"type": "gitlab", "project": "a/b", "dataset": "d", "service_paths": {"api": "x"},
                        "tag_patterns": {"api": ["api-v*", "api/*"]}}, "s")
    assert (gitlab.service_paths, gitlab.tag_patterns) == ({"api": ("x",)}, {"api": ("api-v*", "api/*")})
    with pytest.raises(ConfigError, match="s: tag_patterns is for github and gitlab sources .*, not opsgenie"):
        source_of({"type": "opsgenie", "dataset": "d", "tag_patterns": {"api": "x"}}, "s")
