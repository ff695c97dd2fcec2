"""Incident attribution reasons, overrides, the failed deployment recovery time and the Quick
Check scores, worked out by hand on tests/fixtures/hand.csv (see test_hand_computed.py for what
the file holds; the window is 2024-01-01 to 2024-01-08)."""

import pytest

from metrics import Window, analyze, load_events, tables_from_frame
from metrics.attribution import AttributionError, Overrides, read_overrides
from metrics.benchmarks import against, baseline, duration_answer, frequency_answer, percent_score, quick_check

WINDOW = Window.between("2024-01-01", "2024-01-08")


@pytest.fixture(scope="module")
def tables():
    from conftest import FIXTURES
    frame, _ = load_events([FIXTURES / "hand.csv"])
    return tables_from_frame(frame)


def by_incident(an):
    return an.incident_rows().set_index("incident_id")


def test_each_reason(tables):
    inc = by_incident(analyze(tables, WINDOW))
    # i3 names d1; i1, i2, i4 follow a deployment of api within 24 h; i5 (db) follows none
    assert dict(inc["reason"]) == {"i1": "same service within 24 hours", "i2": "same service within 24 hours",
                                   "i3": "explicit link (deploy_id)", "i4": "same service within 24 hours",
                                   "i5": "none"}
    # the window's length is in the words
    assert by_incident(analyze(tables, WINDOW, attribution_hours=1)).loc["i2", "reason"] == \
        "same service within 1 hours"


def test_failed_deployment_recovery_time(tables):
    an = analyze(tables, WINDOW)
    f = an.details["failed_deployment_recovery"]
    # attributed: i1 (60 min), i2 (30), i3 (120), i4 (open); i5 (10 min, db) is not -> 3 timed
    assert (f["incidents"], f["recoveries"]) == (4, 3)
    assert f["recovery_minutes_mean"] == pytest.approx(70.0)
    assert f["recovery_minutes_median"] == pytest.approx(60.0)
    # p95 of [30, 60, 120]: position 1.9 -> 60 + 0.9 x 60 = 114
    assert f["recovery_minutes_p95"] == pytest.approx(114.0)
    # today's recovery time (all incidents) is unchanged beside it: median of 10, 30, 60, 120
    assert an.summary["dora"]["mttr_minutes_median"] == pytest.approx(45.0)


def test_pin_override(tables):
    # i5 (db, no deployment) pinned to d3; i2 pinned to d4 instead of d2
    an = analyze(tables, WINDOW, overrides=Overrides({"i5": "d3", "i2": "d4"}))
    inc = by_incident(an)
    assert inc.loc["i5", "deploy_id"] == "api@d3" and inc.loc["i5", "reason"] == "pinned by override"
    assert inc.loc["i2", "deploy_id"] == "api@d4"
    # failed: d3 (status), d1 (i3), d5 (i4), d4 (i2); d2 no longer -> 4 of 7, d0 outside
    assert an.details["failed_deployments"] == 4
    assert an.summary["dora"]["unattributed_incidents"] == 0
    # attributed resolved: 60, 30, 120, 10 -> median 45
    assert an.details["failed_deployment_recovery"]["recovery_minutes_median"] == pytest.approx(45.0)


def test_not_caused_override(tables):
    # i2 and i3 (even with its explicit link) caused by no deployment
    an = analyze(tables, WINDOW, overrides=Overrides(not_caused=frozenset({"i2", "i3"})))
    inc = by_incident(an)
    assert inc.loc["i3", "deploy_id"] == "" and inc.loc["i3", "reason"] == "none: override, not caused by a deployment"
    assert inc.loc["i2", "attribution"] == "not caused"
    # failed: d3 (status), d5 (i4); d1 and d2 no longer -> 2 of 7
    assert an.details["failed_deployments"] == 2
    assert an.summary["dora"]["change_failure_rate_pct"] == pytest.approx(200 / 7)
    assert an.summary["dora"]["unattributed_incidents"] == 3
    # attributed resolved: i1 only (60 min)
    assert an.details["failed_deployment_recovery"]["recovery_minutes_median"] == pytest.approx(60.0)


