"""PR size, deployment batch size, their relation to lead time and change failure, and the PRs behind
lead time, on a small event set whose answers were worked out by hand.

The events are tests/fixtures/sizes.csv; the window is 2024-03-01 to 2024-03-08 (7 days). In short:

production deployments: D1 acme/shop 03-02 12:00; D2 acme/shop 03-04 12:00 (incident I1 on acme/shop
03-04 14:00-15:00 is attributed to it: failed); D3 api 03-03 10:00; D4 api 03-05 10:00 (ships no PR);
D5 api 03-06 10:00 status failed (ships no PR); D6 api 03-07 10:00.
PRs (created, merged, size = added + removed lines, files; all merged):
acme/shop #1 03-01 10:00 (first commit 08:00, reviewed 12:00), merged 03-02 09:00, 300 + 100 = 400, 7 files -> D1
acme/shop #2 03-01 11:00, merged 03-02 10:00, 401 + 0 = 401 -> D1
acme/shop #3 03-03 09:00, merged 03-04 08:00, 10 + 5 = 15 -> D2
acme/shop #4 03-03 12:00, merged 03-04 09:00, no size -> D2
api p5 03-02 08:00 (author "=cmd"), merged 03-03 08:00, 1000 + 0 = 1000 -> D3
api p6..p9 created 03-06 00:00, 01:00, 02:00, 03:00, merged 03-06 12:00: 50, 150 + 49 = 199, 100 + 100
  = 200, 40 + 9 = 49 lines -> D6 (D5 failed: no PR ships with it)
api p10 03-07 12:00, merged 13:00, 20 lines: not deployed by the window's end.

Lead times (creation -> deployment): #1 26 h, #2 25 h, #3 27 h, #4 24 h, p5 26 h, p6 34 h, p7 33 h,
p8 32 h, p9 31 h.
Sizes of the merged PRs with one, sorted: 15 20 49 50 199 200 400 401 1000 (9): median the 5th, 199;
p75 at position 8 x 0.75 = 6 (0-based): 400; more than 400 lines: 401 and 1000, 2 of 9 = 22.2 %
(exactly 400 is not large).
Batches: D1 #1 #2 (2 PRs, 801 lines); D2 #3 #4 (2 PRs, lines unknown: #4 has no size); D3 p5 (1, 1000);
D4 0; D5 0; D6 p6..p9 (4, 498). Over the 4 deployments that shipped a PR: PRs 1 2 2 4, median 2; lines
over the 3 with every size: 498 801 1000, median 801.
Lead time by size bin: <50 #3 27, p9 31 (median 29); 50-199 p6 34, p7 33 (33.5); 200-399 p8 32;
400-999 #1 26, #2 25 (25.5); >=1000 p5 26. #4 has no size, p10 is not deployed.
Change failure by batch bin: 1: D3 (0 of 1, 0 %); 2-3: D1, D2 failed (1 of 2, 50 %); 4-7: D6 (0 of 1);
>=8: none. D4 and D5 shipped no PR: in no bin.
"""
from __future__ import annotations

import csv
import io
import json
import statistics

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from conftest import FIXTURES, run_cli
from metrics import Window, analyze, defaults, load_events, tables_from_frame
from metrics.analysis import window_tables
from metrics.builtin import BY_KEY, Context
from metrics.compute import size
from metrics.compute.pvm import Assumptions
from metrics.defaults import BATCH_SIZE_BINS, LARGE_PR_LINES, PR_SIZE_BINS, CheckError
from metrics.links import pr_url
from metrics.tables import NA

SIZES = FIXTURES / "sizes.csv"
WINDOW = Window.between("2024-03-01", "2024-03-08")
SLOWEST_FIRST = ["api#p6", "api#p7", "api#p8", "api#p9", "acme/shop#3", "acme/shop#1", "api#p5", "acme/shop#2",
                 "acme/shop#4"]          # 34 33 32 31 27 26 26 (#1 created first) 25 24 h
LEAD_BY_SIZE = [("<50", 0, 50, 2, 29.0), ("50-199", 50, 200, 2, 33.5), ("200-399", 200, 400, 1, 32.0),
                ("400-999", 400, 1000, 2, 25.5), (">=1000", 1000, None, 1, 26.0)]
FAILURE_BY_BATCH = [("1", 1, 2, 1, 0, 0.0), ("2-3", 2, 4, 2, 1, 50.0), ("4-7", 4, 8, 1, 0, 0.0),
                    (">=8", 8, None, 0, 0, None)]


def tables():
    frame, _ = load_events([SIZES])
    return tables_from_frame(frame)


