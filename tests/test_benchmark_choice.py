"""DORA's benchmarks, selectable: the tier tables or the Quick Check scores against a published
baseline (an edition's industry or organisation size average), worked out by hand on
tests/fixtures/hand.csv (window 2024-01-01 to 2024-01-08; see test_attribution.py for its scores:
lead time 6.0, deployment frequency 6.0, failed deployment recovery 8.0, change failure rate
(100 - 400/7) / 10 = 4.29, overall (6 + 6 + 8 + 4.29) / 4 = 6.07). hand.csv has too little evidence for
two of them (METRICS.md section 3: 4 timed PRs, 3 attributed recoveries): the scores are judged from
its numbers (``HAND``), and the cards drawn from tests/helpers.py's ``ample_rows`` (the same scores,
from at least 5 events each)."""
import json

import pytest

from conftest import run_cli
from dashboard.data import Computed
from dashboard.render import render
from dashboard.state import View, from_query, to_query
from dashboard.tabs import TAB_VIEWS, cfr_lines
from dashboard.transitions import transition
from metrics import Window, analyze, load_events, tables_from_frame
from metrics.benchmarks import BASELINES, BenchmarkError, against, baseline, benchmark, quick_check, standing
from helpers import ample_rows, analysis_of
from test_components import find

WINDOW = Window.between("2024-01-01", "2024-01-08")
CFR = (100 - 400 / 7) / 10
OVERALL = (6 + 6 + 8 + CFR) / 4
# hand.csv's numbers (test_attribution.py): lead time median 28 h, 6 successful deployments in 7 days,
# failed deployment recovery median 60 min, CFR 4 of 7, rework 2 of 7
HAND = quick_check(28.0, 6 / 7, 60.0, 400 / 7, 200 / 7)


@pytest.fixture(scope="module")
def tables():
    from conftest import FIXTURES
    frame, _ = load_events([FIXTURES / "hand.csv"])
    return tables_from_frame(frame)


@pytest.fixture(scope="module")
def hand(tables):
    return analyze(tables, WINDOW), analyze(tables, WINDOW.previous())


# ---------------------------------------------------------------------------------------------
# the published baselines, as DORA's files give them


def test_baselines_are_dora_numbers_on_one_scale():
    # 2024, All industries: leadtime 5.1, deployfreq 5.3, failurerecovery 7.5, performance_average 6.7 and
    # changefailure 1.7 on the failure scale -> 10 - 1.7 = 8.3 on the score scale
    b = baseline("2024")
    assert (b.name, b.edition, b.group) == ("All industries", "2024", "industry")
    assert b.means == {"lead_time": 5.1, "deployment_frequency": 5.3, "failed_deployment_recovery_time": 7.5,
                       "change_failure_rate": 8.3, "overall": 6.7}
    assert b.stds["change_failure_rate"] == 2.0 and b.stds["overall"] == 1.8
    # 2023 already scores change failure the right way up: Technology's 7.6 stays 7.6
    assert baseline("2023/technology").means["change_failure_rate"] == 7.6
    assert baseline("2023").means["overall"] == 6.3
    # organisation size (2024 only): 20 to 99 employees, changefailure 1.6 -> 8.4
    small = baseline("2024/size/fewer_than_100")
    assert (small.name, small.group, small.means["change_failure_rate"]) == ("20 to 99 employees", "size", 8.4)
    # 14 industries in each edition (with "all") and 9 sizes in 2024 (its "all" is the industries' "all")
    assert len(BASELINES) == 14 + 9 + 14 and "2024/size/all" not in BASELINES
    assert all(b.source.startswith("https://github.com/dora-team/dora.dev/") for b in BASELINES.values())


def test_unknown_baseline_or_benchmark_is_one_sentence():
    with pytest.raises(BenchmarkError, match=r"^“2025” is not a Quick Check baseline: give an edition \(2024, 2023\)"):
        baseline("2025")
    with pytest.raises(BenchmarkError, match=r"^“stars” is not a benchmark: choose tiers or quick-check\.$"):
        benchmark("stars")
    assert benchmark("quick-check") == "quick-check"


def test_standing_against_mean_and_one_standard_deviation():
    # lead time, 2024 All industries: mean 5.1, std 2.6 -> above from 5.1, near down to 2.5, below under it
    assert [standing(s, 5.1, 2.6) for s in (10.0, 5.1, 5.0, 2.5, 2.4, 0.0, None)] == \
        ["above", "above", "near", "near", "below", "below", None]
    # judged as shown, to one decimal: CFR 17.4 % scores 8.26, shown 8.3 = the 2024 average 8.3 -> above;
    # 17.6 % scores 8.24, shown 8.2 -> near
    cfr = baseline("2024")
    assert standing(quick_check(None, None, None, 17.4, None)["scores"]["change_failure_rate"],
                    cfr.means["change_failure_rate"], cfr.stds["change_failure_rate"]) == "above"
    assert standing(8.24, 8.3, 2.0) == "near" and standing(6.26, 8.3, 2.0) == "near" and standing(6.24, 8.3, 2.0) == "below"


