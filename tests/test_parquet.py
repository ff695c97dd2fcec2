"""``export DATASET --parquet FILE`` and ``import --from parquet``: a hand-made dataset written out
and read back (values written here), the file's columns, types and metadata, the sentences and exit
codes of what cannot be done, and a fuzz test of the importer (damaged bytes, wrong column types)."""
from __future__ import annotations

import errno
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics import store
from metrics.cli import main

COLUMNS = ["ts", "kind", "service", "deploy_id", "incident_id", "pr_id", "metric_value", "status", "change_type",
           "environment", "author"]
# every built-in kind, empty texts, values only where the kind has one, five services
CSV = """ts,kind,service,deploy_id,incident_id,pr_id,metric_value,status,change_type,environment,author
2024-03-01T10:00:00Z,deploy,api,v1,,,,success,feature,production,ann
2024-03-01T11:00:00.123456789Z,deploy,web,,,,,failed,hotfix,staging,
2024-03-02T09:00:00+02:00,incident_start,api,,INC-1,,,,,,
2024-03-02T08:30:00Z,incident_resolved,api,,INC-1,,,,,,
2024-02-28T08:00:00Z,pr_created,web,,,#7,,,,,bob
2024-02-28T12:00:00Z,pr_reviewed,web,,,#7,,,,,cy
2024-02-29T08:00:00Z,pr_merged,web,,,#7,,,,,bob
2024-03-03T00:00:00Z,satisfaction_survey,db,,,,4.5,,,,
2024-03-03T00:00:00Z,platform_investment_hour,platform,,,,0.1,,,,
2024-03-03T00:00:00Z,incident_response,api,,,,0,,,,
2024-03-03T00:00:00Z,toil,queue,,,,12.25,,,,
2024-03-03T00:00:00Z,onboarding_complete,platform,,,,3,,,,
2024-03-03T00:00:00Z,on_call_hours,db,,,,1e-3,,,,
2024-03-03T00:00:00Z,infra_cost,queue,,,,123456.789,,,,
2024-03-04T00:00:00Z,custom_kind,web,,,,,,,,
"""


def imported(tmp_path, name="hand", text=CSV):
    path = tmp_path / f"{name}.csv"
    path.write_text(text)
    assert main(["import", "--from", "events", str(path), "--name", name]) == 0
    return path


def export(name, path, *more):
    return main(["export", name, "--parquet", str(path), *more])


def test_round_trip_of_a_hand_made_dataset(tmp_path, capsys):
    imported(tmp_path)
    capsys.readouterr()
    file = tmp_path / "hand.parquet"
    assert export("hand", file) == 0
    out = capsys.readouterr().out
    assert out == f"Exported 15 events of dataset hand to {file}\n"
    table = pq.read_table(file)
    assert table.num_rows == 15 and table.column_names == COLUMNS
    rows = {(r["kind"], r["service"]): r for r in table.to_pylist()}
    nano = rows[("deploy", "web")]
    assert pd.Timestamp(nano["ts"]).value == pd.Timestamp("2024-03-01T11:00:00.123456789Z").value
    assert (nano["deploy_id"], nano["status"], nano["change_type"], nano["environment"], nano["author"]) == \
        ("", "failed", "hotfix", "staging", "")
    assert nano["metric_value"] is None                                 # no value: null, not 0
    assert rows[("deploy", "api")]["deploy_id"] == "api@v1"              # stored ids are the service's
    assert pd.Timestamp(rows[("incident_start", "api")]["ts"]) == pd.Timestamp("2024-03-02T07:00:00Z")
    assert rows[("pr_merged", "web")]["pr_id"] == "web#7"
    assert rows[("satisfaction_survey", "db")]["metric_value"] == 4.5
    assert rows[("platform_investment_hour", "platform")]["metric_value"] == 0.1
    assert rows[("incident_response", "api")]["metric_value"] == 0.0
    assert rows[("on_call_hours", "db")]["metric_value"] == 0.001
    assert rows[("infra_cost", "queue")]["metric_value"] == 123456.789
    assert rows[("custom_kind", "web")]["environment"] == ""            # empty texts as they are stored
    assert {r["service"] for r in table.to_pylist()} == {"api", "web", "db", "platform", "queue"}

    assert main(["import", "--from", "parquet", str(file), "--name", "back"]) == 0
    captured = capsys.readouterr()
    assert "Dataset back: 15 events (+15" in captured.out
    assert "15 rows read, 15 accepted, 0 rejected" in captured.err
    before, after = store.load("hand"), store.load("back")
    pd.testing.assert_frame_equal(before, after)
    assert math.isnan(after.loc[after["kind"] == "deploy", "metric_value"].iloc[0])

    assert main(["import", "--from", "parquet", str(file), "--name", "back"]) == 0    # again: all duplicates
    assert "(+0; 15 already stored" in capsys.readouterr().out
    assert main(["import", "--from", "parquet", str(file), str(file), "--name", "twice", "--replace"]) == 0
    assert store.list_datasets()[-1].events == 15