@pytest.fixture(scope="module")
def an():
    return analyze(tables(), WINDOW, Assumptions())


def test_pr_size_median_p75_and_large_share(an):
    d = an.summary["dora"]
    assert d["pr_size_lines_median"] == 199.0 and d["pr_size_lines_p75"] == 400.0
    assert d["large_pr_share_pct"] == pytest.approx(200 / 9)
    assert (an.details["sized_prs"], an.details["large_prs"]) == (9, 2)


def test_the_threshold_counts_prs_over_it_not_at_it():
    assert LARGE_PR_LINES == 400
    share = {lines: analyze(tables(), WINDOW, large_pr_lines=lines).summary["dora"]["large_pr_share_pct"]
             for lines in (399, 400, 401, 1000)}
    # 399: 400, 401 and 1000 are over it; 400: 401 and 1000; 401: 1000 alone; 1000: none
    assert share == {399: pytest.approx(300 / 9), 400: pytest.approx(200 / 9), 401: pytest.approx(100 / 9), 1000: 0.0}


def test_deployment_batches_per_deployment():
    c = Context(window_tables(tables(), WINDOW), WINDOW, Assumptions(), 24.0)
    rows = c.batch_rows.assign(deploy_id=c.tables.deploy_id(c.batch_rows["key"]))
    got = {r.deploy_id: (r.prs, None if r.lines != r.lines else r.lines) for r in rows.itertuples()}
    assert got == {"acme/shop@D1": (2, 801.0), "acme/shop@D2": (2, None), "api@D3": (1, 1000.0), "api@D4": (0, None),
                   "api@D5": (0, None), "api@D6": (4, 498.0)}


def test_deployment_batch_medians(an):
    d = an.summary["dora"]
    assert (d["deploy_batch_prs_median"], d["deploy_batch_lines_median"]) == (2.0, 801.0)
    assert (an.details["batch_deployments"], an.details["sized_batch_deployments"]) == (4, 3)


def test_size_relation_by_bin(an):
    relation = an.details["size_relation"]
    assert [tuple(b.values()) for b in relation["lead_time_by_pr_size"]] == LEAD_BY_SIZE
    assert [tuple(b.values()) for b in relation["change_failure_by_batch_size"]] == FAILURE_BY_BATCH


def test_bins_take_their_lower_edge_and_leave_out_the_next():
    assert (PR_SIZE_BINS, BATCH_SIZE_BINS) == ((0, 50, 200, 400, 1000), (1, 2, 4, 8))
    assert size.bin_labels(PR_SIZE_BINS) == ["<50", "50-199", "200-399", "400-999", ">=1000"]
    assert size.bin_labels(BATCH_SIZE_BINS) == ["1", "2-3", "4-7", ">=8"]
    lines = [0, 49, 50, 199, 200, 399, 400, 999, 1000, 10**6]
    assert size.bin_of(lines, PR_SIZE_BINS).tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    assert size.bin_of([0, 1, 2, 3, 4, 7, 8, 50], BATCH_SIZE_BINS).tolist() == [-1, 0, 1, 1, 2, 2, 3, 3]


def test_without_sizes_the_sizes_are_na_with_the_reason():
    frame, _ = load_events([FIXTURES / "hand.csv"])
    hand = analyze(tables_from_frame(frame), Window.between("2024-01-01", "2024-01-08"))
    d = hand.summary["dora"]
    assert [d[k] for k in ("pr_size_lines_median", "pr_size_lines_p75", "large_pr_share_pct",
                           "deploy_batch_lines_median")] == [None] * 4
    assert d["deploy_batch_prs_median"] is not None                  # PR counts need no size
    for key in ("pr_size_lines_median", "large_pr_share_pct", "deploy_batch_lines_median"):
        assert BY_KEY[key].missing(hand.present) == "no PR sizes in this dataset (pr_lines_added and pr_lines_removed events)"
    assert "pr_lines_added" not in hand.summary.get("missing", [])    # optional: never asked for
    assert all(b["prs"] == 0 for b in hand.details["size_relation"]["lead_time_by_pr_size"])


def test_a_bad_threshold_is_one_sentence():
    with pytest.raises(CheckError, match="large PR lines must be a whole number between 0 and"):
        analyze(tables(), WINDOW, large_pr_lines=-1)
    p = run_cli("--events", SIZES, "--large-pr-lines", "lots", "--json")
    assert p.returncode == 2 and "large PR lines must be a whole number" in p.stderr and "Traceback" not in p.stderr