def test_hand_data_is_scored_only_where_it_has_the_evidence(hand):
    # 4 timed PRs and 3 attributed recoveries: no score for lead time and recovery, so no overall; 7
    # deployments are enough for deployment frequency (6/7 a day: 6) and the CFR ((100 - 400/7) / 10)
    q = hand[0].details["quick_check"]["scores"]
    assert (q["lead_time"], q["failed_deployment_recovery_time"], q["overall"]) == (None, None, None)
    assert q["deployment_frequency"] == 6.0 and q["change_failure_rate"] == pytest.approx(CFR)
    s = against(hand[0].details["quick_check"], baseline("2024"))["standing"]
    assert s == {"lead_time": None, "deployment_frequency": "above", "failed_deployment_recovery_time": None,
                 "change_failure_rate": "below", "overall": None}


def test_hand_scores_against_three_baselines():
    q = HAND
    # 2024 All industries: 6 >= 5.1, 6 >= 5.3, 8 >= 7.5 above; CFR 4.29 < 8.3 - 2.0 below; overall 6.07 in [4.9, 6.7)
    assert against(q, baseline("2024"))["standing"] == {
        "lead_time": "above", "deployment_frequency": "above", "failed_deployment_recovery_time": "above",
        "change_failure_rate": "below", "overall": "near"}
    # 2023 Technology: CFR 4.29 < 7.6 - 2.5 = 5.1 below; overall 6.07 in [4.3, 6.3) near; lead 6 >= 5.3 above
    s = against(q, baseline("2023/technology"))["standing"]
    assert (s["change_failure_rate"], s["overall"], s["lead_time"]) == ("below", "near", "above")
    # 2024 "just me": CFR mean 10 - 3.7 = 6.3, std 3.3 -> 4.29 >= 3.0 near
    assert against(q, baseline("2024/size/fewer_than_00002"))["standing"]["change_failure_rate"] == "near"
    assert against(q, baseline("2024"))["scores"]["overall"] == pytest.approx(OVERALL)


def test_rework_has_no_average_and_no_standing():
    q = against(quick_check(30, 2, 45, 20, 10), baseline("2024"))
    assert q["scores"]["rework_rate"] == 9.0
    assert "rework_rate" not in q["industry_average"] and "rework_rate" not in q["standing"]


# ---------------------------------------------------------------------------------------------
# the command line


def test_cli_baseline_changes_the_averages_and_json():
    done = run_cli("--seed", 7, "--days", 30, "--baseline", "2023/energy", "--json")
    assert done.returncode == 0, done.stderr
    q = json.loads(done.stdout)["quick_check"]
    assert q["baseline"] == {"key": "2023/energy", "name": "Energy", "group": "industry", "edition": "2023"}
    assert q["industry_average"]["overall"] == 6.1 and q["edition"] == "2023"
    text = run_cli("--seed", 7, "--days", 30, "--baseline", "2024/technology").stdout
    line = next(x for x in text.splitlines() if x.startswith("Quick Check ("))
    assert line.startswith("Quick Check (2024, 0-10) throughput: lead time ") and "(avg 5.4)" in line
    assert line.endswith("-- averages: Technology (2024 Quick Check)")


def test_console_says_how_the_overall_score_stands(tmp_path):
    import pandas as pd
    events = tmp_path / "ample.csv"
    pd.DataFrame(ample_rows()).to_csv(events, index=False)
    # the hand scores: overall 6.07 against 2024 All industries 6.7 (std 1.8) -> within one standard deviation below
    done = run_cli("--events", events, "--start", "2024-01-01", "--end", "2024-01-08")
    assert done.returncode == 0, done.stderr
    assert " -- overall 6.1/10 (avg 6.7: below the average, within one standard deviation) -- averages: All industries " \
        "(2024 Quick Check)" in done.stdout
    # against 2023 "Industrials & Manufacturing" (5.7): at or above
    done = run_cli("--events", events, "--start", "2024-01-01", "--end", "2024-01-08",
                   "--baseline", "2023/industrials_manufacturing")
    assert "(avg 5.7: at or above the average) -- averages: Industrials & Manufacturing (2023 Quick Check)" in done.stdout


