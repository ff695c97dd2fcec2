"""The AI comparison (docs/metrics.md "AI-assisted delivery: the comparison"), on canonical events whose
answers were worked out by hand.

``hand_rows()``: service api, window 2024-01-01 (a Monday) to 2024-01-22 (three ISO weeks).
- AI-assisted PR a{i}, i = 0..19: created 2024-01-01 00:00 + 6i h, first commit i + 1 h before, first
  review 1 h after creation, merged 2 h after, shipped by its own deployment d-a{i} (explicit link)
  10 + i h after creation; 10 (i + 1) lines added, 0 removed. Lead times 10..29 h: median 19.5, p75
  (position 19 x 0.75 = 14.25) 24.25; coding 1..20 h: median 10.5; pickup 1, review 1; deploy 8..27 h:
  median 17.5; sizes 10..200: median 105, p75 152.5.
- Other PR o{j}, j = 0..19: created 2024-01-08 00:00 + 6j h, first commit 1 h before, reviewed + 1 h,
  merged + 2 h, own deployment d-o{j} 20 + 2j h after creation; 20 (j + 1) lines. Lead times 20, 22 ..
  58: median 39, p75 48.5; coding 1; deploy 18..56: median 37; sizes 20..400: median 210, p75 305.
- Unknown u0, u1: created 2024-01-09 00:00 and 01:00, merged + 2 h, no review, no deployment, no verdict.
- AI-assisted a-open: created 2024-01-10 00:00, never merged.
Deployments: d-a0..d-a4 failed, d-a5 a hotfix; d-o0, d-o1 failed, d-o2..d-o5 hotfixes. Each ships one PR
with a verdict: 20 mostly AI (5 failed: 25 %, 1 rework: 5 %), 20 other (2 failed: 10 %, 4 rework: 20 %).
Merged: 20 AI, 20 other, 2 unknown: share 50 %; reviewed before merge 40 of 42 = 95.238 %.
Adoption: week 1 (01-01): 20 PRs, 20 judged, 20 AI, 100 %; week 2 (01-08): 23 PRs (20 other, u0, u1,
a-open), 21 judged, 1 AI, 4.762 %; week 3: none. Copilot: active users 4 (01-01) and 6 (01-02): mean 5;
suggestions 100 + 50, acceptances 30 + 20: 33.33 %. Capability "Working in small batches": 4 and 5, mean 4.5.
"""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from conftest import run_cli
from helpers import analysis_of, ev
from metrics import defaults
from metrics.compute import ai
from metrics.summary import to_json
from metrics.tables import NA

START, END = "2024-01-01", "2024-01-22"
T0 = pd.Timestamp("2024-01-01T00:00:00Z")
WEEK2 = pd.Timestamp("2024-01-08T00:00:00Z")


