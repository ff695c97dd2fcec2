"""Loading CSV, NDJSON and JSON: every bad row reported with its number and reason, nothing lost."""
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics.ingest import LoadError, StrictLoadError, load_events, load_file, normalize

HEADER = "ts,kind,service,deploy_id,incident_id,pr_id,metric_value,status,change_type,environment,author\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def reasons(report):
    return dict(zip(report.rejected["row"], report.rejected["reason"]))


def test_each_bad_row_is_reported_with_its_line_and_reason(tmp_path):
    path = write(tmp_path, "e.csv", HEADER + "\n".join([
        "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,",              # line 2 ok
        "yesterday,deploy,api,d2,,,,,,,",                          # 3 bad timestamp
        "2024-01-01T01:00:00Z,,api,,,,,,,,",                       # 4 missing kind
        "2024-01-01T01:00:00Z,deploy,,d3,,,,,,,",                  # 5 missing service
        "2024-01-01T02:00:00Z,satisfaction_survey,team,,,,6,,,,",   # 6 score outside 1-5
        "2024-01-01T02:00:00Z,toil,team,,,,-5,,,,",                # 7 negative duration
        "2024-01-01T02:00:00Z,incident_start,api,,,,,,,,",         # 8 missing incident_id
        "2024-01-01T03:00:00Z,incident_start,api,,i1,,,,,,",       # 9 ok
        "2024-01-01T02:30:00Z,incident_resolved,api,,i1,,,,,,",    # 10 resolved before its start
        "2024-01-01T04:00:00Z,deploy,api,d4,,,,broken,,,",         # 11 unknown status
        "2024-01-01T04:00:00Z,platform_investment_hour,platform,,,,abc,,,,",  # 12 not a number
        "2024-01-01T04:00:00Z,onboarding_complete,team,,,,0,,,,",  # 13 weeks must be > 0
        "2024-01-01T04:00:00Z,pr_merged,api,,,,,,,,",              # 14 missing pr_id
        "2024-01-01T05:00:00Z,satisfaction_survey,team,,,,,,,,",   # 15 missing score
    ]) + "\n")
    frame, report = load_file(path)
    r = reasons(report)
    assert r["line 3"] == "bad timestamp 'yesterday'"
    assert r["line 4"] == "missing required field kind"
    assert r["line 5"] == "missing required field service"
    assert r["line 6"] == "satisfaction score must be between 1 and 5"
    assert r["line 7"].startswith("toil minutes must be >= 0")
    assert r["line 8"] == "missing incident_id"
    assert r["line 10"] == "incident_resolved before its incident_start"
    assert r["line 11"].startswith("unknown status")
    assert r["line 12"].startswith("metric_value is not a finite number")
    assert r["line 13"] == "onboarding weeks must be > 0"
    assert r["line 14"] == "missing pr_id"
    assert r["line 15"] == "missing metric_value (required for satisfaction_survey)"
    assert (report.rows_read, report.accepted, report.rejected_count) == (14, 2, 12)
    assert report.accepted + report.rejected_count + report.duplicates == report.rows_read
    assert len(frame) == 2
    assert report.open_incidents == 1   # i1's resolve was rejected, so i1 stays open


def test_duplicates_naive_timestamps_and_unknown_kinds(tmp_path):
    row = "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n"
    path = write(tmp_path, "e.csv", HEADER + row + row + "2024-01-01 05:00,deploy,api,d2,,,,,,,\n"
                 + "2024-01-01T06:00:00+02:00,my_kind,api,,,,3,,,,\n" + "2024-01-05,deploy,api,d3,,,,,,,\n")
    frame, report = load_file(path)
    assert report.duplicates == 1 and report.accepted == 4
    assert report.naive_timestamps == 2                         # "2024-01-01 05:00" and the bare date "2024-01-05"
    assert report.unknown_kinds == {"my_kind": 1}
    ts = frame.set_index("deploy_id")["ts"]
    assert str(ts["api@d2"]) == "2024-01-01 05:00:00+00:00"       # naive read as UTC
    assert str(frame.loc[frame["kind"] == "my_kind", "ts"].iloc[0]) == "2024-01-01 04:00:00+00:00"


def test_defaults_and_lower_case(tmp_path):
    path = write(tmp_path, "e.csv", HEADER + "2024-01-01T00:00:00Z,Deploy,api,d1,,,,FAILED,,,\n")
    frame, _ = load_file(path)
    row = frame.iloc[0]
    assert (row["kind"], row["status"], row["change_type"], row["environment"]) == ("deploy", "failed", "feature", "production")


