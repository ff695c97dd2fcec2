"""An event CSV read in slices (issue 24, item 1: ``metrics.ingest.slices``) gives what reading it
whole gives: the same accepted events with their line numbers, the same rejected rows and
messages, duplicates dropped across slices, incidents and PRs paired across slices, the same
counts, and in strict mode the same first error. The reference is the whole-file path (the
reader's rows validated at once), which the sliced reading does not use."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics import schema as s
from metrics.ingest import files, slices
from metrics.ingest.report import RawRows, StrictLoadError
from metrics.ingest.sources.events.reader import read_events_file
from metrics.ingest.validate import validate

HEADER = ",".join(s.COLUMNS)
CELLS = {                       # few values, so rows repeat, pair and conflict across slices
    "ts": ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+00:00", "2024-01-01T01:00:00Z", "2024-01-01T01:00:00",
           "2024-01-02T00:00:00.5Z", "not a time", ""],
    "kind": ["deploy", " Deploy ", "incident_start", "incident_resolved", "pr_created", "pr_reviewed", "pr_merged",
             "custom_kind", ""],
    "service": ["api", "web", ""],
    "deploy_id": ["", "d1", "api@d1"],
    "incident_id": ["", "i1", "i2"],
    "pr_id": ["", "#7", "api#7", "8"],
    "metric_value": ["", "1", "1.0", "-0", "0", "0.0", "-0.0", "x"],
    "status": ["", "success", "failed", "weird"],
    "change_type": ["", "feature", "hotfix"],
    "environment": ["", "production", "staging"],
    "author": ["", "ann"],
}
OTHERWISE = {"ts": {"2024-01-01T00:00:00Z": "2024-01-01T00:00:00+00:00", "2024-01-01T00:00:00+00:00": "2024-01-01T00:00:00Z"},
             "metric_value": {"1": "1.0", "1.0": "1", "0": "0.0", "-0": "-0.0", "0.0": "-0.0"},
             "status": {"": "success"}, "change_type": {"": "feature"}, "environment": {"": "production"}}   # one value written otherwise
VALID = {"ts": "2024-01-01T00:00:00Z", "kind": "deploy", "service": "api", "status": "", "metric_value": "1"}
cells = st.tuples(*(st.one_of(st.just(VALID[c]), st.sampled_from(CELLS[c])) if c in VALID else st.sampled_from(CELLS[c])
                    for c in s.COLUMNS))                # rows are often accepted
BLANK = ("",) * len(s.COLUMNS)                       # a blank row: dropped, still numbered


@st.composite
def csv_text(draw):
    """An event CSV of rows drawn from a small pool: some rows, their twins (one cell written
    otherwise: a time with +00:00, a default written out) and blank rows, repeated in any order."""
    pool = draw(st.lists(st.one_of(cells, st.just(BLANK)), min_size=1, max_size=5))
    for _ in range(draw(st.integers(0, 6))):
        twin = list(draw(st.sampled_from(pool)))
        column = s.COLUMNS.index(draw(st.sampled_from(list(s.COLUMNS) + list(OTHERWISE) * 2)))
        same = OTHERWISE.get(s.COLUMNS[column], {}).get(twin[column])
        twin[column] = same if same is not None and draw(st.booleans()) else draw(st.sampled_from(CELLS[s.COLUMNS[column]]))
        pool.append(tuple(twin))
    rows = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=30))
    return "\n".join([HEADER] + [",".join(r) for r in rows]) + "\n"


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def whole(path, strict):
    """What the whole-file path gives (``files.load_one`` before slices): the reader's rows of the
    whole text validated at once."""
    got = RawRows(*read_events_file(path.read_text(), path))
    return validate(got.rows, got.numbers, source=path.name, unit=got.unit, parse_errors=got.bad, strict=strict)


def outcome(load):
    """The events (frame and line labels) and the report of ``load()``, or its strict error and report."""
    try:
        events, report = load()
    except StrictLoadError as e:
        return ("strict", str(e), e.report.to_dict(), e.report.rejected)
    return ("loaded", events.frame(), list(events.labels()), report.to_dict(), report.rejected, report.lines())


def assert_same(a, b):
    assert a[0] == b[0]
    for x, y in zip(a[1:], b[1:]):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y)
        else:
            assert x == y


@SETTINGS
@given(text=csv_text(), slice_rows=st.integers(1, 4), strict=st.booleans())
def test_reading_in_slices_gives_what_reading_whole_gives(tmp_path_factory, text, slice_rows, strict):
    path = tmp_path_factory.mktemp("sliced") / "events.csv"
    path.write_text(text)
    assert slices.header_to_slice(path) is not None                 # the sliced path is the one taken
    assert_same(outcome(lambda: slices.load_in_slices(path, strict, slice_rows=slice_rows)),
                outcome(lambda: whole(path, strict)))


def write(tmp_path, rows, name="events.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER] + rows) + "\n")
    return path


def deploy(hour, ident, status=""):
    return f"2024-01-01T{hour:02d}:00:00Z,deploy,api,{ident},,,,{status},,,"


def test_the_slice_size_is_used_and_lines_keep_the_file_numbers(tmp_path):
    blank = "," * (len(s.COLUMNS) - 1)
    path = write(tmp_path, [deploy(h, f"d{h}") for h in range(5)] + [blank] + [deploy(h, f"d{h}") for h in range(5, 9)])
    got = list(slices.csv_slices(path, slices.header_to_slice(path), 3))
    assert [list(numbers) for _, numbers in got] == [[2, 3, 4], [5, 6], [8, 9, 10], [11]]   # line 7 is blank
    assert [list(raw["deploy_id"].astype(str)) for raw, _ in got][1] == ["d3", "d4"]


def test_an_import_reads_a_csv_in_slices_of_slice_rows(tmp_path, monkeypatch):
    path = write(tmp_path, [deploy(h, f"d{h}") for h in range(10)] + [deploy(0, "d0")] + ["not a time,deploy,api,x,,,,,,,"])
    pieces = []
    real = slices.check_piece
    monkeypatch.setattr(slices, "check_piece", lambda *a, **k: pieces.append(a[1]) or real(*a, **k))
    monkeypatch.setattr(slices, "SLICE_ROWS", 3)
    events, report = files.load_coded([path])
    assert len(pieces) == 4 and list(pieces[-1]) == [11, 12, 13]
    assert (report.rows_read, report.accepted, report.duplicates) == (12, 10, 1)          # line 12 repeats line 2
    assert list(events.labels()) == [f"line {n}" for n in range(2, 12)]
    assert list(report.rejected["row"]) == ["line 13"]


def test_duplicates_and_pairing_cross_slices(tmp_path):
    rows = ["2024-01-01T05:00:00Z,incident_resolved,api,,i1,,,,,,",
            "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,",
            "not a time,deploy,api,d9,,,,,,,",
            "2024-01-01T01:00:00Z,incident_start,api,,i1,,,,,,",         # after the slice of its resolution
            "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,",                # a repeat of line 3
            "not a time,deploy,api,d9,,,,,,,",                          # a repeat of a rejected row
            "2024-01-01T00:00:00Z,deploy,api,d1,,,,success,,,",         # the default written: another row
            "2024-01-01T00:00:00+00:00,deploy,api,d1,,,,,,,",           # the same time written otherwise: another row
            "2024-01-01T00:30:00Z,incident_start,api,,i1,,,,,,"]        # an earlier second start: it wins
    path = write(tmp_path, rows)
    events, report = slices.load_in_slices(path, strict=False, slice_rows=2)
    assert report.duplicates == 2
    assert list(report.rejected["row"]) == ["line 4", "line 5"]
    assert list(report.rejected["reason"]) == ["bad timestamp 'not a time'", "second incident_start for the same incident_id"]
    assert (report.open_incidents, report.resolved_without_start) == (0, 0)
    assert list(events.labels()) == ["line 2", "line 3", "line 8", "line 9", "line 10"]
    with pytest.raises(StrictLoadError, match="events.csv line 4: bad timestamp"):
        slices.load_in_slices(path, strict=True, slice_rows=2)


@pytest.mark.parametrize("text", ['\ufeff' + HEADER + "\n" + deploy(1, "d1") + "\n",          # a byte-order mark
                                  HEADER + "\n" + deploy(1, '"d1"') + "\n",                   # a quote
                                  HEADER + "\n" + deploy(1, "d1") + ",extra\n"])               # a row pyarrow refuses
def test_a_file_read_otherwise_whole_is_not_sliced(tmp_path, text):
    path = tmp_path / "events.csv"
    path.write_text(text)
    assert slices.load_in_slices(path, strict=False, slice_rows=1) is None
    assert_same(outcome(lambda: files.load_one(path, False)), outcome(lambda: whole(path, False)))