def test_console_says_overall_n_a_without_all_four_scores():
    from conftest import FIXTURES
    # hand.csv: no lead time or recovery score (too little evidence) -> no overall: "n/a", never "n/a/10"
    done = run_cli("--events", FIXTURES / "hand.csv", "--start", "2024-01-01", "--end", "2024-01-08")
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("Quick Check ("))
    assert "throughput: lead time n/a (avg 5.1) | deployment frequency 6.0 (avg 5.3) | recovery n/a (avg 7.5)" in line
    assert " -- overall n/a (avg 6.7) -- averages: All industries (2024 Quick Check)" in line and "n/a/10" not in line


def test_cli_bad_baseline_is_exit_2_and_one_line(monkeypatch):
    done = run_cli("--days", 7, "--baseline", "2099/mars")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: “2099/mars” is not a Quick Check baseline") and "Traceback" not in done.stderr
    monkeypatch.setenv("METRICS_BASELINE", "nope")
    done = run_cli("--days", 7)
    assert done.returncode == 2 and done.stderr.startswith("error: METRICS_BASELINE: “nope” is not a Quick Check")
    monkeypatch.setenv("METRICS_BASELINE", "2023")
    assert "avg 6.3" in run_cli("--days", 7).stdout


def test_cli_lists_the_baselines():
    done = run_cli("baselines")
    rows = done.stdout.splitlines()
    assert done.returncode == 0 and len(rows) == 1 + len(BASELINES)
    assert rows[1].split("\t") == ["2024", "All industries (2024 Quick Check)", "6.70", "5.10", "5.30", "7.50", "8.30"]
    assert "2024/size/fewer_than_100\t20 to 99 employees (2024 Quick Check, organisation size)\t6.90" in done.stdout


# ---------------------------------------------------------------------------------------------
# the dashboard: URL, controls, cards, chart lines


def test_link_and_controls_carry_the_benchmark():
    view, errors = from_query("?seed=42&days=14&benchmark=quick-check&baseline=2023/technology", View())
    assert errors == [] and (view.benchmark, view.baseline) == ("quick-check", "2023/technology")
    assert "benchmark=quick-check" in to_query(view, View()) and "baseline=2023%2Ftechnology" in to_query(view, View())
    assert "benchmark" not in to_query(View(), View())          # the defaults stay out of the link
    view, errors = from_query("?baseline=%202023%20&benchmark=%20quick-check", View())
    assert errors == [] and (view.baseline, view.benchmark) == ("2023", "quick-check")
    assert "baseline=2023&" in to_query(view, View()) + "&"
    view, errors = from_query("?baseline=2099", View())
    assert view.baseline == "2024" and errors[0].startswith("In the link: “2099” is not a Quick Check baseline")
    step = transition("url", "?benchmark=quick-check&baseline=2023", {}, View())
    assert (step.controls["benchmark"], step.controls["baseline"]) == ("quick-check", "2023")


def test_choosing_a_benchmark_writes_the_link():
    values = {"seed": "42", "days": 14, "scenario": "auto", "tab": "dora", "rate": "150", "value": "200", "devs": "8",
              "source": "", "only": [], "start": None, "end": None}
    step = transition("benchmark-choice", "?seed=42&days=14&tab=dora", {**values, "benchmark": "quick-check"}, View())
    assert step.view.benchmark == "quick-check" and "benchmark=quick-check" in step.search
    step = transition("baseline-dropdown", step.search, {**values, "benchmark": "quick-check",
                                                        "baseline": "2024/size/fewer_than_100"}, View())
    assert step.view.baseline == "2024/size/fewer_than_100" and "baseline=2024%2Fsize%2Ffewer_than_100" in step.search
    # a forged choice changes nothing but the message
    step = transition("baseline-dropdown", "?seed=42", {**values, "baseline": "<b>"}, View())
    assert step.view is None and "is not a Quick Check baseline" in step.message


@pytest.fixture(scope="module")
def ample():
    """tests/helpers.py's ``ample_rows``: the hand scores from enough evidence, and an empty week before."""
    rows = ample_rows()
    return analysis_of(rows), analysis_of(rows, "2023-12-25", "2024-01-01")


def cards_of(hand, benchmark="tiers", base="2024"):
    c = Computed(hand[0], hand[1], "", "", ("api", "db", "web"), benchmark=benchmark, baseline=base)
    return TAB_VIEWS["dora"](c, "light")


