"""The fast paths give what the plain ones give: ``store.load_tables`` (tables from the stored codes)
against ``tables_from_frame(store.load(...))`` and the synthetic universe's own tables."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from metrics import analyze, frame_from_tables, generate, store, tables_from_frame

END = "2026-11-22"
TABLES = ("deploys", "incidents", "prs", "reviews", "merges", "surveys", "platform", "response", "toil", "onboarding")


def summary_json(tables, window) -> str:
    return json.dumps(analyze(tables, window).summary, sort_keys=True, default=str)


def assert_same_tables(a, b):
    for attr in TABLES:
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr), obj=attr)
    for attr in ("services", "deploy_names", "incident_names", "pr_names", "authors"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr
    if a.other is None or b.other is None:
        assert a.other is None and b.other is None
    else:
        pd.testing.assert_frame_equal(a.other, b.other, obj="other")


def store_in_segments(name, frame, parts=3):
    for chunk in np.array_split(np.arange(len(frame)), parts):
        store.append(name, frame.iloc[chunk])


def test_load_tables_gives_the_synthetic_universes_numbers():
    u = generate(60, 7, services=4, end=END)
    store_in_segments("synthetic", frame_from_tables(u.tables))
    fast = store.load_tables("synthetic")
    assert_same_tables(fast, tables_from_frame(store.load("synthetic")))
    assert summary_json(fast, u.window) == summary_json(tables_from_frame(store.load("synthetic")), u.window)
    direct, via_store = analyze(u.tables, u.window).summary, analyze(fast, u.window).summary
    for section in ("dora", "space", "pvm"):
        for key, value in direct[section].items():
            assert via_store[section][key] == (pytest.approx(value) if isinstance(value, float) else value), key


def test_load_tables_with_other_kinds_missing_ids_and_defaults():
    u = generate(20, 42, services=2, end=END)
    frame = frame_from_tables(u.tables)
    t = frame["ts"].iloc[-1]
    extra = pd.DataFrame({
        "ts": [t + pd.Timedelta(minutes=i) for i in range(1, 6)],
        "kind": ["deploy", "deploy", "custom_kind", "deploy", "custom_kind"],
        "service": ["api", "web", "api", "new-svc", "team"],
        "deploy_id": ["", "d-x", "", "d-y", ""],
        "incident_id": "", "pr_id": "",
        "metric_value": [np.nan, np.nan, 3.5, np.nan, np.nan],
        "status": ["failed", "success", "", "success", ""],
        "change_type": ["hotfix", "rollback", "", "feature", ""],
        "environment": ["staging", "production", "", "qa", ""],
        "author": ["", "ann", "bob", "", ""],
    })
    store_in_segments("mixed", frame)
    store.append("mixed", extra)
    fast, plain = store.load_tables("mixed"), tables_from_frame(store.load("mixed"))
    assert_same_tables(fast, plain)
    assert len(fast.other) == 2 and list(fast.other["author"]) == ["bob", ""]
    assert summary_json(fast, u.window) == summary_json(plain, u.window)


def test_load_tables_of_an_empty_dataset():
    store.save("empty", frame_from_tables(generate(5, 1, services=1, end=END).tables).head(0))
    tables = store.load_tables("empty")
    assert tables.event_count() == 0 and tables.time_span() is None and tables.other is None


def test_load_tables_of_a_missing_dataset_is_a_store_error():
    with pytest.raises(store.StoreError, match="no dataset named 'nothing'"):
        store.load_tables("nothing")


def test_tables_from_a_categorical_frame_are_the_tables_of_the_text_frame():
    frame = frame_from_tables(generate(20, 99, services=3, end=END).tables)
    categorical = frame.copy()
    for c in ("kind", "service", "deploy_id", "incident_id", "pr_id", "status", "change_type", "environment", "author"):
        categorical[c] = categorical[c].astype("category")
    assert_same_tables(tables_from_frame(categorical), tables_from_frame(frame))


# ---------------------------------------------------------------------------------------------
# CSV read by pyarrow against the pandas reader

import csv  # noqa: E402
import io  # noqa: E402

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from metrics.ingest import load_events  # noqa: E402
from metrics.ingest.sources.events import reader as event_files  # noqa: E402

HEADER = "ts,kind,service,deploy_id,incident_id,pr_id,metric_value,status,change_type,environment,author\n"
TRICKY = {
    "quoted commas and quotes": HEADER + '2024-01-01T00:00:00Z,deploy,"api, eu","d,1",,,,success,,,"say ""hi"""\n'
                                         '2024-01-01T01:00:00Z,deploy,api,d2,,,,,,,\n',
    "empty cells and blank lines": HEADER + "\n2024-01-01T00:00:00Z,deploy,api,,,,,,,,\n\n,,,,,,,,,,\n"
                                            "2024-01-02T00:00:00Z,deploy,,,,,,,,,\n\n",
    "BOM": "\ufeff" + HEADER + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n",
    "bad numbers": HEADER + "2024-01-01T00:00:00Z,satisfaction_survey,team,,,,abc,,,,\n"
                            "2024-01-01T00:00:00Z,toil,team,,,,1e999,,,,\n2024-01-01T00:00:00Z,toil,team,,,,-1,,,,\n"
                            "2024-01-02T00:00:00Z,toil,team,,,, 12 ,,,,\n2024-01-02T00:00:00Z,toil,team,,,,0x10,,,,\n",
    "bad dates": HEADER + "yesterday,deploy,api,d1,,,,,,,\n2024-13-01,deploy,api,d2,,,,,,,\n"
                          "9999-01-01T00:00:00Z,deploy,api,d3,,,,,,,\n2024-01-01 10:00,deploy,api,d4,,,,,,,\n"
                          "2024-01-01T10:00:00+02:00,deploy,api,d5,,,,,,,\n",
    "newline in a quoted cell": HEADER + '2024-01-01T00:00:00Z,deploy,"a\nb",d1,,,,,,,\n2024-01-01T00:00:00Z,deploy,api,d2,,,,,,,\n',
    "CRLF and a lone CR": HEADER.replace("\n", "\r\n") + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\r\n"
                                                         "2024-01-01T01:00:00Z,deploy,api,d2,,,,,,,\r2024-01-01T02:00:00Z,deploy,api,d3,,,,,,,",
    "wrong field counts": HEADER + "2024-01-01T00:00:00Z,deploy,api\n2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,,,\n"
                                   "2024-01-01T00:00:00Z,deploy,api,d2,,,,,,,\n   \n",
    "short rows only": HEADER + "2024-01-01T00:00:00Z,deploy,api\n2024-01-01T00:00:00Z,deploy,web,d2,,,,,,,\n",
    "duplicate and empty header names": "ts,kind,service,service,\n2024-01-01T00:00:00Z,deploy,api,web,x\n",
    "header only": HEADER,
    "numeric-looking ids": "ts,kind,service,deploy_id\n2024-01-01T00:00:00Z,deploy,007,0001\n2024-01-01T00:00:00Z,deploy,1.50,NaN\n",
    "NA-looking cells": "ts,kind,service,deploy_id\n2024-01-01T00:00:00Z,deploy,NA,null\n2024-01-01T00:00:00Z,deploy,None,#N/A\n",
}


