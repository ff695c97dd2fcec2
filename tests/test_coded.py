"""One factorization per text column (issue 24, items 2 and 4): the CSV reader's categoricals are
pyarrow's dictionary codes, validation keeps them (``metrics.ingest.coded``), duplicates are found
by one int64 key per row, and the tables built from the codes are the tables of the frame."""
import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from metrics.ingest.files import load_coded, load_events
from metrics.ingest.coded import Coded, coded, row_keys
from metrics.ingest.sources.events.reader import raw_from_csv
from metrics.ingest.validate import validate
from metrics.tables import tables_from_frame

HEADER = "ts,kind,service,deploy_id,incident_id,pr_id,metric_value,status,change_type,environment,author\n"
EVENTS = HEADER + (
    "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n"
    "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n"                         # a duplicate
    "2024-01-01T01:00:00Z, Deploy ,api ,d2,,,,FAILED,Hotfix,staging,\n"   # cleaned: stripped, lower-cased
    "2024-01-01T02:00:00Z,deploy,web,d1,,,,,,,\n"                         # d1 of web: another deployment
    "2024-01-01T03:00:00Z,incident_start,api,,i1,,,,,,\n"
    "2024-01-01T04:00:00Z,incident_resolved,api,,i1,,,,,,\n"
    "2024-01-01T05:00:00Z,incident_resolved,api,,i2,,,,,,\n"               # resolved without a start
    "2024-01-01T06:00:00Z,pr_created,api,,,#7,,,,,ann\n"
    "2024-01-01T07:00:00Z,pr_reviewed,api,,,#7,,,,,bob\n"
    "2024-01-01T08:00:00Z,pr_merged,api,d2,,#7,,,,,\n"
    "2024-01-01T05:30:00Z,pr_created,api,,,#7,,,,,cy\n"                    # the earlier pr_created wins
    "2024-01-01T09:00:00Z,custom_kind,team,,,,3,,,,\n"
    "2024-01-01T09:00:00Z,satisfaction_survey,team,,,,4.5,,,,\n"
    "2024-01-01T10:00:00,deploy,api,d3,,,,success,,,\n"                    # a naive time
    "2024-01-01T10:30:00Z,deploy,api,d4,,,,weird,,,\n"                     # unknown status
    "not a time,deploy,api,d5,,,,,,,\n"
    "2024-01-01T11:00:00Z,deploy,,d6,,,,,,,\n")                            # missing service


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def assert_same_tables(a, b):
    for attr in ("deploys", "incidents", "prs", "reviews", "merges", "surveys", "platform"):
        pd.testing.assert_frame_equal(getattr(a, attr), getattr(b, attr), obj=attr)
    for attr in ("services", "deploy_names", "incident_names", "pr_names", "authors"):
        assert np.array_equal(getattr(a, attr), getattr(b, attr)), attr
    assert (a.other is None) == (b.other is None)
    if a.other is not None:
        pd.testing.assert_frame_equal(a.other, b.other, obj="other")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([1, 2, 3, 1000, 1 << 16]), min_size=1, max_size=12).flatmap(
    lambda widths: st.tuples(st.just(widths), st.lists(st.lists(st.integers(0, 2), min_size=len(widths),
                                                                max_size=len(widths)), max_size=30))))
def test_row_keys_are_equal_exactly_when_the_rows_are(shape):
    widths, rows = shape
    codes = np.array(rows, dtype=np.intp).reshape(len(rows), len(widths)) % np.array(widths)
    columns = [Coded(codes[:, i], np.arange(w).astype(object)) for i, w in enumerate(widths)]
    keys = row_keys(columns)            # 5 columns of 2**16 texts are past int64: renumbered on the way
    expected = pd.DataFrame(codes).duplicated(keep="first").to_numpy()
    assert np.array_equal(pd.Index(keys).duplicated(keep="first"), expected)
    same = keys[:, None] == keys[None, :]
    assert np.array_equal(same, (codes[:, None, :] == codes[None, :, :]).all(axis=2))


def test_rows_that_differ_in_one_column_of_many_wide_ones_have_different_keys():
    wide = np.arange(1 << 16).astype(object)          # 6 columns of 2**16 texts: 2**96 combinations
    for differing in range(6):
        codes = np.zeros((2, 6), dtype=np.intp)
        codes[1, differing] = 1
        keys = row_keys([Coded(codes[:, i], wide) for i in range(6)])
        assert keys[0] != keys[1], differing