def test_wrong_field_count_is_reported_by_line(tmp_path):
    path = write(tmp_path, "e.csv", HEADER + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n"
                 + "2024-01-01T00:00:00Z,deploy,api,d2,,,,,,,,extra\n" + "2024-01-02T00:00:00Z,deploy,api,d3,,,,,,,\n")
    frame, report = load_file(path)
    assert reasons(report) == {"line 3": "expected 11 fields, got 12"}
    assert list(frame["deploy_id"]) == ["api@d1", "api@d3"]


def test_ndjson_and_json_rows(tmp_path):
    good = {"ts": "2024-01-01T00:00:00Z", "kind": "deploy", "service": "api", "deploy_id": "d1"}
    nd = write(tmp_path, "e.ndjson", json.dumps(good) + "\n{not json\n\n" + json.dumps([1]) + "\n"
               + json.dumps({"ts": "2024-01-01T01:00:00Z", "kind": "satisfaction_survey", "service": "team", "metric_value": 4}) + "\n")
    frame, report = load_file(nd)
    r = reasons(report)
    assert r["line 2"].startswith("invalid JSON") and r["line 4"].startswith("not a JSON object")
    assert report.accepted == 2 and frame["metric_value"].dropna().tolist() == [4.0]
    js = write(tmp_path, "e.json", json.dumps({"events": [good, {"ts": "2024-01-01", "kind": "deploy"}]}))
    frame, report = load_file(js)
    assert reasons(report) == {"record 2": "missing required field service"}


def test_whole_file_errors_are_clear(tmp_path):
    with pytest.raises(LoadError, match="no such file"):
        load_file(tmp_path / "missing.csv")
    with pytest.raises(LoadError, match="is a directory"):
        load_file(tmp_path)
    with pytest.raises(LoadError, match="empty"):
        load_file(write(tmp_path, "empty.csv", ""))
    with pytest.raises(LoadError, match="missing required column"):
        load_file(write(tmp_path, "cols.csv", "when,kind\n2024-01-01,deploy\n"))
    bad = tmp_path / "latin1.csv"
    bad.write_bytes(HEADER.encode() + "2024-01-01,deploy,caf\xe9,,,,,,,,\n".encode("latin-1"))
    with pytest.raises(LoadError, match="not UTF-8"):
        load_file(bad)
    with pytest.raises(LoadError, match="expected a JSON array"):
        load_file(write(tmp_path, "obj.json", '{"a": 1}'))


def test_strict_stops_at_the_first_bad_row(tmp_path):
    path = write(tmp_path, "e.csv", HEADER + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\nnope,deploy,api,d2,,,,,,,\n"
                 + "2024-01-01T00:00:00Z,toil,team,,,,-1,,,,\n")
    with pytest.raises(StrictLoadError, match="line 3: bad timestamp"):
        load_file(path, strict=True)