def test_pin_to_a_missing_deployment_and_unknown_incidents(tables):
    an = analyze(tables, WINDOW, overrides=Overrides({"i1": "d99", "nope": "d1"}))
    inc = by_incident(an)
    assert inc.loc["i1", "deploy_id"] == "" and inc.loc["i1", "reason"] == "none: the pinned deployment is not in the data"
    assert an.summary["dora"]["unattributed_incidents"] == 2


def test_synthetic_ids_can_be_overridden():
    from metrics import generate
    u = generate(14, 7)
    an = analyze(u.tables, u.window)
    rows = an.incident_rows()
    target = rows[rows["deploy_id"] != ""].iloc[0]
    again = analyze(u.tables, u.window, overrides=Overrides(not_caused=frozenset({target["incident_id"]})))
    row = again.incident_rows().set_index("incident_id").loc[target["incident_id"]]
    assert row["attribution"] == "not caused"
    assert again.summary["dora"]["unattributed_incidents"] == an.summary["dora"]["unattributed_incidents"] + 1


def test_read_overrides(tmp_path):
    f = tmp_path / "attribution.toml"
    f.write_text('not_caused = ["i2"]\n[pin]\n"i5" = "d3"\n')
    assert read_overrides(f) == Overrides({"i5": "d3"}, frozenset({"i2"}))
    assert not read_overrides(tmp_path / "absent.toml")
    for text, words in (("pin = [", "not valid TOML"), ("pins = {}", "unknown key 'pins'"),
                        ("not_caused = \"i2\"", "not_caused must be a list"), ("[pin]\ni1 = 3", "[pin] maps"),
                        ('not_caused = ["i1"]\n[pin]\ni1 = "d1"', "both pinned and not_caused")):
        f.write_text(text)
        with pytest.raises(AttributionError, match=words.replace("[", r"\[")):
            read_overrides(f)


def test_quick_check_buckets_and_scores():
    # answers 1..6 score 0, 2, 4, 6, 8, 10; bounds: 1 h, 1 day, 1 week, 30 days, 180 days
    assert [duration_answer(h) for h in (0.5, 1, 23.9, 24, 167, 168, 719, 720, 4319, 4320)] == \
        [6, 5, 5, 4, 4, 3, 3, 2, 2, 1]
    # deployments a day: 24 and more an hour's interval or less -> "on demand"
    assert [frequency_answer(r) for r in (30, 24, 1, 0.99, 1 / 7, 1 / 30, 1 / 180, 0.001)] == [6, 6, 5, 4, 4, 3, 2, 1]
    assert (percent_score(0), percent_score(15), percent_score(100)) == (10.0, 8.5, 0.0)
    # lead time 30 h (answer 4: 6), 2 a day (answer 5: 8), recovery 45 min (answer 6: 10), CFR 20 % (8)
    q = quick_check(30, 2, 45, 20, 10)
    assert q["scores"]["overall"] == pytest.approx((6 + 8 + 10 + 8) / 4)
    assert q["scores"]["rework_rate"] == 9.0
    assert against(q, baseline("2024"))["industry_average"]["overall"] == 6.7
    assert quick_check(None, 2, 45, 20, 10)["scores"]["overall"] is None


def test_quick_check_on_the_hand_data(tables):
    an = analyze(tables, WINDOW)
    q = an.details["quick_check"]["scores"]
    # 6 / 7 deploys a day -> once a day to once a week (6); CFR 400/7 % -> (100 - 57.14) / 10: 7 deployments
    # are evidence enough (METRICS.md section 3)
    assert q["deployment_frequency"] == 6.0 and q["change_failure_rate"] == pytest.approx((100 - 400 / 7) / 10)
    # lead time (4 deployed PRs) and failed deployment recovery (3 attributed incidents): too little evidence,
    # no score, so no overall
    assert (q["lead_time"], q["failed_deployment_recovery_time"], q["overall"]) == (None, None, None)
    # what they would score: lead time median 28 h -> 1 day to 1 week (6); failed deployment recovery 60 min
    # -> less than a day (8)
    assert an.summary["dora"]["lead_time_hours_median"] == 28.0
    assert an.details["failed_deployment_recovery"]["recovery_minutes_median"] == 60.0
    scores = quick_check(28.0, 6 / 7, 60.0, 400 / 7, 200 / 7)["scores"]
    assert (scores["lead_time"], scores["deployment_frequency"], scores["failed_deployment_recovery_time"]) == \
        (6.0, 6.0, 8.0)