def test_the_command_line_sets_the_threshold_and_prints_the_relation():
    p = run_cli("--events", SIZES, "--start", "2024-03-01", "--end", "2024-03-08", "--large-pr-lines", "399", "--json")
    assert p.returncode == 0, p.stderr
    body = json.loads(p.stdout)
    assert body["dora"]["large_pr_share_pct"] == pytest.approx(300 / 9) and body["dora"]["pr_size_lines_median"] == 199
    assert [tuple(b.values()) for b in body["size_relation"]["lead_time_by_pr_size"]] == LEAD_BY_SIZE
    assert [tuple(b.values()) for b in body["size_relation"]["change_failure_by_batch_size"]] == FAILURE_BY_BATCH


# ---------------------------------------------------------------------------------------------
# the PRs behind lead time

def test_pr_rows_slowest_first_with_stages_and_sizes(an):
    rows = an.pr_rows()
    assert rows["pr_id"].tolist() == SLOWEST_FIRST
    assert rows["lead_time_hours"].tolist() == [34, 33, 32, 31, 27, 26, 26, 25, 24]
    first = rows.set_index("pr_id").loc["acme/shop#1"]
    assert (first["url"], first["service"], first["author"], first["deploy_id"]) == (
        "https://github.com/acme/shop/pull/1", "acme/shop", "ann", "acme/shop@D1")
    assert [first[c] for c in ("lines_added", "lines_removed", "size_lines", "files_changed")] == [300, 100, 400, 7]
    # first commit 08:00, opened 10:00, reviewed 12:00, merged 09:00 the next day, deployed 12:00
    assert [first[c] for c in ("coding_hours", "pickup_hours", "review_hours", "deploy_hours")] == [2, 2, 21, 3]
    unsized = rows.set_index("pr_id").loc["acme/shop#4"]
    assert unsized[["lines_added", "size_lines", "coding_hours", "pickup_hours"]].isna().all()
    assert rows.set_index("pr_id").loc["api#p5", "url"] == ""               # no owner in the service: no address
    assert an.pr_rows(3)["pr_id"].tolist() == SLOWEST_FIRST[:3]


def test_pr_addresses_only_where_the_data_names_them():
    assert pr_url("acme/shop", "acme/shop#12") == "https://github.com/acme/shop/pull/12"
    assert [pr_url(s, p) for s, p in (("shop", "shop#12"), ("group/proj", "group/proj!7"), ("acme/shop", "acme/shop#p9"),
                                      ("acme/shop", "other/x#1"), ("a/b/c", "a/b/c#3"), ("a/..", "a/..#3"),
                                      ("acme/shop", "acme/shop#0"), ("", "#1"))] == [""] * 8


def test_the_prs_csv_is_the_rows_slowest_first(an):
    from dashboard.downloads import download
    from dashboard.fields import View
    sent = download("download-prs", View(dataset="sizes", days=7), an)
    assert sent["filename"] == "metrics-sizes-7d-2024-03-08-prs.csv"
    rows = list(csv.DictReader(io.StringIO(sent["content"])))
    assert list(rows[0]) == ["pr_id", "url", "service", "author", "lines_added", "lines_removed", "size_lines",
                             "files_changed", "coding_hours", "pickup_hours", "review_hours", "deploy_hours",
                             "lead_time_hours", "deploy_id"]
    assert [r["pr_id"] for r in rows] == SLOWEST_FIRST
    p5 = next(r for r in rows if r["pr_id"] == "api#p5")
    assert p5["author"] == "'=cmd"                                          # a formula is written as text
    first = next(r for r in rows if r["pr_id"] == "acme/shop#1")
    assert (first["url"], first["size_lines"], first["coding_hours"], first["lead_time_hours"], first["deploy_id"]) == (
        "https://github.com/acme/shop/pull/1", "400.0", "2.0", "26.0", "acme/shop@D1")


def test_the_drilldown_table_links_escapes_and_sorts(an):
    from dashboard.data import Computed
    from dashboard.tabs import DRILLDOWNS
    note, table = DRILLDOWNS["prs"](Computed(an, an, "", "", ()))
    assert note.children.startswith("9 deployed PRs in the window, slowest first.")
    assert table.sort_by == [{"column_id": "lead_time_hours", "direction": "desc"}]
    ids = [r["pr_id"] for r in table.data]
    assert ids[0] == "api\\#p6" and ids[5] == "[acme\\/shop\\#1](https://github.com/acme/shop/pull/1)"
    assert [c["id"] for c in table.columns if c.get("presentation") == "markdown"] == ["pr_id"]
    assert "url" not in table.data[0] and table.data[0]["lead_time_hours"] == 34