def test_judged_by_tiers_the_cards_show_tiers_and_neutral_scores(ample, hand):
    cards, _ = cards_of(ample)
    assert find(cards, "kpi-cfr-tier") is not None and find(cards, "kpi-overall") is not None
    assert find(cards, "kpi-cfr-score").className == "badge text-bg-light border"
    assert find(cards, "kpi-qc-overall") is None
    assert find(cards, "dora-throughput-note").children.startswith("DORA Quick Check: overall 6.1/10, All industries")
    # hand.csv: no lead time and recovery scores, so no overall score: "n/a", never "n/a/10"
    cards, _ = cards_of(hand)
    assert find(cards, "dora-throughput-note").children.startswith("DORA Quick Check: overall n/a, All industries")


def test_judged_by_the_quick_check_the_cards_show_standings(ample):
    cards, charts = cards_of(ample, "quick-check", "2024")
    for tiered in ("kpi-lead-time-tier", "kpi-deploys-tier", "kpi-mttr-tier", "kpi-cfr-tier", "kpi-overall"):
        assert find(cards, tiered) is None, tiered
    # above -> green, below -> red (the hand scores against 2024 All industries)
    assert find(cards, "kpi-lead-time-score").className == "badge text-bg-success"
    assert find(cards, "kpi-fdrt-score").className == "badge text-bg-success"
    assert find(cards, "kpi-cfr-score").className == "badge text-bg-danger"
    assert "below the average" in find(cards, "kpi-cfr-score").title
    # the overall score 6.07 against 6.7 (std 1.8): near -> amber
    assert find(cards, "kpi-qc-overall-value").children == "6.1/10"
    assert find(cards, "kpi-qc-overall-score").children == "just below avg 6.7"
    assert find(cards, "kpi-qc-overall-score").className == "badge text-bg-warning"
    # 7 deployments, 5 PRs and 5 incidents: the scores stand on low samples, and the card says so
    assert find(cards, "kpi-qc-overall-caution") is not None
    assert "scores from under 20 events" in str(find(cards, "kpi-qc-overall-caution").children)
    assert "no published average is used for it" in find(cards, "kpi-rework-score").title
    assert "Judged by DORA's Quick Check against All industries (2024 Quick Check)" in \
        find(cards, "dora-throughput-note").children
    # another baseline: 2024 "just me" puts the change failure rate within one standard deviation -> amber
    cards, _ = cards_of(ample, "quick-check", "2024/size/fewer_than_00002")
    assert find(cards, "kpi-cfr-score").className == "badge text-bg-warning"


def test_cfr_chart_lines_follow_the_benchmark(hand):
    q = hand[0].current_dora(baseline("2024"))["quick_check"]
    assert cfr_lines(q, True) == [(5.0, "elite <= 5 %"), (10.0, "high <= 10 %"), (15.0, "medium <= 15 %")]
    # 2024 All industries: score 8.3 -> 100 - 83 = 17 % of changes fail
    (rate, label), = cfr_lines(q, False)
    assert rate == pytest.approx(17.0) and label == "All industries average 17 %"
    _, charts = cards_of(hand, "quick-check")
    text = json.dumps(charts.to_plotly_json(), default=str)
    assert "All industries average 17 %" in text and "elite <= 5 %" not in text and "elite < 1 d" not in text
    _, charts = cards_of(hand)
    assert "elite < 1 d" in json.dumps(charts.to_plotly_json(), default=str)


def test_the_benchmark_panel_shows_on_the_dora_tab_only(hand):
    c = Computed(hand[0], hand[1], "", "", ("api", "db", "web"))
    for tab, shown in (("dora", "block"), ("pvm", "none"), ("space", "none")):
        out, _ = render(View(tab=tab), c, None, "light", None, [], "", {})
        assert out["benchmark_panel"] == {"display": shown}, tab


def test_the_dashboard_default_comes_from_the_environment(monkeypatch):
    from dashboard.app import benchmark_defaults
    from dashboard.auth import AuthConfigError
    view = benchmark_defaults(View(seed=7), {"METRICS_BENCHMARK": "quick-check", "METRICS_BASELINE": "2023/energy"})
    assert (view.seed, view.benchmark, view.baseline) == (7, "quick-check", "2023/energy")
    assert benchmark_defaults(View(), {}) == View()
    with pytest.raises(AuthConfigError, match=r"^METRICS_BENCHMARK: “stars” is not a benchmark"):
        benchmark_defaults(View(), {"METRICS_BENCHMARK": "stars"})
    # the server does not start on a bad one: a sentence and exit 2, no traceback
    monkeypatch.setenv("METRICS_BASELINE", "2024/mars")
    done = run_cli("app.py", "--port", "1", module=None)
    assert done.returncode == 2 and "error: METRICS_BASELINE: “2024/mars” is not a Quick Check baseline" in done.stderr
    assert "Traceback" not in done.stderr
