"""Every loader fuzzed (hypothesis): random bytes, random JSON shapes and random CSV cells give a
load report or one sentence (LoadError), never another exception, and an import that fails stores
nothing. The sources come from the registry, so a new source is fuzzed without a line here."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics import store
from metrics.cli import main
from metrics.ingest import LoadError, load_events
from metrics.registry.source import sources

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])
SOURCES = tuple(sources())                  # every registered source, the new ones included
SAMPLE = {"text": "score", "flag": True, "repeat": ("*",), "pairs": {"a": ("b",)}}


def reader_of(name: str):
    """The source's reader with every required option given a value of its kind (a survey's score
    column is "score")."""
    spec = sources()[name]
    return spec.make_reader(**{o.name: o.choices[0] if o.kind == "choice" else SAMPLE[o.kind]
                               for o in spec.options if o.required})


scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=20), st.sampled_from(["2024-03-01T10:00:00Z", "9999-12-31", "deploy", "incident_start",
                                                           "resolved", "success", "production"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["ts", "kind", "service", "id", "created_at", "status", "merged_at", "number",
                                     "incidents", "data", "context", "subject", "type", "deployment_url", "state",
                                     "iid", "deployable", "createdAt", "workflow_id", "conclusion", "labels"]),
                    inner, max_size=6)), max_leaves=20)


def load(tmp_path, name: str, content: bytes, source: str):
    path = tmp_path / name
    path.write_bytes(content)
    try:
        frame, report = load_events([path], reader=reader_of(source))
    except LoadError as e:
        assert str(e) and "\n" not in str(e).strip() or source == "survey"
        return None
    assert report.accepted == len(frame)
    return frame


EACH = settings(FUZZ, max_examples=30)


@pytest.mark.parametrize("source", SOURCES)
@EACH
@given(value=json_values)
def test_any_json_shape_gives_a_report_or_a_sentence(tmp_path_factory, source, value):
    load(tmp_path_factory.mktemp("f"), "input.json", json.dumps(value, allow_nan=True).encode(), source)


@pytest.mark.parametrize("source", SOURCES)
@EACH
@given(content=st.binary(max_size=400), name=st.sampled_from(["input.csv", "input.json", "input.ndjson"]))
def test_any_bytes_give_a_report_or_a_sentence(tmp_path_factory, source, content, name):
    load(tmp_path_factory.mktemp("f"), name, content, source)


@FUZZ
@given(st.lists(st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["2024-01-01T00:00:00Z", "deploy", "api",
                                                                            "9999-01-01", "1e999", "-1"])),
                         min_size=3, max_size=5), max_size=8))
def test_any_csv_cells_give_a_report(tmp_path_factory, rows):
    import csv
    import io
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["ts", "kind", "service", "metric_value", "status"]] + rows)
    load(tmp_path_factory.mktemp("f"), "events.csv", buffer.getvalue().encode(), "events")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_an_import_that_fails_stores_nothing(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("i")
    path = folder / "bad.json"
    path.write_bytes(b"[" + content)                       # never valid JSON
    before = [d.name for d in store.list_datasets()]
    assert main(["import", "--from", "events", str(path), "--name", "fuzzed", "--strict"]) == 2
    assert [d.name for d in store.list_datasets()] == before