def test_dora_tab_groups_and_drilldown_reasons(tables):
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS, drilldown_incidents
    from test_components import find
    an = analyze(tables, WINDOW)
    c = Computed(an, analyze(tables, WINDOW.previous()), "", "", ("api", "db", "web"))
    cards, _ = TAB_VIEWS["dora"](c, "light")
    throughput, instability = find(cards, "dora-throughput"), find(cards, "dora-instability")
    for card in ("kpi-lead-time", "kpi-deploys", "kpi-fdrt", "kpi-mttr"):
        assert find(throughput, card) is not None and find(instability, card) is None, card
    for card in ("kpi-cfr", "kpi-rework"):
        assert find(instability, card) is not None, card
    # failed deployment recovery 60 min beside all incidents' 45 min; from 3 attributed incidents no Quick Check
    # score (METRICS.md section 3), and the card says why
    assert find(cards, "kpi-fdrt-value").children == "60.0 min" and find(cards, "kpi-mttr-value").children == "45.0 min"
    assert find(cards, "kpi-fdrt-score") is None
    assert find(cards, "kpi-fdrt-caution").children[1] == ("no Quick Check score: 3 resolved incidents attributed to a "
                                                           "deployment: a Quick Check score needs at least 5")
    # tests/helpers.py's ample_rows: 5 attributed, median 90 min -> less than a day: 8.0
    from helpers import ample_rows, analysis_of
    ample = analysis_of(ample_rows())
    cards, _ = TAB_VIEWS["dora"](Computed(ample, ample, "", "", ("api",)), "light")
    assert find(cards, "kpi-fdrt-value").children == "90.0 min" and find(cards, "kpi-fdrt-score").children == "QC 8.0/10"
    assert "All industries average (2024) 7.5, at or above the average" in find(cards, "kpi-fdrt-score").title
    table = drilldown_incidents(c)[1]
    reasons = {row["incident_id"]: row["reason"] for row in table.data}
    assert reasons["i3"] == "explicit link (deploy_id)" and reasons["i5"] == "none"


def test_dashboard_reads_the_overrides_file(data_dir, tmp_path):
    from dashboard.data import DataError, Views
    from dashboard.state import View
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "attribution.toml").write_text("not_caused = 3\n")
    with pytest.raises(DataError, match=r"^The attribution overrides file .* not_caused must be a list .*\.$"):
        Views().compute(View(seed=7, days=14))
    u_inc = Views()
    (data_dir / "attribution.toml").write_text("")
    before = u_inc.compute(View(seed=7, days=14)).current
    target = before.incident_rows()
    target = target[target["deploy_id"] != ""].iloc[0]["incident_id"]
    (data_dir / "attribution.toml").write_text(f'not_caused = ["{target}"]\n')
    after = u_inc.compute(View(seed=7, days=14)).current        # the file changed: computed anew
    assert after.summary["dora"]["unattributed_incidents"] == before.summary["dora"]["unattributed_incidents"] + 1


def test_an_incident_both_pinned_and_not_caused_is_refused_whatever_its_spaces(tmp_path):
    from metrics.attribution import AttributionError, read_overrides
    path = tmp_path / "attribution.toml"
    path.write_text('not_caused = ["inc-1 "]\n[pin]\n" inc-1" = "d1"\n')
    with pytest.raises(AttributionError, match="both pinned and not_caused"):
        read_overrides(path)