def both_readers(text):
    """``raw_from_csv`` as it is (pyarrow first) and with pandas alone."""
    fast = event_files.raw_from_csv(text, "f.csv")
    plain = event_files.pandas_csv(text)
    return fast, plain


def assert_same_raw(fast, plain):
    pd.testing.assert_frame_equal(fast[0], plain[0])
    assert np.array_equal(fast[1], plain[1]) and list(fast[2]) == list(plain[2])


def load_with(path, monkeypatch, arrow: bool):
    with monkeypatch.context() as m:
        if not arrow:
            m.setattr(event_files, "arrow_csv", lambda text: None)
        frame, report = load_events([path])
    return frame, report


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_pyarrow_reads_tricky_csv_as_pandas_did(case, tmp_path, monkeypatch):
    path = tmp_path / "events.csv"
    path.write_bytes(TRICKY[case].encode("utf-8"))
    fast, plain = load_with(path, monkeypatch, True), load_with(path, monkeypatch, False)
    pd.testing.assert_frame_equal(fast[0], plain[0])
    assert fast[1].lines() == plain[1].lines()
    pd.testing.assert_frame_equal(fast[1].rejected, plain[1].rejected)
    assert (fast[1].skipped, fast[1].warnings) == (plain[1].skipped, plain[1].warnings)


def test_pyarrow_reads_the_usual_file_and_pandas_reads_the_rest():
    assert event_files.arrow_csv(TRICKY["quoted commas and quotes"]) is not None
    assert event_files.arrow_csv(TRICKY["empty cells and blank lines"]) is not None
    assert event_files.arrow_csv(TRICKY["wrong field counts"]) is None
    assert event_files.arrow_csv(TRICKY["duplicate and empty header names"]) is None


cells = st.one_of(st.sampled_from(["", "x", "api", "1.5", "2024-01-01T00:00:00Z", "deploy", "NaN", "-1", " "]),
                  st.text(alphabet='ab ,"\n\r', max_size=6), st.text(max_size=8),
                  st.sampled_from(['"', '""', ",", "\n", "\r\n", "\r", "\ufeff", "\x00", 'a"b', '"a"b']))


def csv_shapes(width):
    """A header of ``width`` names and rows, most of them ``width`` cells wide."""
    row = st.one_of(st.lists(cells, min_size=width, max_size=width), st.lists(cells, max_size=width + 1))
    return st.tuples(st.lists(cells.filter(bool), min_size=width, max_size=width, unique=True),
                     st.lists(row, max_size=6))


@settings(max_examples=int(os.environ.get("CSV_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(csv_shapes), st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_pyarrow_and_pandas_read_any_csv_alike(shape, newline, written):
    header, rows = shape
    if written:                                     # quoted where needed, as a spreadsheet writes it
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline).writerows([header] + rows)
        text = buffer.getvalue()
    else:                                           # raw cells joined by commas: any quoting mistake
        text = newline.join(",".join(row) for row in [header] + rows)
    if not text.strip():
        return
    try:
        plain = event_files.pandas_csv(text)
    except Exception as e:                          # what pandas refuses must fail alike
        with pytest.raises(type(e)):
            event_files.raw_from_csv(text, "f.csv")
        return
    assert_same_raw(event_files.raw_from_csv(text, "f.csv"), plain)


def test_a_big_file_quoted_all_over_is_read_by_pandas():
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerows([["ts", "kind", "service", "deploy_id"]] +
                     [["2024-01-01T00:00:00Z", "deploy", "api, eu", f"d{i}"] for i in range(20_000)])
    text = buffer.getvalue()
    assert event_files.arrow_csv(text) is None
    assert event_files.arrow_csv(text.replace('"', "").replace("api, eu", "api")) is not None
    assert_same_raw(event_files.raw_from_csv(text, "f.csv"), event_files.pandas_csv(text))