def test_the_readers_categoricals_are_pyarrows_codes_and_validation_keeps_them():
    text = HEADER + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,ann\n2024-01-02T00:00:00Z,deploy,web,d2,,,,,,,bob\n" \
                    "2024-01-03T00:00:00Z,deploy,api,d3,,,,,,,ann\n"
    raw, numbers, _ = raw_from_csv(text, "f.csv", coded=True)
    assert all(isinstance(raw[c].dtype, pd.CategoricalDtype) for c in raw.columns)
    plain = raw_from_csv(text, "f.csv")[0]
    for c in raw.columns:
        assert list(raw[c].astype(str)) == list(plain[c])
    events, _ = validate(raw, numbers)
    for c in ("service", "author", "kind"):          # clean columns: the reader's codes, not a second factorization
        assert np.array_equal(events.text[c].codes, raw[c].cat.codes.to_numpy()), c
        assert events.text[c].texts[: len(raw[c].cat.categories)].tolist() == list(raw[c].cat.categories)


def test_a_column_that_needs_cleaning_is_factorized_once_more_to_distinct_texts():
    got = coded(pd.Series(pd.Categorical([" Deploy", "deploy", "DEPLOY ", None, "x"])), lower=True)
    assert list(got.text()) == ["deploy", "deploy", "deploy", "", "x"]
    assert len(set(got.texts)) == len(got.texts)
    assert got.codes[0] == got.codes[1] == got.codes[2] != got.codes[3]


def test_tables_from_the_codes_are_the_tables_of_the_frame(tmp_path):
    path = write(tmp_path, "events.csv", EVENTS)
    events, report = load_coded([path])
    frame, frame_report = load_events([path])
    assert report.lines() == frame_report.lines()
    assert_same_tables(events.tables(), tables_from_frame(frame))
    assert (report.rows_read, report.accepted, report.duplicates, report.naive_timestamps) == (17, 12, 1, 1)
    assert list(report.rejected["row"]) == ["line 9", "line 16", "line 17", "line 18"]
    assert list(report.rejected["reason"]) == ["second pr_created for the same pr_id", "unknown status (success or failed) 'weird'",
                                               "bad timestamp 'not a time'", "missing required field service"]
    assert (report.open_incidents, report.resolved_without_start, report.unknown_kinds) == (0, 1, {"custom_kind": 1})
    # deployments qualified with their service; the merged PR's link "d2" stays as written (resolved at build)
    assert sorted(events.tables().deploy_names) == ["api@d1", "api@d2", "api@d3", "d2", "web@d1"]
    assert events.tables().prs["deploy_key"].iloc[0] == list(events.tables().deploy_names).index("api@d2")
    assert list(events.tables().authors) == ["cy"]


def test_several_files_share_ids_and_drop_duplicates_across_files_from_the_codes(tmp_path):
    first = write(tmp_path, "a.csv", HEADER + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n"
                                              "2024-01-01T03:00:00Z,incident_start,api,,i1,,,,,,\n"
                                              "2024-01-01T06:00:00Z,pr_created,api,,,#7,,,,,ann\n")
    second = write(tmp_path, "b.json", '[{"ts": "2024-01-01T00:00:00Z", "kind": "deploy", "service": "api", "deploy_id": "d1"},'
                                       ' {"ts": "2024-01-01T04:00:00Z", "kind": "incident_resolved", "service": "api", "incident_id": "i1"},'
                                       ' {"ts": "2024-01-01T05:00:00Z", "kind": "pr_created", "service": "api", "pr_id": "#7"}]')
    events, report = load_coded([first, second])
    frame, frame_report = load_events([first, second])
    assert report.lines() == frame_report.lines()
    assert_same_tables(events.tables(), tables_from_frame(frame))
    assert (report.duplicates, report.accepted, report.open_incidents) == (1, 4, 0)
    # the second file's pr_created is the earlier one: the first file's is the second for the id
    assert list(report.rejected["source"]) == ["a.csv"] and list(report.rejected["row"]) == ["line 4"]
    assert len(events.tables().incidents) == 1 and events.tables().incidents["resolved"].iloc[0] > 0