def test_the_file_says_its_types_compression_and_metadata(tmp_path):
    imported(tmp_path)
    file = tmp_path / "hand.parquet"
    assert export("hand", file) == 0
    schema = pq.read_schema(file)
    assert schema.field("ts").type == pa.timestamp("ns", tz="UTC")
    assert schema.field("metric_value").type == pa.float64()
    assert all(schema.field(c).type == pa.string() for c in COLUMNS if c not in ("ts", "metric_value"))
    meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
    assert meta["product"] == "engineering-metrics" and meta["dataset"] == "hand" and meta["events"] == "15"
    assert meta["columns"] == '["' + '", "'.join(COLUMNS) + '"]'
    metadata = pq.ParquetFile(file).metadata
    assert all(metadata.row_group(0).column(i).compression == "ZSTD" for i in range(len(COLUMNS)))
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_empty_dataset_round_trips(tmp_path, capsys):
    imported(tmp_path, "one", "ts,kind,service\n2024-01-01T00:00:00Z,deploy,a\n")
    assert main(["import", "--from", "events", str(imported(tmp_path, "none", "ts,kind,service\n2024-01-01T00:00:00Z,x,b\n")),
                 "--name", "one"]) == 0
    file = tmp_path / "one.parquet"
    assert export("one", file) == 0
    assert pq.read_table(file).num_rows == 2


def test_export_refusals_are_one_sentence_and_exit_2(tmp_path, capsys):
    imported(tmp_path)
    capsys.readouterr()
    assert export("nothing", tmp_path / "x.parquet") == 2
    assert capsys.readouterr().err == "error: no dataset named 'nothing' (see: python -m metrics datasets)\n"
    file = tmp_path / "hand.parquet"
    file.write_bytes(b"old backup")
    assert export("hand", file) == 2
    assert capsys.readouterr().err == f"error: {file} exists already (--force replaces it)\n"
    assert file.read_bytes() == b"old backup"
    assert export("hand", file, "--force") == 0
    assert pq.read_table(file).num_rows == 15
    assert export("hand", tmp_path) == 2
    assert capsys.readouterr().err == f"error: {tmp_path} is a directory; give a file name\n"
    assert export("hand", tmp_path / "hand.csv" / "x.parquet") == 2
    assert capsys.readouterr().err == f"error: cannot write {tmp_path / 'hand.csv' / 'x.parquet'}: there is no folder " \
                                      f"{tmp_path / 'hand.csv'}\n"
    assert export("bad/name", tmp_path / "y.parquet") == 2
    assert "Traceback" not in capsys.readouterr().err


def test_a_full_disk_leaves_the_old_file_and_no_temporary_one(tmp_path, capsys, monkeypatch):
    imported(tmp_path)
    file = tmp_path / "hand.parquet"
    file.write_bytes(b"old backup")

    def full(table, where, **options):
        with open(where, "wb") as half:
            half.write(b"PAR1")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(pq, "write_table", full)
    capsys.readouterr()
    assert export("hand", file, "--force") == 2
    assert capsys.readouterr().err == f"error: cannot write {file} (No space left on device)\n"
    assert file.read_bytes() == b"old backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["datasets", "hand.csv", "hand.parquet"]


def write(path, columns: dict, schema=None):
    pq.write_table(pa.table(columns, schema=schema), path)
    return path


def good_columns(n=1):
    return {"ts": pa.array([pd.Timestamp("2024-01-01T00:00:00Z")] * n, pa.timestamp("ns", tz="UTC")),
            **{c: pa.array(["deploy" if c == "kind" else "api" if c == "service" else ""] * n)
               for c in COLUMNS if c not in ("ts", "metric_value")},
            "metric_value": pa.array([None] * n, pa.float64())}


