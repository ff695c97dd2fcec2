"""Argo CD applications -> deploy events (``import --from argocd``), from files shaped like the API's.

Fixtures written from Argo CD's documentation:
- https://argo-cd.readthedocs.io/en/stable/developer-guide/api-docs/ (``GET /api/v1/applications``
  answers ``{"metadata": {"resourceVersion": ...}, "items": [...]}``, with ``Authorization: Bearer``);
- the API's swagger (``/swagger-ui``; assets/swagger.json: ``v1alpha1ApplicationList``,
  ``v1alpha1Application``) and the types it is generated from,
  https://github.com/argoproj/argo-cd/blob/master/pkg/apis/application/v1alpha1/types.go
  (``RevisionHistory``: id, revision, deployedAt, deployStartedAt, source / sources, revisions,
  initiatedBy; ``ApplicationDestination``: server, name, namespace). A history entry is recorded
  for each completed sync; ``revisionHistoryLimit`` (10 by default) keeps the newest ones.

tests/fixtures/argocd/applications.json holds four applications:
- checkout: namespace prod, labels env=production; history ids 0, 1, 2 deployed 03-04 10:02:11,
  03-05 14:30:45, 03-07 09:15:00;
- checkout-staging: namespace staging, env=staging; ids 0, 1 at 03-04 09:00:30, 03-06 16:45:10;
- search (multi-source, destination by cluster name): namespace prod, env=production; ids 4, 5
  (0-3 trimmed by the history limit) at 03-06 11:20:00, 03-08 08:00:00;
- guestbook: never synced (no status.history): nothing, counted as skipped.
application_checkout.json is ``GET /api/v1/applications/checkout`` (the first one alone).
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

LIST = FIXTURES / "argocd" / "applications.json"
ONE = FIXTURES / "argocd" / "application_checkout.json"
NEVER_SYNCED = {"applications never synced (no status.history)": 1}


def read(paths, **options):
    return load_events(paths, reader=source("argocd").make_reader(**options))


def events(frame) -> list[tuple]:
    return event_tuples(frame, ["service", "deploy_id", "status", "environment"])


def write(tmp_path, name, value) -> object:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def test_every_history_entry_is_a_successful_deploy_at_deployed_at():
    frame, report = read([LIST])
    assert set(frame["kind"]) == {"deploy"} and set(frame["change_type"]) == {"feature"}
    # without --production every application counts
    assert events(frame) == [
        ("2024-03-04T09:00:30+00:00", "checkout-staging", "checkout-staging@0", "success", "production"),
        ("2024-03-04T10:02:11+00:00", "checkout", "checkout@0", "success", "production"),
        ("2024-03-05T14:30:45+00:00", "checkout", "checkout@1", "success", "production"),
        ("2024-03-06T11:20:00+00:00", "search", "search@4", "success", "production"),
        ("2024-03-06T16:45:10+00:00", "checkout-staging", "checkout-staging@1", "success", "production"),
        ("2024-03-07T09:15:00+00:00", "checkout", "checkout@2", "success", "production"),
        ("2024-03-08T08:00:00+00:00", "search", "search@5", "success", "production"),
    ]
    assert (report.rows_read, report.accepted, report.rejected_count) == (7, 7, 0)
    assert report.skipped == NEVER_SYNCED and report.warnings == []


@pytest.mark.parametrize("production", ["prod", "env=production", " env = production "])
def test_production_names_a_destination_namespace_or_a_label(production):
    frame, report = read([LIST], production=production)
    environment = dict(zip(frame["deploy_id"], frame["environment"]))
    # checkout and search: namespace prod and label env=production; checkout-staging: neither, so
    # its destination namespace is its environment (not counted by DORA)
    assert environment == {"checkout@0": "production", "checkout@1": "production", "checkout@2": "production",
                           "search@4": "production", "search@5": "production",
                           "checkout-staging@0": "staging", "checkout-staging@1": "staging"}
    assert report.warnings == []


def test_production_matching_no_application_is_said():
    frame, report = read([LIST], production="env=prod")
    assert set(frame["environment"]) == {"prod", "staging"}
    assert report.warnings == ["no application matches --production 'env=prod' (a destination namespace, or a label "
                               "KEY=VALUE): none of their deployments count as production"]


def test_an_application_not_production_is_never_called_production(tmp_path):
    app = json.loads(ONE.read_text())
    app["spec"]["destination"]["namespace"] = "production"
    frame, _ = read([write(tmp_path, "one.json", app)], production="team=search")
    assert set(frame["environment"]) == {"production (not --production)"}
    del app["spec"]["destination"]["namespace"]
    frame, _ = read([write(tmp_path, "one.json", app)], production="team=search")
    assert set(frame["environment"]) == {"https://kubernetes.default.svc"}


def test_one_application_and_an_array_and_pages_one_after_another(tmp_path):
    frame, report = read([ONE])
    assert events(frame) == [
        ("2024-03-04T10:02:11+00:00", "checkout", "checkout@0", "success", "production"),
        ("2024-03-05T14:30:45+00:00", "checkout", "checkout@1", "success", "production"),
        ("2024-03-07T09:15:00+00:00", "checkout", "checkout@2", "success", "production"),
    ]
    items = json.loads(LIST.read_text())["items"]
    array = write(tmp_path, "array.json", items)                       # `jq .items`
    two = write(tmp_path, "two.json", json.dumps({"items": items[:2]}) + "\n" + json.dumps({"items": items[2:]}))
    expected = events(read([LIST])[0])
    assert events(read([array])[0]) == expected and events(read([two])[0]) == expected
    # an installation without applications answers items null
    frame, report = read([write(tmp_path, "empty.json", {"metadata": {"resourceVersion": "1"}, "items": None})])
    assert len(frame) == 0 and report.rows_read == 0


def test_deployment_frequency_by_hand():
    frame, _ = read([LIST], production="prod")
    an = analyze(tables_from_frame(frame), Window.between("2024-03-04", "2024-03-09"), Assumptions())
    # production: checkout@0,1,2 and search@4,5 = 5 successful deployments in 5 days -> 1.0 a day
    d = an.summary["dora"]
    assert (d["deployments"], d["successful_deployments"], d["deploys_per_day"]) == (5, 5, pytest.approx(1.0))


@pytest.mark.parametrize("content", [
    '{"foo": 1}', "[1, 2, 3]", '"applications"', "42", '{"items": 7}', '{"metadata": {"name": "x"}}',
    '{"_class": "hudson.model.FreeStyleProject", "builds": []}',
])
def test_a_file_that_is_not_argo_cd_is_one_sentence_naming_it(tmp_path, content):
    path = write(tmp_path, "export.json", content)
    with pytest.raises(LoadError) as e:
        read([path])
    message = str(e.value)
    assert message.startswith("export.json: not Argo CD applications") and "\n" not in message


def test_invalid_json_is_one_sentence(tmp_path):
    with pytest.raises(LoadError, match=r"^apps\.json: invalid JSON at line 1"):
        read([write(tmp_path, "apps.json", '{"items": [')])


def test_records_missing_a_field_are_rejected_with_their_reason(tmp_path):
    good = json.loads(ONE.read_text())
    history = good["status"]["history"]
    broken = dict(good, status=dict(good["status"], history=[
        {k: v for k, v in history[0].items() if k != "deployedAt"},   # entry 1: no deployedAt
        {k: v for k, v in history[1].items() if k != "id"},           # entry 2: no id
        dict(history[2], id=True),                                     # entry 3: an id that is no number
        "oops",                                                        # entry 4: not an object
        dict(history[2], deployedAt="yesterday", id="7"),              # entry 5: read, then a bad timestamp
        dict(history[2], id=8),                                        # entry 6: fine
    ]))
    apps = {"items": [
        broken,                                                        # application 1
        {"metadata": {"namespace": "argocd"}, "status": {}},           # 2: no name
        17,                                                            # 3: not an object
        dict(good, status={"history": {"id": 0}}),                     # 4: history not a list
        good,                                                          # 5: fine
    ]}
    frame, report = read([write(tmp_path, "apps.json", apps)])
    assert sorted(frame["deploy_id"]) == ["checkout@0", "checkout@1", "checkout@2", "checkout@8"]
    assert report.rejected[["row", "reason"]].values.tolist() == [
        ["application 1", "application 'checkout' history entry 1 has no deployedAt"],
        ["application 1", "application 'checkout' history entry 2 has no id"],
        ["application 1", "application 'checkout' history entry 3 has an id that is not a whole number (True)"],
        ["application 1", "application 'checkout' history entry 4 is not a JSON object"],
        ["application 1", "bad timestamp 'yesterday'"],
        ["application 2", "not an Argo CD application (no metadata.name)"],
        ["application 3", "not a JSON object (int)"],
        ["application 4", "application 'checkout': status.history is not a list"],
    ]
    assert report.rows_read == 4 + 8


# -- fuzz ----------------------------------------------------------------------------------------

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["2024-03-01T10:00:00Z", "9999-12-31T00:00:00Z", "prod",
                                                           "production", "env=production", "0"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["items", "metadata", "name", "labels", "spec", "destination", "namespace",
                                     "server", "status", "history", "id", "deployedAt", "revision", "env"]),
                    inner, max_size=5)), max_leaves=25)


def fuzz_load(folder, content: bytes, production):
    path = folder / "apps.json"
    path.write_bytes(content)
    try:
        frame, report = read([path], production=production)
    except LoadError as e:
        assert str(e).startswith(str(path)) or str(e).startswith("apps.json: ")
        assert "\n" not in str(e).strip()
        return
    assert report.accepted == len(frame) and set(frame["kind"]) <= {"deploy"}


@FUZZ
@given(json_values, st.sampled_from([None, "prod", "env=production"]))
def test_fuzz_any_json_gives_events_or_a_sentence(tmp_path_factory, value, production):
    fuzz_load(tmp_path_factory.mktemp("a"), json.dumps(value, allow_nan=True).encode(), production)


@FUZZ
@given(json_values)
def test_fuzz_applications_with_random_parts(tmp_path_factory, part):
    app = json.loads(ONE.read_text())
    app["status"]["history"].append(part)
    app["spec"]["destination"] = part
    fuzz_load(tmp_path_factory.mktemp("a"), json.dumps({"items": [app, part]}, allow_nan=True).encode(), "prod")


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_any_bytes_give_events_or_a_sentence(tmp_path_factory, content):
    fuzz_load(tmp_path_factory.mktemp("a"), content, None)