def test_ids_pair_across_files_and_duplicates_across_files_drop(tmp_path):
    a = write(tmp_path, "a.csv", HEADER + "2024-01-01T00:00:00Z,incident_start,api,,i1,,,,,,\n"
              + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n")
    b = write(tmp_path, "b.csv", HEADER + "2024-01-01T01:00:00Z,incident_resolved,api,,i1,,,,,,\n"
              + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n")
    frame, report = load_events([a, b])
    assert report.duplicates == 1 and report.accepted == 3 and len(frame) == 3
    assert report.open_incidents == 0 and report.resolved_without_start == 0


def test_second_start_and_review_before_creation(tmp_path):
    path = write(tmp_path, "e.csv", HEADER + "\n".join([
        "2024-01-01T00:00:00Z,incident_start,api,,i1,,,,,,",
        "2024-01-01T00:05:00Z,incident_start,api,,i1,,,,,,",
        "2024-01-01T02:00:00Z,pr_created,api,,,p1,,,,,",
        "2024-01-01T01:00:00Z,pr_reviewed,api,,,p1,,,,,",
        "2024-01-01T03:00:00Z,pr_merged,api,,,p9,,,,,",
    ]) + "\n")
    _, report = load_file(path)
    r = reasons(report)
    assert r == {"line 3": "second incident_start for the same incident_id", "line 5": "PR event before its pr_created"}
    assert report.pr_events_without_created == 1


def test_normalize_accepts_any_dtypes():
    raw = pd.DataFrame({"ts": [pd.Timestamp("2024-01-01", tz="UTC"), None], "kind": ["deploy", "deploy"],
                        "service": ["api", "api"], "metric_value": [None, 1]})
    frame, report = normalize(raw)
    assert report.accepted == 1 and report.rejected["reason"].tolist() == ["missing required field ts"]


def test_rows_rejected_across_files_name_their_file_and_line(tmp_path):
    a = write(tmp_path, "a.csv", HEADER + "2024-01-01T05:00:00Z,incident_start,api,,i1,,,,,,\n")
    b = write(tmp_path, "b.csv", HEADER + "2024-01-01T00:00:00Z,deploy,api,d1,,,,,,,\n"
              + "2024-01-01T04:00:00Z,incident_resolved,api,,i1,,,,,,\n")
    frame, report = load_events([a, b])
    assert report.rejected.to_dict("records") == [
        {"source": "b.csv", "row": "line 3", "reason": "incident_resolved before its incident_start"}]
    assert report.accepted == 2 and len(frame) == 2
    with pytest.raises(StrictLoadError, match="b.csv line 3: incident_resolved before"):
        load_events([a, b], strict=True)


# -- the PR facts a cycle-time stage and a size need (issue 27): optional kinds of the same format ----------

FACTS = "\n".join([
    "2024-03-01T08:00:00Z,pr_first_commit,api,,,#1,,,,,",         # 2 ok: the coding stage's start
    "2024-03-01T09:00:00Z,pr_created,api,,,#1,,,,,ann",           # 3
    "2024-03-02T10:00:00Z,pr_merged,api,,,#1,,,,,",               # 4
    "2024-03-02T10:00:00Z,pr_lines_added,api,,,#1,120,,,,",       # 5 ok
    "2024-03-02T10:00:00Z,pr_lines_removed,api,,,#1,0,,,,",       # 6 ok: 0 is a size
    "2024-03-02T10:00:00Z,pr_files_changed,api,,,#1,4,,,,",       # 7 ok
    "2024-03-02T10:00:00Z,pr_lines_added,api,,,#1,7,,,,",         # 8 a second for the PR
    "2024-03-02T10:00:00Z,pr_lines_added,api,,,#2,2.5,,,,",       # 9 not whole
    "2024-03-02T10:00:00Z,pr_files_changed,api,,,#2,-1,,,,",      # 10 negative
    "2024-03-02T10:00:00Z,pr_lines_removed,api,,,#2,,,,,",        # 11 no value
    "2024-03-02T10:00:00Z,pr_lines_removed,api,,,,3,,,,",         # 12 no PR
    "2024-03-02T10:00:00Z,pr_files_changed,api,,,#3,1e3,,,,",     # 13 ok: 1000 written so
])


def test_first_commits_and_sizes_are_rows_of_the_format(tmp_path):
    frame, report = load_file(write(tmp_path, "e.csv", HEADER + FACTS + "\n"))
    assert reasons(report) == {
        "line 8": "second pr_lines_added for the same pr_id",
        "line 9": "a PR's lines and files are whole numbers",
        "line 10": "files changed must be >= 0",
        "line 11": "missing metric_value (required for pr_lines_removed)",
        "line 12": "missing pr_id"}
    from metrics.tables import tables_from_frame
    prs = tables_from_frame(frame).prs
    assert prs[["lines_added", "lines_removed", "files_changed"]].to_numpy().tolist() == [[120, 0, 4]]
    assert prs["first_commit"].tolist() == [pd.Timestamp("2024-03-01T08:00:00Z").value]
    sizes = tables_from_frame(frame).sizes                    # every size event, #3's (no pr_created) too
    assert sorted(sizes["value"]) == [0.0, 4.0, 120.0, 1000.0]


def test_a_file_without_the_new_kinds_reads_as_before(tmp_path):
    frame, report = load_file(write(tmp_path, "e.csv", HEADER + "2024-03-01T09:00:00Z,pr_created,api,,,#1,,,,,\n"))
    from metrics.tables import tables_from_frame
    prs = tables_from_frame(frame).prs
    assert prs["lines_added"].isna().all() and prs["first_commit"].tolist() == [-2**63] and report.rejected_count == 0


def test_export_and_import_round_trip_the_facts(tmp_path, monkeypatch, capsys):
    from metrics.cli import main
    from metrics.store.datasets import load
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "data"))
    source = write(tmp_path, "e.csv", HEADER + FACTS + "\n")
    assert main(["import", "--from", "events", str(source), "--name", "a"]) == 0
    assert main(["export", "a", "--parquet", str(tmp_path / "a.parquet")]) == 0
    assert main(["import", "--from", "parquet", str(tmp_path / "a.parquet"), "--name", "b"]) == 0
    columns = ["ts", "kind", "service", "pr_id", "metric_value"]
    key = lambda f: f[columns].astype(str).sort_values(columns).reset_index(drop=True)  # noqa: E731
    assert key(load("a")).equals(key(load("b"))) and len(load("a")) == 7     # lines 2-7 and 13