def refused(tmp_path, capsys, path, sentence):
    capsys.readouterr()
    assert main(["import", "--from", "parquet", str(path), "--name", "target"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {sentence}\n"
    assert "target" not in [d.name for d in store.list_datasets()]


def test_files_that_are_not_event_parquet_are_one_sentence_and_store_nothing(tmp_path, capsys):
    imported(tmp_path)
    export("hand", tmp_path / "hand.parquet")
    data = (tmp_path / "hand.parquet").read_bytes()
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(data[:len(data) // 2])
    refused(tmp_path, capsys, cut, f"{cut}: not a Parquet file, or a damaged one (Parquet magic bytes not found in "
                                   "footer. Either the file is corrupted or this is not a parquet file.)")
    refused(tmp_path, capsys, tmp_path / "hand.csv", f"{tmp_path / 'hand.csv'}: not a Parquet file, or a damaged one "
            "(Parquet magic bytes not found in footer. Either the file is corrupted or this is not a parquet file.)")
    refused(tmp_path, capsys, tmp_path / "missing.parquet", f"{tmp_path / 'missing.parquet'}: no such file")
    text_ts = write(tmp_path / "t.parquet", {**good_columns(), "ts": pa.array(["2024-01-01T00:00:00Z"])})
    refused(tmp_path, capsys, text_ts, f"{text_ts}: not an event file: column ts is string, not a timestamp")
    text_value = write(tmp_path / "v.parquet", {**good_columns(), "metric_value": pa.array(["4"])})
    refused(tmp_path, capsys, text_value, f"{text_value}: not an event file: column metric_value is string, not a number")
    number_kind = write(tmp_path / "k.parquet", {**good_columns(), "kind": pa.array([3])})
    refused(tmp_path, capsys, number_kind, f"{number_kind}: not an event file: column kind is int64, not text")
    extra = write(tmp_path / "e.parquet", {**good_columns(), "team": pa.array(["x"])})
    refused(tmp_path, capsys, extra, f"{extra}: not an event file: column(s) team are not event columns (the columns "
                                     f"are {', '.join(COLUMNS)})")
    columns = good_columns()
    del columns["author"]
    missing = write(tmp_path / "m.parquet", columns)
    refused(tmp_path, capsys, missing, f"{missing}: not an event file: missing column(s) author (the columns are "
                                       f"{', '.join(COLUMNS)})")


def test_a_count_the_metadata_does_not_hold_is_a_damaged_file(tmp_path, capsys):
    table = pa.table(good_columns(2)).replace_schema_metadata({"product": "engineering-metrics", "events": "3"})
    pq.write_table(table, tmp_path / "short.parquet")
    refused(tmp_path, capsys, tmp_path / "short.parquet",
            f"{tmp_path / 'short.parquet'}: its metadata says 3 events and it holds 2: a damaged file")


def test_bad_rows_are_rejected_with_the_reasons_of_the_csv_reader(tmp_path, capsys):
    cells = [("2024-01-01T00:00:00Z", "toil", "api", -1.0), ("2024-01-01T00:00:00Z", "satisfaction_survey", "api", 6.0),
             ("2024-01-01T00:00:00Z", "toil", "", 3.0), ("2024-01-01T00:00:00Z", "toil", "api", None),
             ("2024-01-01T00:00:00Z", "on_call_hours", "api", float("inf")), ("2024-01-01T00:00:00Z", "toil", "db", 5.0)]
    header = "ts,kind,service,metric_value\n"
    (tmp_path / "bad.csv").write_text(header + "".join(f"{t},{k},{s},{'' if v is None else v}\n" for t, k, s, v in cells))
    columns = good_columns(len(cells))
    columns.update(ts=pa.array([pd.Timestamp(t) for t, *_ in cells], pa.timestamp("ns", tz="UTC")),
                   kind=pa.array([k for _, k, _, _ in cells]), service=pa.array([s for _, _, s, _ in cells]),
                   metric_value=pa.array([v for *_, v in cells], pa.float64()))
    write(tmp_path / "bad.parquet", columns)
    reasons = {}
    for source, name in (("events", "bad.csv"), ("parquet", "bad.parquet")):
        capsys.readouterr()
        assert main(["import", "--from", source, str(tmp_path / name), "--name", source]) == 0
        err = capsys.readouterr().err
        reasons[source] = [line.split(": ", 1)[1] for line in err.splitlines() if line.startswith("  rejected")]
        assert "6 rows read, 1 accepted, 5 rejected" in err
    assert reasons["parquet"] == reasons["events"] == [
        "toil minutes must be >= 0 (negative duration)",
        "satisfaction score must be between 1 and 5", "missing required field service",
        "missing metric_value (required for toil)", "metric_value is not a finite number 'inf'"]
    assert "rejected bad.parquet row 1: toil minutes must be >= 0" in " ".join(err.split())
    pd.testing.assert_frame_equal(store.load("events"), store.load("parquet"))


def test_another_engines_file_naive_times_nan_nulls_and_dictionaries(tmp_path, capsys):
    columns = {"ts": pa.array([pd.Timestamp("2024-01-01T10:00:00"), pd.Timestamp("9999-01-01T00:00:00").to_pydatetime()],
                              pa.timestamp("us")),
               **{c: pa.array(["deploy", None] if c == "kind" else ["api", "api"] if c == "service" else [None, None])
                  for c in COLUMNS if c not in ("ts", "metric_value")},
               "metric_value": pa.array([np.nan, np.nan], pa.float32())}
    columns["kind"] = columns["kind"].dictionary_encode()
    path = write(tmp_path / "duck.parquet", dict(reversed(list(columns.items()))))     # columns in another order
    capsys.readouterr()
    assert main(["import", "--from", "parquet", str(path), "--name", "duck"]) == 0
    err = capsys.readouterr().err
    assert "2 rows read, 1 accepted, 1 rejected" in err
    assert "1 timestamps had no UTC offset and were read as UTC" in err
    assert "rejected duck.parquet row 2: missing required field kind" in err    # the first rule that fails
    event = store.load("duck").iloc[0]
    assert event["ts"] == pd.Timestamp("2024-01-01T10:00:00Z") and math.isnan(event["metric_value"])
    assert (event["status"], event["environment"], event["author"]) == ("success", "production", "")


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


def fuzz_import(folder, data: bytes, capsys) -> None:
    """Import ``data`` as a Parquet file: a report (exit 0) or one sentence (exit 2, nothing stored)."""
    path = folder / "fuzzed.parquet"
    path.write_bytes(data)
    capsys.readouterr()
    code = main(["import", "--from", "parquet", str(path), "--name", "fuzzed", "--replace"])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        last = err.strip().splitlines()[-1]
        assert last.startswith("error: ") and "\n" not in last
        assert "fuzzed" not in [d.name for d in store.list_datasets()]
    else:
        store.delete("fuzzed")


@FUZZ
@given(data=st.data())
def test_damaged_bytes_give_a_report_or_a_sentence(tmp_path_factory, capsys, data):
    folder = tmp_path_factory.mktemp("p")
    pq.write_table(pa.table(good_columns(3)), folder / "good.parquet", compression="zstd")
    raw = bytearray((folder / "good.parquet").read_bytes())
    how = data.draw(st.sampled_from(["flip", "cut", "splice"]))
    if how == "cut":
        raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    elif how == "flip":
        for at in data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8)):
            raw[at] = data.draw(st.integers(0, 255))
    else:
        at = data.draw(st.integers(0, len(raw)))
        raw[at:at] = data.draw(st.binary(min_size=1, max_size=40))
    fuzz_import(folder, bytes(raw), capsys)


arrow_columns = st.sampled_from([
    pa.array([1]), pa.array([1.5]), pa.array(["2024-01-01T00:00:00Z"]), pa.array([True]), pa.array([None]),
    pa.array([b"\xff"]), pa.array([[1, 2]]), pa.array([{"a": 1}]), pa.array([19000], pa.int32()).cast(pa.date32()), pa.array([10**15], pa.timestamp("ns")),
    pa.array([1], pa.timestamp("s", tz="Asia/Tokyo")), pa.array(["deploy"]).dictionary_encode(),
    pa.array([float("nan")]), pa.array([1e308]), pa.array([-5], pa.int8()), pa.array(["x"], pa.large_string())])


@FUZZ
@given(replaced=st.dictionaries(st.sampled_from(COLUMNS + ["extra"]), arrow_columns, max_size=4),
       dropped=st.lists(st.sampled_from(COLUMNS), max_size=2))
def test_any_column_types_give_a_report_or_a_sentence(tmp_path_factory, capsys, replaced, dropped):
    folder = tmp_path_factory.mktemp("t")
    columns = {**good_columns(), **replaced}
    for c in dropped:
        columns.pop(c, None)
    pq.write_table(pa.table(columns), folder / "typed.parquet")
    fuzz_import(folder, (folder / "typed.parquet").read_bytes(), capsys)
