"""The source registry: plug-in sources (every record shape, every failure as one sentence, nothing
stored), options merged on the command line and another source's option refused, the upload menu,
``python -m metrics sources``, and the docs tables written from the declarations."""
from __future__ import annotations

import base64
import dataclasses
import json
import logging
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT
from metrics import store
from metrics.cli import main
from metrics.cli.import_ import import_parser
from metrics.ingest import LoadError, load_events
from metrics.ingest.plugin_sources import load_sources
from metrics.cli.sync import run_sync
from metrics.registry import source as registry
from metrics.registry.options import merged
from metrics.registry.source import Option, SourceError, sources

SHIPIT = '''\
from metrics.plugins import source


@source(name="shipit", title="ShipIt releases")
def shipit(records):
    rows = []
    for r in records:
        rows.append({"ts": r["done"], "kind": "deploy", "service": r["app"], "deploy_id": r["id"],
                     "status": "success" if str(r["ok"]).lower() == "true" else "failed"})
    return rows
'''
RECORDS = [{"id": "r1", "done": "2024-03-01T10:00:00Z", "app": "shop", "ok": True},
           {"id": "r2", "done": "2024-03-02T11:30:00Z", "app": "shop", "ok": False}]
# the two records by hand: r1 a successful deploy of shop on 1 March 10:00, r2 a failed one on 2 March 11:30
EXPECTED = [("2024-03-01 10:00", "deploy", "shop", "shop@r1", "success"),
            ("2024-03-02 11:30", "deploy", "shop", "shop@r2", "failed")]


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """Write plug-in files and point METRICS_PLUGINS at them; the registry forgets them afterwards."""
    def write(**files) -> dict:
        paths = {}
        for name, text in files.items():
            paths[name] = tmp_path / f"{name}.py"
            paths[name].write_text(textwrap.dedent(text), encoding="utf-8")
        monkeypatch.setenv("METRICS_PLUGINS", ":".join(str(p) for p in paths.values()))
        return paths
    yield write
    monkeypatch.delenv("METRICS_PLUGINS", raising=False)
    load_sources("")
    assert not any(s.plugin for s in sources().values())


def rows(frame) -> list[tuple]:
    frame = frame.sort_values("ts")
    return list(zip(frame["ts"].dt.strftime("%Y-%m-%d %H:%M"), frame["kind"], frame["service"], frame["deploy_id"],
                    frame["status"]))


# -- plug-in sources ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, text", [
    ("array.json", json.dumps(RECORDS)),
    ("items.json", json.dumps({"items": RECORDS})),
    ("lines.ndjson", "\n".join(json.dumps(r) for r in RECORDS) + "\n"),
    ("rows.csv", "id,done,app,ok\nr1,2024-03-01T10:00:00Z,shop,true\nr2,2024-03-02T11:30:00Z,shop,false\n"),
])
def test_a_plugin_source_reads_every_record_shape(plugins, tmp_path, name, text):
    plugins(shipit=SHIPIT)
    assert load_sources() == []
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    frame, report = load_events([path], reader=sources()["shipit"].make_reader())
    assert rows(frame) == EXPECTED
    assert (report.rows_read, report.accepted, report.rejected_count) == (2, 2, 0)


def test_a_plugin_source_imports_with_the_same_validation_and_report(plugins, tmp_path, capsys):
    plugins(shipit=SHIPIT)
    path = tmp_path / "releases.json"
    path.write_text(json.dumps(RECORDS + [{"id": "r3", "done": "yesterday", "app": "shop", "ok": True}]))
    assert main(["import", "--from", "shipit", str(path), "--name", "ship"]) == 0
    err = capsys.readouterr().err
    assert "3 rows read, 2 accepted, 1 rejected" in err and "rejected releases.json row 3: bad timestamp 'yesterday'" in err
    assert rows(store.load("ship")) == EXPECTED