def at(base, hours) -> str:
    return (base + pd.Timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def pr_rows(name, created, coding_h, lead_h, lines, verdict=None, failed=False, hotfix=False, rule="trailer"):
    """The events of one merged PR shipped by its own deployment (see the module's docstring)."""
    rows = [ev(at(created, 0), "pr_created", pr_id=name, author="dev"),
            ev(at(created, -coding_h), "pr_first_commit", pr_id=name),
            ev(at(created, 1), "pr_reviewed", pr_id=name),
            ev(at(created, 2), "pr_merged", pr_id=name, deploy_id=f"d-{name}"),
            ev(at(created, 2), "pr_lines_added", pr_id=name, metric_value=lines),
            ev(at(created, 2), "pr_lines_removed", pr_id=name, metric_value=0),
            ev(at(created, lead_h), "deploy", deploy_id=f"d-{name}", environment="production",
               status="failed" if failed else "success", change_type="hotfix" if hotfix else "feature")]
    if verdict is not None:
        rows.append(ev(at(created, 0), "pr_ai_assisted", pr_id=name, metric_value=verdict,
                       status=rule if verdict else "none", author="copilot" if verdict else ""))
    return rows


def hand_rows(ai_prs: int = 20, other_prs: int = 20) -> list:
    rows = []
    for i in range(ai_prs):
        rows += pr_rows(f"a{i}", T0 + pd.Timedelta(hours=6 * i), i + 1, 10 + i, 10 * (i + 1), 1, failed=i < 5,
                        hotfix=i == 5)
    for j in range(other_prs):
        rows += pr_rows(f"o{j}", WEEK2 + pd.Timedelta(hours=6 * j), 1, 20 + 2 * j, 20 * (j + 1), 0, failed=j < 2,
                        hotfix=2 <= j <= 5)
    for k in range(2):
        rows += [ev(at(WEEK2, 24 + k), "pr_created", pr_id=f"u{k}"), ev(at(WEEK2, 26 + k), "pr_merged", pr_id=f"u{k}")]
    rows += [ev(at(WEEK2, 48), "pr_created", pr_id="a-open"),
             ev(at(WEEK2, 48), "pr_ai_assisted", pr_id="a-open", metric_value=1, status="label")]
    for day, users, suggested, accepted in (("2024-01-01", 4, 100, 30), ("2024-01-02", 6, 50, 20)):
        rows += [ev(f"{day}T00:00:00Z", "ai_active_users", "team", metric_value=users),
                 ev(f"{day}T00:00:00Z", "ai_suggestions", "team", metric_value=suggested),
                 ev(f"{day}T00:00:00Z", "ai_acceptances", "team", metric_value=accepted)]
    rows += [ev("2024-01-03T09:00:00Z", "ai_capability_small_batches", "team", metric_value=score) for score in (4, 5)]
    return rows


def boot(values, seed, qs=(0.5, 0.75), resamples=1000):
    """An independent bootstrap as docs/metrics.md describes it: the statistics of resamples drawn as
    one (resamples, n) array of indices by numpy's default_rng(seed)."""
    v = np.asarray(values, dtype=float)
    idx = np.random.default_rng(seed).integers(0, len(v), size=(resamples, len(v)))
    return np.stack([np.quantile(v[idx], q, axis=1) for q in qs], axis=1)


def percentile_interval(stats):
    return np.percentile(stats, [5, 95], axis=0)


@pytest.fixture(scope="module")
def hand():
    return analysis_of(hand_rows(), START, END)


def test_counts_share_and_review_before_merge(hand):
    prs = hand.ai_comparison["prs"]
    assert prs["merged_prs"] == {"ai": 20, "other": 20, "unknown": 2}
    assert prs["ai_share_pct"] == 50.0
    assert prs["reviewed_before_merge_pct"] == {"ai": 100.0, "other": 100.0, "all": pytest.approx(40 / 42 * 100)}
    assert prs["not_comparable"] is None and prs["min_sample"] == defaults.AI_MIN_SAMPLE == 20
    assert hand.ai_comparison["prs_with_verdict"] == 41          # 40 merged and a-open
    assert hand.ai_counts == {"ai": 20, "other": 20, "unknown": 2, "ai_share_pct": 50.0}


def test_medians_and_p75_by_hand(hand):
    m = hand.ai_comparison["prs"]["measures"]
    assert list(m) == ["lead_time", "coding", "pickup", "review", "deploy", "pr_size", "review_turnaround"]
    expected = {"lead_time": ((19.5, 24.25), (39.0, 48.5)), "coding": ((10.5, 15.25), (1.0, 1.0)),
                "pickup": ((1.0, 1.0), (1.0, 1.0)), "review": ((1.0, 1.0), (1.0, 1.0)),
                "deploy": ((17.5, 22.25), (37.0, 46.5)), "pr_size": ((105.0, 152.5), (210.0, 305.0)),
                "review_turnaround": ((1.0, 1.0), (1.0, 1.0))}
    for key, ((ai_med, ai_p75), (other_med, other_p75)) in expected.items():
        assert (m[key]["ai"]["median"], m[key]["ai"]["p75"]) == (ai_med, ai_p75), key
        assert (m[key]["other"]["median"], m[key]["other"]["p75"]) == (other_med, other_p75), key
        assert m[key]["ai"]["prs"] == m[key]["other"]["prs"] == 20, key
        assert m[key]["difference"]["median"] == ai_med - other_med, key
    assert m["lead_time"]["difference"]["median"] == -19.5


def test_identical_values_have_a_point_interval(hand):
    # every pickup is 1 h: every resample's median and p75 is 1, so is the interval, and the difference's is 0
    pickup = hand.ai_comparison["prs"]["measures"]["pickup"]
    assert pickup["ai"]["median_interval"] == pickup["ai"]["p75_interval"] == [1.0, 1.0]
    assert pickup["difference"]["median_interval"] == [0.0, 0.0]


def test_bootstrap_intervals_match_an_independent_implementation(hand):
    m = hand.ai_comparison["prs"]["measures"]["lead_time"]
    ai_stats = boot(10 + np.arange(20), defaults.BOOTSTRAP_SEED)                 # the AI group: the seed
    other_stats = boot(20 + 2 * np.arange(20), defaults.BOOTSTRAP_SEED + 1)      # the other group: seed + 1
    for group, stats in (("ai", ai_stats), ("other", other_stats)):
        lo_hi = percentile_interval(stats)
        assert m[group]["median_interval"] == pytest.approx(lo_hi[:, 0].tolist(), abs=1e-12), group
        assert m[group]["p75_interval"] == pytest.approx(lo_hi[:, 1].tolist(), abs=1e-12), group
        # an interval holds its median, and is not a point (the values differ)
        assert m[group]["median_interval"][0] < m[group]["median"] < m[group]["median_interval"][1]
    diff = percentile_interval(ai_stats - other_stats)
    assert m["difference"]["median_interval"] == pytest.approx(diff[:, 0].tolist(), abs=1e-12)
    assert m["difference"]["median_interval"][1] < 0                  # AI-assisted were faster in every resample's 95 %


def test_the_blocks_of_resamples_give_one_draws_numbers():
    values = np.arange(37, dtype=float) ** 1.5
    whole = ai.resampled(values, 7, 101)
    for cells in (1, 37, 100, 37 * 100):                # a block of 1, 1, 2 and 100 resamples
        assert np.array_equal(ai.resampled(values, 7, 101, block_cells=cells), whole)
    assert np.array_equal(whole, boot(values, 7, resamples=101))


def test_min_sample_message_and_its_edge():
    short = analysis_of(hand_rows(ai_prs=19), START, END).ai_comparison
    assert short["prs"]["measures"] is None
    assert short["prs"]["not_comparable"] == ("Too few to compare: 19 AI-assisted and 20 other merged PRs in this "
                                              "window; a comparison needs at least 20 of each.")
    assert short["deployments"]["not_comparable"] == (
        "Too few to compare: 19 AI-assisted and 20 other deployments (mostly AI-assisted PRs, others) in this window; "
        "a comparison needs at least 20 of each.")
    assert short["deployments"]["mostly_ai"]["change_failure_rate_pct"] is None
    assert short["deployments"]["mostly_ai"]["deployments"] == 19            # the counts stay
    assert short["prs"]["ai_share_pct"] == pytest.approx(19 / 39 * 100)


def test_deployments_mostly_ai_against_others(hand):
    d = hand.ai_comparison["deployments"]
    assert d["mostly_ai"] == {"deployments": 20, "failed_deployments": 5, "rework_deployments": 1,
                              "change_failure_rate_pct": 25.0, "rework_rate_pct": 5.0}
    assert d["other"] == {"deployments": 20, "failed_deployments": 2, "rework_deployments": 4,
                          "change_failure_rate_pct": 10.0, "rework_rate_pct": 20.0}
    assert d["without_verdict"] == 0 and d["not_comparable"] is None and d["mostly_ai_share"] == 0.5


def test_mostly_ai_on_its_edge():
    # deployments X: 1 AI + 1 other (exactly half: not mostly); Y: 2 AI + 1 other (2/3); Z: 1 AI + 1 unknown
    # (the unknown is left out: 1 of 1); W: only an unknown PR; V: none. X and V failed, W and Y rework.
    inside = pd.DataFrame({"key": [10, 11, 12, 13, 14]})
    prs = pd.DataFrame({"deploy_key": [10, 10, 11, 11, 11, 12, 12, 13, NA]})
    verdict = np.array([1, 0, 1, 1, 0, 1, np.nan, np.nan, 1])
    out = ai.compare_deployments(prs, verdict, inside, [True, False, False, False, True],
                                 [False, True, False, True, False], min_sample=1)
    assert out["mostly_ai"] == {"deployments": 2, "failed_deployments": 0, "rework_deployments": 1,
                                "change_failure_rate_pct": 0.0, "rework_rate_pct": 50.0}
    assert out["other"] == {"deployments": 1, "failed_deployments": 1, "rework_deployments": 0,
                            "change_failure_rate_pct": 100.0, "rework_rate_pct": 0.0}
    assert out["without_verdict"] == 2


def test_adoption_per_week(hand):
    weeks = hand.ai_comparison["adoption"]
    assert [(w["start"], w["end"], w["days"]) for w in weeks] == [
        ("2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z", 7), ("2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z", 7),
        ("2024-01-15T00:00:00Z", "2024-01-22T00:00:00Z", 7)]
    assert [(w["prs"], w["judged"], w["ai_prs"]) for w in weeks] == [(20, 20, 20), (23, 21, 1), (0, 0, 0)]
    assert [w["ai_share_pct"] for w in weeks] == [100.0, pytest.approx(100 / 21), None]
    assert weeks[0]["active_users_mean"] == 5.0 and weeks[1]["active_users_mean"] is None
    assert (weeks[0]["suggestions"], weeks[0]["acceptances"]) == (150.0, 50.0)
    assert weeks[0]["acceptance_pct"] == pytest.approx(100 / 3) and weeks[1]["acceptance_pct"] is None
    assert hand.ai_comparison["usage"] is True


def test_a_report_of_two_organisations_adds_up_per_day():
    rows = [ev("2024-01-01T00:00:00Z", "ai_active_users", org, metric_value=n) for org, n in (("a", 3), ("b", 5))]
    rows.append(ev("2024-01-03T00:00:00Z", "ai_active_users", "a", metric_value=2))
    weeks = analysis_of(rows, START, END).ai_comparison["adoption"]
    assert weeks[0]["active_users_mean"] == 5.0          # days 01-01 (3 + 5) and 01-03 (2): (8 + 2) / 2


def test_capabilities(hand):
    caps = hand.ai_comparison["capabilities"]
    assert [c["name"] for c in caps] == ["Clear and communicated AI stance", "Healthy data ecosystems",
                                         "AI-accessible internal data", "Strong version control practices",
                                         "Working in small batches", "User-centric focus", "Quality internal platforms"]
    small = caps[4]
    assert (small["responses"], small["mean"]) == (2, 4.5)
    assert small["facts"] == ["deploy_batch_prs_median", "pr_size_lines_median", "large_pr_share_pct"]
    assert caps[0]["responses"] == 0 and caps[0]["mean"] is None


def test_no_verdicts_no_comparison():
    rows = [r for r in hand_rows() if r["kind"] != "pr_ai_assisted"]
    out = analysis_of(rows, START, END).ai_comparison
    assert out["prs_with_verdict"] == 0 and out["prs"]["merged_prs"] == {"ai": 0, "other": 0, "unknown": 42}
    assert out["prs"]["ai_share_pct"] is None and out["prs"]["measures"] is None
    assert out["deployments"]["without_verdict"] == 40


def test_json_key_ai(hand, tmp_path):
    body = json.loads(json.dumps(to_json(hand)))
    assert set(body["ai"]) == {"prs_with_verdict", "bootstrap", "prs", "deployments", "adoption", "usage", "capabilities"}
    assert body["ai"]["bootstrap"] == {"resamples": 1000, "level_pct": 90, "seed": defaults.BOOTSTRAP_SEED,
                                       "method": "percentile"}
    path = tmp_path / "events.csv"
    pd.DataFrame(hand_rows()).to_csv(path, index=False)
    p = run_cli("--events", path, "--start", START, "--end", END, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["ai"] == body["ai"]


def test_every_ai_key_is_defined_in_the_docs(hand):
    from conftest import ROOT
    text = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    section = text[text.index("## AI-assisted delivery: the comparison"):]
    section = section[:section.index("\n## ", 5)]

    def keys(value):
        if isinstance(value, dict):
            for k, v in value.items():
                yield k
                yield from keys(v)
        elif isinstance(value, list):
            for v in value:
                yield from keys(v)
    # a key is named in backquotes, alone or as the last part of a path (`prs.min_sample`)
    named = set(re.findall(r"`(?:[\w.]+\.)?(\w+)`", section))
    missing = set(keys(json.loads(json.dumps(hand.ai_comparison)))) - named
    assert not missing, missing


# ----- the tab's figures (components.figures) and the tab ---------------------------------------

def test_the_whiskers_are_the_intervals():
    from components import figures as fg
    ai_part = {"median": 10.0, "median_interval": [8.0, 13.0], "prs": 21}
    other = {"median": 20.0, "median_interval": None, "prs": 0}
    fig = fg.group_medians([("lead time", ai_part, other)], "light", 90)
    bar_ai, bar_other = fig.data
    assert (bar_ai.name, list(bar_ai.y), list(bar_ai.error_y.array), list(bar_ai.error_y.arrayminus)) == \
        ("AI-assisted", [10.0], [3.0], [2.0])
    assert np.isnan(bar_other.error_y.array[0])                 # no interval: no whisker
    assert "21 PRs; 90 % interval 8.0 to 13.0" in bar_ai.customdata[0]


def test_the_deployment_bars_say_what_they_stand_on():
    from components import figures as fg
    groups = {"ai": {"deployments": 20, "failed_deployments": 5, "rework_deployments": 1, "change_failure_rate_pct": 25.0,
                     "rework_rate_pct": 5.0},
              "other": {"deployments": 1, "failed_deployments": 0, "rework_deployments": 0,
                        "change_failure_rate_pct": 0.0, "rework_rate_pct": 0.0}}
    fig = fg.deployment_rates(groups, "dark")
    assert list(fig.data[0].y) == [25.0, 5.0] and list(fig.data[0].text) == ["5 of 20 deployments", "1 of 20 deployments"]
    assert list(fig.data[1].text) == ["0 of 1 deployment", "0 of 1 deployment"]


def tab_of(rows, start=START, end=END, prev_start="2023-12-11"):
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS
    c = Computed(analysis_of(rows, start, end), analysis_of(rows, prev_start, start), "", "", ("api",))
    return TAB_VIEWS["ai"](c, "light")


def test_the_adoption_chart_spans_the_window_and_draws_usage_on_a_second_axis(hand):
    from components.panels import figures, shape
    cards, charts = tab_of(hand_rows())
    assert shape("ai", charts) == ["ai", "ai-stages", "ai-size", "ai-adoption", "empty", "ai-deployments", "empty", "empty"]
    assert "windows of 90 days or more" in str(charts)                 # a 21-day window: no monthly trends
    fig = figures(charts)["ai-adoption"]
    assert [pd.Timestamp(x) for x in fig.layout.xaxis.range] == [pd.Timestamp(START, tz="UTC"), pd.Timestamp(END, tz="UTC")]
    assert list(fig.data[0].y[:2]) == [100.0, pytest.approx(100 / 21)] and np.isnan(fig.data[0].y[2])
    assert fig.data[1].yaxis == "y2" and fig.data[1].y[0] == 5.0
    without = [r for r in hand_rows() if not r["kind"].startswith("ai_")]
    assert len(figures(tab_of(without)[1])["ai-adoption"].data) == 1        # no report: no second axis


def test_the_five_keys_by_month_are_drawn_beside_the_adoption_from_90_days(hand):
    """A window of 2024-01-01 to 2024-03-31 (90 days): the AI tab draws the DORA tab's monthly trends,
    a line per key in its registry label, the months January to March, beside the adoption."""
    from components.panels import figures, shape
    from metrics.builtin import BY_KEY
    from metrics.compute.trends import DORA_TREND_KEYS
    charts = tab_of(hand_rows(), end="2024-03-31", prev_start="2023-10-03")[1]
    names = shape("ai", charts)
    assert names.index("ai-trends") == names.index("ai-adoption") + 1
    fig = figures(charts)["ai-trends"]
    drawn = [t.name for t in fig.data if not t.name.endswith("a year earlier")]
    assert drawn == [BY_KEY[key].label for key in DORA_TREND_KEYS] and len(drawn) == 5
    assert [pd.Timestamp(x).strftime("%Y-%m") for x in fig.data[0].x] == ["2024-01", "2024-02", "2024-03"]


def test_the_cards_of_the_tab(hand):
    text = str(tab_of(hand_rows())[0])
    assert "'50.0%'" in text and "20 of 40 merged PRs with a verdict; 2 unknown" in text
    assert "'-19.5 h'" in text and "90 % interval" in text


def test_a_review_at_the_merge_is_before_it():
    # p: reviewed exactly at its merge (counts); q: reviewed 1 ns after it; r: never reviewed; s: not merged
    prs = pd.DataFrame({"merged": [100, 100, 100, NA], "first_review": [100, 101, NA, 50]})
    out = ai.compare_prs(prs, np.array([1.0, 1.0, 0.0, 1.0]), min_sample=10**6)
    assert out["reviewed_before_merge_pct"] == {"ai": 50.0, "other": 0.0, "all": pytest.approx(100 / 3)}
    assert out["merged_prs"] == {"ai": 2, "other": 1, "unknown": 0} and out["measures"] is None


def test_below_the_sample_the_tab_shows_the_sentence_in_place_of_the_chart():
    from components.panels import panels
    cards, charts = tab_of(hand_rows(ai_prs=19))
    shown = {p.id: p for p in panels(charts) if isinstance(getattr(p, "id", None), str)}
    assert shown["ai-not-comparable"].children.startswith("Too few to compare: 19 AI-assisted and 20 other merged PRs")
    assert shown["ai-deployments-not-comparable"].children.startswith("Too few to compare: 19 AI-assisted and 20 other")
    assert "Too few to compare" in str(cards) and "kpi-ai-lead-diff-caution" in str(cards)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40), st.integers(0, 2**32 - 1))