SIZE_KINDS = ("pr_lines_added", "pr_lines_removed", "pr_files_changed")
cells = st.one_of(st.text(max_size=8), st.integers(-5, 10**6).map(str), st.floats(allow_nan=True).map(str),
                  st.sampled_from(["", "0", "1.0", "1e3", "-0", "nan", "inf", "12,5", "0x10", "true"]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.sampled_from(SIZE_KINDS + ("pr_first_commit",)), st.sampled_from(["#1", "#2", ""]),
                               cells, st.sampled_from(["2024-03-01T08:00:00Z", "2024-03-01", "yesterday", ""])),
                     min_size=1, max_size=8))
def test_fuzzed_facts_give_a_report_and_only_whole_sizes(tmp_path_factory, rows):
    text = HEADER + "".join(f"{ts},{kind},api,,,{pr},\"{value}\",,,,\n" for kind, pr, value, ts in rows)
    frame, report = load_file(write(tmp_path_factory.mktemp("f"), "e.csv", text))
    assert report.accepted + report.rejected_count + report.duplicates == report.rows_read == len(rows)
    sizes = frame[frame["kind"].isin(SIZE_KINDS)]["metric_value"].to_numpy(dtype=float)
    assert ((sizes >= 0) & (sizes == np.floor(sizes))).all()


pr_values = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**12), st.floats(allow_nan=True), st.text(max_size=6),
                      st.lists(st.integers(), max_size=2), st.dictionaries(st.sampled_from(["commit", "author", "date"]),
                                                                           st.text(max_size=4), max_size=2))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(additions=pr_values, deletions=pr_values, changed=pr_values, date=pr_values, changes=pr_values)
def test_fuzzed_size_fields_of_github_and_gitlab_objects(tmp_path_factory, additions, deletions, changed, date, changes):
    from metrics.ingest.report import LoadError as Refused
    from metrics.registry.source import source
    pull = {"number": 1, "created_at": "2024-03-01T09:00:00Z", "merged_at": "2024-03-02T09:00:00Z",
            "base": {"repo": {"name": "shop"}}, "additions": additions, "deletions": deletions,
            "changed_files": changed, "first_commit": {"commit": {"author": {"date": date}}}}
    mr = {"iid": 1, "created_at": "2024-03-01T09:00:00Z", "merged_at": "2024-03-02T09:00:00Z",
          "web_url": "https://gitlab.example.com/acme/shop/-/merge_requests/1", "changes": changes,
          "first_commit": {"authored_date": date}}
    folder = tmp_path_factory.mktemp("f")
    for name, obj in (("github", pull), ("gitlab", mr)):
        path = folder / f"{name}.json"
        path.write_text(json.dumps([obj], allow_nan=True))
        try:
            frame, report = load_events([path], reader=source(name).make_reader())
        except Refused as e:                      # one sentence, never another exception
            assert str(e) and "\n" not in str(e).strip()
            continue
        assert report.accepted == len(frame)
        sizes = frame[frame["kind"].isin(SIZE_KINDS)]["metric_value"].to_numpy(dtype=float)
        assert ((sizes >= 0) & (sizes == np.floor(sizes))).all()


def test_a_changed_size_of_a_stored_pr_is_a_conflict(tmp_path, monkeypatch, capsys):
    from metrics.cli import main
    from metrics.store.datasets import load
    monkeypatch.setenv("METRICS_DATA_DIR", str(tmp_path / "data"))
    first = write(tmp_path, "a.csv", HEADER + "2024-03-02T10:00:00Z,pr_lines_added,api,,,#1,120,,,,\n")
    later = write(tmp_path, "b.csv", HEADER + "2024-03-02T10:00:00Z,pr_lines_added,api,,,#1,7,,,,\n"
                                              "2024-03-01T08:00:00Z,pr_first_commit,api,,,#1,,,,,\n")
    assert main(["import", "--from", "events", str(first), "--name", "s"]) == 0
    main(["import", "--from", "events", str(later), "--name", "s"])
    out = capsys.readouterr()
    assert "1 in conflict with stored events" in out.out
    assert "second pr_lines_added for the same pr_id (one is already stored)" in out.err
    stored = load("s")
    assert sorted(zip(stored["kind"], stored["metric_value"].fillna(-1))) == [("pr_first_commit", -1),
                                                                               ("pr_lines_added", 120.0)]