def test_a_plugin_source_is_listed_and_offered(plugins, capsys):
    paths = plugins(shipit=SHIPIT)
    assert main(["sources", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    assert listed["shipit"]["title"] == "ShipIt releases" and listed["shipit"]["plugin"] == str(paths["shipit"])
    assert (listed["shipit"]["upload"], listed["shipit"]["sync"], listed["shipit"]["webhook"]) == (True, False, False)
    from dashboard.layout import upload_sources
    assert ("shipit", "ShipIt releases") in upload_sources()
    assert import_parser().parse_args(["--from", "shipit", "x.json", "--name", "x"]).source == "shipit"


def test_a_plugin_source_upload_is_stored_with_its_report(plugins):
    from dashboard.upload import import_upload
    plugins(shipit=SHIPIT)
    contents = "data:application/json;base64," + base64.b64encode(json.dumps(RECORDS).encode()).decode()
    done = import_upload(contents, "releases.json", "ship", "shipit")
    assert (done.total, done.added) == (2, 2) and rows(store.load("ship")) == EXPECTED


BOOM = '''\
from metrics.plugins import source

@source(name="boom")
def boom(records):
    raise ValueError("no field 'done'")
'''
NOTHING = '''\
from metrics.plugins import source

@source(name="nothing")
def nothing(records):
    print(len(records))
'''
LISTS = '''\
from metrics.plugins import source

@source(name="lists")
def lists(records):
    yield ["2024-03-01T10:00:00Z", "deploy", "shop"]
'''
CLASH = '''\
from metrics.plugins import source


@source(name="github")
def mine(records):
    return []
'''
BAD_NAME = '''\
from metrics.plugins import source

@source(name="My Tool")
def mine(records):
    return []
'''
BROKEN = '''\
from metrics.plugins import source

def mine(records)
    return []
'''


@pytest.mark.parametrize("text, source, data, message", [
    (BOOM, "boom", RECORDS, "plug-in source 'boom' in {path} failed (line 5): ValueError: no field 'done'"),
    (NOTHING, "nothing", RECORDS, "plug-in source 'nothing' in {path} (line 3) returned NoneType, not rows"),
    (LISTS, "lists", RECORDS, "plug-in source 'lists' in {path} (line 3) made row 1 a list, not a dict"),
    (SHIPIT, "shipit", [1, 2], "data.json: record 1 is not a JSON object (int)"),
    (CLASH, "github", RECORDS, "plug-in {path} (line 4) declares source 'github', which exists already"),
    # a plug-in that cannot be loaded refuses only its own source (test_a_broken_plugin_... below:
    # a built-in source is read, with a warning)
    (BAD_NAME, "My Tool", RECORDS, "plug-in {path} could not be loaded (line 3): SourceError: source names are"),
    (BROKEN, "mine", RECORDS, "plug-in {path} could not be loaded (line 3): SyntaxError"),
])
def test_a_failing_plugin_source_is_one_sentence_and_stores_nothing(plugins, tmp_path, capsys, text, source, data,
                                                                    message):
    path = plugins(tool=text)["tool"]
    (tmp_path / "data.json").write_text(json.dumps(data))
    assert main(["import", "--from", source, str(tmp_path / "data.json"), "--name", "x"]) == 2
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert line.startswith("error: ") and message.format(path=path) in line, line
    assert "Traceback" not in err and store.list_datasets() == []


@pytest.mark.parametrize("text", [BAD_NAME, BROKEN, CLASH])
def test_a_broken_plugin_does_not_block_a_builtin_source_it_warns_in_one_line(plugins, capsys, text):
    path = plugins(tool=text)["tool"]
    hand = str(ROOT / "tests" / "fixtures" / "hand.csv")
    assert main(["import", "--from", "events", hand, "--name", "x"]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and f"plug-in {path} " in warnings[0] and "Traceback" not in err
    assert [d.name for d in store.list_datasets()] == ["x"]


@pytest.mark.parametrize("text, own", [(BAD_NAME, "My Tool"), (BROKEN, "mine"), (CLASH, "github")])
def test_import_help_works_with_a_broken_plugin(plugins, capsys, text, own):
    path = plugins(tool=text)["tool"]
    with pytest.raises(SystemExit) as done:
        main(["import", "--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0 and out.startswith("usage: python -m metrics import")
    assert "".join(f"warning: plug-in {path} ".split()) in "".join(out.split())    # said under the help
    assert main(["import", "--from", own, str(path), "--name", "x"]) == 2       # its own source: refused
    assert capsys.readouterr().err.startswith(f"error: plug-in {path} ")
    assert store.list_datasets() == []


def test_a_source_there_is_not_is_one_sentence_naming_the_sources(capsys, monkeypatch):
    monkeypatch.delenv("METRICS_PLUGINS", raising=False)
    assert main(["import", "--from", "jira", str(ROOT / "tests" / "fixtures" / "hand.csv"), "--name", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --from: invalid choice: 'jira' (sources: events, git, github,")
    assert err.count("\n") == 1


class Kept(logging.Handler):
    """A log handler keeping the messages (pytest's logging plugin is off here)."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_a_failing_plugin_source_upload_is_a_sentence_naming_the_plugin_by_its_file_name(plugins):
    from dashboard.upload import UploadError, import_upload
    path = plugins(tool=BOOM)["tool"]
    contents = "data:application/json;base64," + base64.b64encode(json.dumps(RECORDS).encode()).decode()
    kept, logger = Kept(), logging.getLogger("dashboard.upload")
    logger.addHandler(kept)
    try:
        with pytest.raises(UploadError) as refused:
            import_upload(contents, "releases.json", "x", "boom")
    finally:
        logger.removeHandler(kept)
    shown = str(refused.value)                         # what the page shows
    assert shown == "releases.json: plug-in source 'boom' in tool.py failed (line 5): ValueError: no field 'done'"
    assert str(path.parent) not in shown
    assert any(f"plug-in source 'boom' in {path} failed (line 5)" in line for line in kept.lines)   # the log: the path
    assert store.list_datasets() == []


IDENTITY = '''\
from metrics.plugins import source

@source(name="identity")
def identity(records):
    return records
'''
values = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), st.text(max_size=12),
                   st.sampled_from(["2024-03-01T10:00:00Z", "deploy", "incident_start", "pr_created", "success", "9999-01-01"]),
                   st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
records = st.lists(st.dictionaries(st.sampled_from(["ts", "kind", "service", "status", "metric_value", "pr_id",
                                                    "deploy_id", "incident_id", "environment", "other"]),
                                   values, max_size=6), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.one_of(records.map(json.dumps), records.map(lambda r: json.dumps({"items": r})),
                      st.binary(max_size=200).map(lambda b: b.decode("latin-1"))),
       name=st.sampled_from(["in.json", "in.ndjson", "in.csv"]))
def test_any_records_through_a_plugin_source_give_a_report_or_a_sentence(plugins, tmp_path_factory, data, name):
    plugins(identity=IDENTITY)
    assert load_sources() == []
    path = tmp_path_factory.mktemp("p") / name
    path.write_text(data, encoding="utf-8")
    try:
        frame, report = load_events([path], reader=sources()["identity"].make_reader())
    except LoadError as e:
        assert str(e) and "\n" not in str(e).strip()
        return
    assert report.accepted == len(frame)


# -- options on the command line ----------------------------------------------------------------------

def test_an_option_several_sources_take_is_one_flag_with_one_help_line():
    help_text = " ".join(import_parser().format_help().split())
    # sources added later join the list of names, so only its start is fixed here
    assert "--production ENV github / gitlab / cdevents" in help_text
    assert ": the environment that is production (default production)" in help_text
    assert "--deploy-workflow GLOB github / cdevents" in help_text
    assert ": the workflows or pipelines whose runs are deployments (a glob on the name or file) (default *deploy*)" \
        in help_text
    assert help_text.count("the environment that is production") == 1


def test_options_that_differ_are_said_per_source_and_kinds_must_agree():
    a, b = Option("production", "the environment that is production", default="production"), \
        Option("production", "the namespace that counts")
    (option,) = merged([("github", a), ("gitlab", a), ("argocd", b)])
    assert option.help == ("github / gitlab: the environment that is production (default production); "
                           "argocd: the namespace that counts")
    with pytest.raises(SourceError, match="option 'production' is declared with different kinds or flags by github, x"):
        merged([("github", a), ("x", Option("production", "on or off", kind="flag"))])


def declared_options():
    """(source, Option) of every built-in source's reader, sync target and sync options."""
    for name, spec in registry.builtin_sources().items():
        yield from ((name, o) for o in spec.options)
        if spec.sync:
            yield from ((name, o) for o in ((spec.sync.target,) if spec.sync.target else ()) + tuple(spec.sync.options))


def test_a_default_is_said_once_by_the_merged_help_never_by_a_sources_own(monkeypatch):
    from metrics.cli.sync import parser as sync_parser, provider_options
    from metrics.registry.options import reader_options
    for name, option in declared_options():
        assert "default" not in option.help.lower(), f"{name} --{option.name}: say it with default or default_help"
    monkeypatch.setenv("COLUMNS", "100000")                  # one line an option: no word broken at a hyphen
    import_help, sync_help = (" ".join(p.format_help().split()) for p in (import_parser(), sync_parser()))
    for options, shown in ((reader_options(), import_help), (provider_options(), sync_help)):
        for option in options:
            said = {(o.help, o.default_said) for _, o in option.owners if o.default_said}
            assert option.help.count("default") == len(said), option.help           # once a part that has one
            assert option.flag == "--service" or option.help in shown, option.flag  # rides on the command's own
    # the wart: "... case ignored (default *deploy*); a file of one job's builds takes every build (default *deploy*)"
    assert ("jenkins: the jobs whose builds are deployments, a glob matched against a job's name or full name, case "
            "ignored (where one job is given, every build of it counts) (default *deploy*)") in sync_help
    assert sync_help.count("*deploy*") == 2 and import_help.count("*deploy*") == 3   # github, (azure-devops), jenkins
    assert "argocd: sync this application only (default: every application)" in sync_help
    assert "the field naming an incident's service: a custom field's name (any case) or id (default \"Affected " \
           "services\")" in import_help
    assert "--region {us,eu} opsgenie: the account's region (default us)" in sync_help


def test_every_declared_option_merges():
    merged((n, o) for n, s in sources().items() for o in s.options)      # no two kinds under one name
    merged((n, o) for n, s in sources().items() if s.sync for o in ((s.sync.target,) if s.sync.target else ())
           + tuple(s.sync.options))


@pytest.mark.parametrize("argv, start, end", [
    (["--from", "pagerduty", "--production", "prod"], "--production is for --from github / gitlab / cdevents",
     ", not for --from pagerduty"),
    (["--from", "events", "--urgency", "high"], "--urgency is for --from pagerduty", ", not for --from events"),
    (["--from", "github", "--repo-service", "a=b"], "--repo-service is for --from cdevents", ", not for --from github"),
    (["--from", "survey"], "--from survey needs --score-column NAME", ": the column holding the 1-5 satisfaction score"),
])
def test_another_sources_option_is_one_sentence(argv, start, end, capsys):
    assert main(["import", *argv, str(ROOT / "tests" / "fixtures" / "hand.csv"), "--name", "x"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()       # later sources may join the list of names
    assert line.startswith(f"error: {start}") and line.endswith(end), line
    assert store.list_datasets() == []


def test_another_sources_sync_option_is_one_sentence(capsys):
    assert run_sync(["pagerduty", "--repo", "a/b", "--name", "x"]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("error: --repo is for sync github") and line.endswith(", not for sync pagerduty"), line
    assert run_sync(["github", "--repo", "a/b", "--name", "x", "--region", "eu"]) == 2
    line = capsys.readouterr().err.strip()
    assert line.startswith("error: --region is for sync opsgenie") and line.endswith(", not for sync github"), line


# -- the upload menu -------------------------------------------------------------------------------

def test_the_upload_menu_lists_every_upload_source():
    from dashboard.layout import upload_panel, upload_sources
    menu = upload_sources()
    names = [name for name, _ in menu]
    # every built-in file source, opsgenie included (the hand-kept list left it out); git is a folder
    # and survey needs --score-column, which the form does not ask for
    assert {"events", "github", "gitlab", "pagerduty", "opsgenie", "cdevents"} <= set(names)
    assert not {"git", "survey"} & set(names)
    assert names == [n for n, s in sources().items() if s.upload and not any(o.required for o in s.options)]
    assert ("pagerduty", "PagerDuty incidents (JSON)") in menu
    found = []

    def walk(node):
        if getattr(node, "id", None) == "upload-source":
            found.append(node.options)
        for child in (getattr(node, "children", None) or []) if isinstance(getattr(node, "children", None), list) \
                else [getattr(node, "children", None)]:
            if child is not None and not isinstance(child, str):
                walk(child)
    walk(upload_panel(1024))
    assert found == [[{"label": label, "value": name} for name, label in menu]]


def test_opsgenie_can_be_uploaded_and_survey_says_why_not():
    from dashboard.upload import UploadError, import_upload
    incidents = {"data": [{"id": "i1", "createdAt": "2024-03-01T10:00:00Z", "updatedAt": "2024-03-01T12:00:00Z",
                           "status": "resolved", "impactedServices": ["shop"]}]}
    contents = "data:application/json;base64," + base64.b64encode(json.dumps(incidents).encode()).decode()
    done = import_upload(contents, "incidents.json", "ops", "opsgenie")
    # one resolved incident: its start at 10:00 and its resolution at 12:00
    frame = store.load("ops").sort_values("ts")
    assert done.total == 2 and list(frame["kind"]) == ["incident_start", "incident_resolved"]
    assert list(frame["ts"].dt.strftime("%H:%M")) == ["10:00", "12:00"]
    with pytest.raises(UploadError, match="Survey form export \\(CSV\\) cannot be uploaded here: python -m metrics import "
                                          "--from survey PATH --name NAME --score-column NAME"):
        import_upload(contents, "answers.csv", "s", "survey")


# -- python -m metrics sources ---------------------------------------------------------------------------

def test_the_sources_command_lists_every_source(capsys):
    assert main(["sources"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "source\ttitle\ttakes\toptions"
    by_name = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
    assert list(by_name) == list(sources())
    assert by_name["github"][2:] == ["upload, sync, webhook",
                                     "--deploy-workflow --production --releases-as-deployments --incident-label"]
    assert by_name["git"][2:] == ["-", "--tag-pattern --service-path --scan --service-map"]
    assert by_name["opsgenie"][2:] == ["upload, sync", "-"]
    assert main(["sources", "--json"]) == 0
    listed = {s["name"]: s for s in json.loads(capsys.readouterr().out)}
    survey = {o["name"]: o for o in listed["survey"]["options"]}
    assert survey["score_column"]["required"] is True and survey["day_first"]["kind"] == "flag"
    assert (listed["cdevents"]["sync"], listed["cdevents"]["webhook"], listed["survey"]["upload"]) == (False, True, False)


# -- the docs tables ------------------------------------------------------------------------------------

def test_every_webhook_says_how_it_verifies_and_what_it_uses_and_the_module_points_to_the_docs():
    import dashboard.webhooks
    hooks = {name: spec.webhook for name, spec in registry.builtin_sources().items() if spec.webhook}
    assert sorted(hooks) == ["cdevents", "events", "github", "gitlab", "pagerduty"]
    for name, hook in hooks.items():
        assert hook.verified_by and hook.deliveries and hook.records, name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ("| `gitlab` | `GITLAB_WEBHOOK_TOKEN` (+ `GITLAB_WEBHOOK_SIGNING_TOKEN`) | `X-Gitlab-Token`; with a signing "
            "token also `webhook-signature` (Standard Webhooks, 5 minutes' tolerance) | merge request (open, merge, "
            "approved), deployment, pipeline (a name or ref matching `?deploy_workflow=`, default `*deploy*`) |") in readme
    assert "| github | `pull_request_review` submitted | `pr_reviewed` |" in \
        (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert "X-Hub-Signature-256" not in dashboard.webhooks.__doc__ and "README" in dashboard.webhooks.__doc__


def test_every_builtin_source_is_documented():
    for name, spec in registry.builtin_sources().items():
        assert spec.name == name and spec.title and spec.describe, name     # reads: the title stands in


def test_an_option_named_as_a_commands_own_rides_on_it_and_none_stays_none(monkeypatch, tmp_path):
    # a source (as Jenkins' is written) may declare --service, which import and sync have already,
    # and an option without a default (Argo CD's production: every application counts without it)
    from metrics.ingest.sync.config import source_of
    from metrics.registry.source import SourceSpec, SyncSpec
    seen = {}

    def reader(service=None, production=None):
        seen.update(service=service, production=production)
        return lambda text, path: sources()["events"].make_reader()(text, path)
    options = (Option("service", "every deployment's service", metavar="NAME"),
               Option("production", "the namespace that is production", metavar="NS"))
    fake = SourceSpec("fake", "Fake", "x", reader, options=options, reads="x",
                      sync=SyncSpec(("FAKE_TOKEN",), lambda environ: {}, lambda *a: iter(()), lambda *a: None,
                                    api_url="http://127.0.0.1:9", options=options))
    monkeypatch.setattr(registry, "_BUILTIN", {**registry.builtin_sources(), "fake": fake})
    hand = str(ROOT / "tests" / "fixtures" / "hand.csv")
    assert main(["import", "--from", "fake", hand, "--name", "a", "--service", "shop"]) == 0
    assert seen == {"service": "shop", "production": None}
    assert main(["import", "--from", "events", hand, "--name", "b", "--service", "shop"]) == 0
    assert set(store.load("b")["service"]) == {"shop"}
    synced = source_of({"type": "fake", "dataset": "d", "service": "shop"}, "s")
    assert (synced.service, synced.option("production"), synced.options) == \
        ("shop", None, {"service": "shop", "production": None})
    assert source_of({"type": "fake", "dataset": "d", "production": "prod"}, "s").option("production") == "prod"