def test_an_interval_is_ordered_and_inside_the_values(values, seed):
    part, stats = ai.described(values, seed, 200)
    lo, hi = part["median_interval"]
    assert min(values) <= lo <= hi <= max(values)
    assert part["p75_interval"][0] <= part["p75_interval"][1] and part["prs"] == len(values)
    assert stats.shape == (200, 2)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([None, 0, 1]), st.integers(1, 200), st.booleans(), st.booleans()),
                max_size=30), st.integers(0, 3))
def test_any_verdicts_give_counts_that_add_up(prs, min_sample):
    rows = []
    for i, (verdict, lead, failed, merged) in enumerate(prs):
        created = T0 + pd.Timedelta(hours=i)
        rows += [ev(at(created, 0), "pr_created", pr_id=f"p{i}")]
        if merged:
            rows += [ev(at(created, 1), "pr_merged", pr_id=f"p{i}", deploy_id=f"d{i}"),
                     ev(at(created, lead + 1), "deploy", deploy_id=f"d{i}", status="failed" if failed else "success")]
        if verdict is not None:
            rows.append(ev(at(created, 0), "pr_ai_assisted", pr_id=f"p{i}", metric_value=verdict,
                           status="label" if verdict else "none"))
    an = analysis_of(rows, START, END)
    out = ai.comparison(an.tables, an.window, an._rows["prs"], an._rows["deployments"], an._rows["failed"],
                        an._rows["rework"], min_sample)
    n = out["prs"]["merged_prs"]
    assert n["ai"] + n["other"] + n["unknown"] == sum(merged for *_, merged in prs)
    assert sum(w["prs"] for w in out["adoption"]) == len(prs)
    d = out["deployments"]
    assert d["mostly_ai"]["deployments"] + d["other"]["deployments"] + d["without_verdict"] == sum(m for *_, m in prs)
    assert (out["prs"]["measures"] is None) == (min(n["ai"], n["other"]) < min_sample)


def test_a_change_in_use_is_neither_better_nor_worse():
    # the previous period is week 1 of the hand rows (AI-assisted PRs only: 100 %), this one weeks 2-3 (0 %)
    cards, _ = tab_of(hand_rows(), start="2024-01-08", prev_start="2024-01-01")
    text = str(cards)
    assert "-100.0 pp" in text and "▼ -100 %" in text         # the share's and the count's change
    assert "text-danger" not in text and "text-success" not in text


def test_the_json_api_mirrors_the_command_line(hand, tmp_path):
    from dashboard.app import create_app
    path = tmp_path / "events.csv"
    pd.DataFrame(hand_rows()).to_csv(path, index=False)
    assert run_cli("import", "--from", "events", path, "--name", "aihand").returncode == 0
    reply = create_app().server.test_client().get(f"/api/v1/summary?data=aihand&from={START}&to=2024-01-21")
    assert reply.status_code == 200
    assert reply.get_json()["ai"] == json.loads(json.dumps(to_json(hand)))["ai"]