def test_the_relation_charts(an):
    from components import figures as fg
    relation = an.details["size_relation"]
    lead = fg.lead_time_by_pr_size(relation["lead_time_by_pr_size"], "light")
    bar = lead.data[0]
    assert list(bar.x) == ["<50", "50-199", "200-399", "400-999", ">=1000"] and list(bar.y) == [29, 33.5, 32, 25.5, 26]
    assert list(bar.text) == ["2 PRs", "2 PRs", "1 PR", "2 PRs", "1 PR"]
    failure = fg.failure_by_batch_size(relation["change_failure_by_batch_size"], "dark").data[0]
    assert list(failure.x) == ["1", "2-3", "4-7", ">=8"] and failure.y[:3] == (0, 50, 0) and failure.y[3] != failure.y[3]
    assert list(failure.text) == ["0 of 1 deployment", "1 of 2 deployments", "0 of 1 deployment", "0 of 0 deployments"]


# ---------------------------------------------------------------------------------------------
# every input, fuzzed: the threshold's text, ids and services, any sizes and batches

@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=12), st.integers(-10, 2 * 10**9), st.floats(allow_nan=True), st.booleans()))
def test_any_threshold_is_a_number_in_range_or_one_sentence(value):
    try:
        lines = defaults.large_pr_lines(value)
    except CheckError as e:
        assert str(e).startswith("large PR lines must be a whole number between 0 and") and "\n" not in str(e)
    else:
        assert isinstance(lines, int) and 0 <= lines <= defaults.MAX_PR_LINES


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30), st.text(max_size=30))
def test_any_id_gets_a_github_address_or_none(service, pr_id):
    url = pr_url(service, pr_id)
    assert url == "" or (url == f"https://github.com/{service}/pull/{pr_id[len(service) + 1:]}"
                         and " " not in url and "(" not in url and ")" not in url)


def independent_quantile(values: list, q: float):
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=4, method="inclusive")[2] if q == 0.75 else statistics.median(values)


PRS = st.lists(st.tuples(st.booleans(), st.one_of(st.none(), st.integers(0, 3000)), st.integers(0, 5)), max_size=40)


@settings(max_examples=150, deadline=None)
@given(PRS, st.integers(0, 3000), st.integers(1, 6))
def test_sizes_and_batches_match_an_independent_count(prs, threshold, deployments):
    """Each PR: (merged, size or none, the deployment that shipped it: 0 none, else 1..5; a merged one only)."""
    frame = pd.DataFrame({"merged": [1 if m else NA for m, _, _ in prs],
                          "size_lines": [np.nan if s is None else float(s) for _, s, _ in prs],
                          "deploy_key": [d if m and d else NA for m, _, d in prs]},
                         columns=["merged", "size_lines", "deploy_key"]).astype({"merged": "int64", "deploy_key": "int64",
                                                                                  "size_lines": "float64"})
    got = size.pr_sizes(frame, threshold)
    sized = [s for m, s, _ in prs if m and s is not None]
    assert got["pr_size_lines_median"] == pytest.approx(independent_quantile(sized, 0.5))
    assert got["pr_size_lines_p75"] == pytest.approx(independent_quantile(sized, 0.75))
    large = sum(1 for s in sized if s > threshold)
    assert got["large_pr_share_pct"] == (pytest.approx(100 * large / len(sized)) if sized else None)
    inside = pd.DataFrame({"key": np.arange(1, deployments + 1, dtype=np.int64)})
    batches = size.deploy_batches(frame, inside)
    for key, count, lines in zip(batches["key"], batches["prs"], batches["lines"], strict=True):
        shipped = [s for m, s, d in prs if m and d == key]
        assert count == len(shipped)
        expected = sum(shipped) if shipped and None not in shipped else None
        assert (lines != lines and expected is None) or lines == expected


def test_the_api_summary_carries_the_sizes_as_the_command_line_does():
    from dashboard.app import create_app
    p = run_cli("import", "--from", "events", SIZES, "--name", "sizes")
    assert p.returncode == 0, p.stderr
    reply = create_app().server.test_client().get("/api/v1/summary?data=sizes&days=0")
    assert reply.status_code == 200
    body = reply.get_json()
    cli = run_cli("--dataset", "sizes", "--json")
    assert cli.returncode == 0, cli.stderr
    assert body == json.loads(cli.stdout)
    assert body["window"]["start"] == "2024-03-01T00:00:00Z" and body["window"]["days"] == 7
    assert [body["dora"][k] for k in ("pr_size_lines_median", "pr_size_lines_p75", "deploy_batch_prs_median",
                                      "deploy_batch_lines_median")] == [199, 400, 2, 801]
    assert [tuple(b.values()) for b in body["size_relation"]["change_failure_by_batch_size"]] == FAILURE_BY_BATCH
