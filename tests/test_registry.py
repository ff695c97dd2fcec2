"""The metric registry: every summary key declared once, cards with unique ids, the threshold texts
derived from the bounds (checked against hand-written strings), ``python -m metrics metrics``, and
docs/metrics.md's generated tables against the registry (``tests/test_docs.py`` checks every block)."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FIXTURES, ROOT, run_cli
from helpers import SECTION_7, SECTION_7_TIERS, summary_keys
from metrics import Window, analyze, load_events, tables_from_frame
from metrics.benchmarks import BAND_TABLES, TIER_TABLES, BandTable, TierTable
from metrics.builtin import BY_KEY, METRICS
from metrics.catalog import markdown, metric_table, tier_table
from metrics.registry.metric import REASONS, TABS, MetricSpec, on_tab
from metrics.summary import text_lines, to_json
from metrics.units import amount, say_in


def hand_analysis():
    frame, _ = load_events([FIXTURES / "hand.csv"])
    return analyze(tables_from_frame(frame), Window.between("2024-01-01", "2024-01-08"))


def metrics_md_keys(text: str) -> dict:
    """The summary keys of METRICS.md section 7's key list, by section, in order."""
    start = text.index("window: start, end")
    block = text[start:text.index("```", start)]
    block = block[:block.index("tiers:")] + block[block.index("space:"):]         # the tiers' line is no key
    parts = re.split(r"\b(window|dora|space|pvm):", block)[1:]
    return {section: [w.strip() for w in words.split(",") if w.strip()]
            for section, words in zip(parts[::2], parts[1::2]) if section != "window"}


def metrics_md_tiers(text: str) -> list[str]:
    """The keys of METRICS.md section 7's ``tiers:`` line, in order."""
    start = text.index("tiers:", text.index("window: start, end")) + len("tiers:")
    return [w.strip() for w in text[start:text.index("\n", start)].split(",")]


def test_section_7_transcription_matches_metrics_md_when_it_is_there():
    for candidate in (ROOT.parent / "shared" / "METRICS.md", ROOT.parent.parent / "shared" / "METRICS.md"):
        if candidate.exists():
            text = candidate.read_text(encoding="utf-8")
            assert metrics_md_keys(text) == SECTION_7 and metrics_md_tiers(text) == SECTION_7_TIERS
            return
    pytest.skip("METRICS.md is not beside this checkout")


def test_every_summary_key_has_exactly_one_declaration_in_order():
    for section in SECTION_7:
        declared = [s.key for s in METRICS if s.summary and s.section == section]
        assert declared == summary_keys(section), section
    summary_specs = [(s.section, s.key) for s in METRICS if s.summary]
    assert len(summary_specs) == len(set(summary_specs))
    assert len(BY_KEY) == len(METRICS)                           # no key declared twice, in any section
    an = hand_analysis()
    for section in SECTION_7:
        assert list(an.summary[section]) == summary_keys(section) + (["tiers"] if section == "dora" else []), section
    assert list(an.summary["dora"]["tiers"]) == SECTION_7_TIERS


def test_every_card_has_a_unique_element_id_on_a_known_tab():
    cards = [s.card for s in METRICS if s.card is not None]
    ids = [c.element for c in cards]
    assert len(ids) == len(set(ids)) and all(i.startswith("kpi-") for i in ids)
    assert {c.tab for c in cards} <= set(TABS)
    for tab in ("dora", "space", "pvm"):
        shown = on_tab(METRICS, tab)
        assert [s.card.order for s in shown] == sorted(s.card.order for s in shown)
    # the overall tier and the Quick Check's overall score share a place, one per benchmark
    assert {s.card.benchmark for s in on_tab(METRICS, "dora", "instability") if s.card.order == 3} == \
        {"tiers", "quick-check"}


def test_the_tabs_show_their_cards_in_order():
    from dataclasses import replace as changed
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS
    an = hand_analysis()
    c = Computed(an, an, "", "", ("api", "db", "web"))

    def ids(tab, benchmark="tiers"):
        cards, _ = TAB_VIEWS[tab](changed(c, benchmark=benchmark), "light")
        found = []

        def walk(node):
            if getattr(node, "className", "") and "kpi-card" in node.className:
                found.append(node.id)
            children = getattr(node, "children", None)
            for child in children if isinstance(children, (list, tuple)) else [children] if children is not None else []:
                walk(child)
        walk(cards)
        return found
    assert ids("dora") == ["kpi-lead-time", "kpi-deploys", "kpi-fdrt", "kpi-mttr", "kpi-sla",
                           "kpi-cfr", "kpi-rework", "kpi-overall"]
    assert ids("dora", "quick-check")[-1] == "kpi-qc-overall" and "kpi-overall" not in ids("dora", "quick-check")
    assert ids("space") == ["kpi-prs", "kpi-reviews", "kpi-turnaround", "kpi-satisfaction", "kpi-merge-time",
                            "kpi-incident-rate"]
    assert ids("pvm") == ["kpi-vcr", "kpi-iar", "kpi-dtr", "kpi-platform-hours", "kpi-onboarding",
                          "kpi-per-developer", "kpi-on-call"]


def test_every_declared_card_is_on_its_tab():
    from dataclasses import replace as changed
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS
    from test_components import find
    an = hand_analysis()
    c = Computed(an, an, "", "", ("api", "db", "web"))
    for spec in (s for s in METRICS if s.card is not None and s.card.tab != "custom"):
        shown = changed(c, benchmark=spec.card.benchmark or "tiers")
        cards, _ = TAB_VIEWS[spec.card.tab](shown, "light")
        assert find(cards, spec.card.element) is not None, spec.key
        assert find(cards, f"{spec.card.element}-value") is not None, spec.key


def test_a_metric_is_na_for_want_of_its_source_with_the_reason_derived_from_what_it_needs():
    assert BY_KEY["mttr_minutes_median"].missing(frozenset({"deploy"})) == "no incident data in this dataset"
    assert BY_KEY["change_failure_rate_pct"].missing(frozenset({"deploy", "failed deploy"})) is None
    assert BY_KEY["dtr_pct"].missing(frozenset({"on_call_hours"})) is None
    assert BY_KEY["dtr_pct"].missing(frozenset()) == REASONS["toil"]
    assert BY_KEY["lead_time_hours_median"].missing(frozenset({"pr_created"})) == "no deployments in this dataset"


def test_a_declaration_cannot_contradict_its_tier_table():
    with pytest.raises(ValueError, match="unit"):
        MetricSpec("x", "dora", "X", unit="h", tiers=TIER_TABLES["recovery_time"])
    with pytest.raises(ValueError, match="section"):
        MetricSpec("x", "flow", "X")


# ---------------------------------------------------------------------------------------------
# threshold texts: derived from the bounds and their unit, against hand-written strings


def test_deployment_frequency_texts():
    t = TIER_TABLES["deployment_frequency"]
    assert t.words == (">= 1 deployment a day", ">= 1 deployment a week", ">= 1 deployment a month (30 days)",
                       "< 1 deployment a month (30 days)")
    assert t.lines() == [(1.0, "elite >= 1 a day"), (1 / 7, "high >= 1 a week"), (1 / 30, "medium >= 1 a month")]
    assert t.tier(1 / 7) == ("high", ">= 1 deployment a week")          # on the bound: it meets it
    assert t.tier(1 / 7 - 1e-9) == ("medium", ">= 1 deployment a month (30 days)")


def test_lead_time_texts():
    t = TIER_TABLES["lead_time"]
    assert t.words == ("median < 1 day", "median < 7 days", "median < 30 days", "median >= 30 days")
    assert t.lines() == [(24.0, "elite < 1 d"), (168.0, "high < 7 d"), (720.0, "medium < 30 d")]
    assert t.tier(24.0) == ("high", "median < 7 days")                  # < 24 h is elite: 24 h is not
    assert t.tier(720.0) == ("low", "median >= 30 days")


def test_change_failure_rate_texts():
    t = TIER_TABLES["change_failure_rate"]
    assert t.words == ("<= 5 %", "<= 10 %", "<= 15 %", "> 15 %")
    assert t.lines() == [(5.0, "elite <= 5 %"), (10.0, "high <= 10 %"), (15.0, "medium <= 15 %")]
    assert t.tier(15.0) == ("medium", "<= 15 %") and t.tier(15.01) == ("low", "> 15 %")


def test_recovery_time_texts():
    t = TIER_TABLES["recovery_time"]
    assert t.words == ("median < 1 hour", "median < 1 day", "median < 7 days", "median >= 7 days")
    assert t.lines() == [(60.0, "elite < 1 h"), (1440.0, "high < 1 d"), (10080.0, "medium < 7 d")]


def test_band_texts():
    assert BAND_TABLES["vcr"].lines() == [(200.0, "200 % default", "amber"), (1000.0, "1000 % target", "green")]
    assert BAND_TABLES["iar"].lines() == [(10.0, "10 % default", "amber"), (30.0, "30 % target", "green")]
    assert BAND_TABLES["dtr"].lines() == [(10.0, "10 % target", "green"), (30.0, "30 % limit", "red")]
    assert BAND_TABLES["vcr"].ranges() == [("red", "< 200 %"), ("amber", ">= 200 % and < 1000 %"), ("green", ">= 1000 %")]
    assert BAND_TABLES["dtr"].ranges() == [("green", "<= 10 %"), ("amber", "> 10 % and <= 30 %"), ("red", "> 30 %")]


def test_new_change_failure_rate_thresholds_are_one_change_of_bounds():
    """Only the bounds change: every text follows them."""
    t = replace(TIER_TABLES["change_failure_rate"], bounds=(2.5, 8.0, 20.0))
    assert t.words == ("<= 2.5 %", "<= 8 %", "<= 20 %", "> 20 %")
    assert t.lines() == [(2.5, "elite <= 2.5 %"), (8.0, "high <= 8 %"), (20.0, "medium <= 20 %")]
    assert t.tier(8.0) == ("high", "<= 8 %")
    dtr = replace(BAND_TABLES["dtr"], bounds=(5.0, 25.0))
    assert dtr.lines() == [(5.0, "5 % target", "green"), (25.0, "25 % limit", "red")] and dtr.band(25.0) == "amber"


def test_amounts_are_said_in_the_largest_whole_unit():
    assert [amount(v, "min") for v in (1, 90, 60, 120, 1440, 2880, 10080)] == \
        ["1 minute", "90 minutes", "1 hour", "2 hours", "1 day", "2 days", "7 days"]
    assert [amount(v, "h", short=True) for v in (0.5, 36, 48)] == ["30 min", "36 h", "2 d"]
    assert [amount(v, "/day", counts="deployment") for v in (2.0, 2 / 7, 0.1, 0.33)] == \
        ["2 deployments a day", "2 deployments a week", "3 deployments a month (30 days)", "0.33 deployments a day"]
    assert amount(2.5, "%") == "2.5 %" and amount(4.0, "wk") == "4 wk"
    custom = TierTable("x", False, (30.0, 90.0, 240.0), False, "min", "median")
    assert custom.words == ("median < 30 minutes", "median < 90 minutes", "median < 4 hours", "median >= 4 hours")
    assert BandTable("x", True, (50.0, 75.0), ("amber", "green")).labels == ("50 % default", "75 % target")


def test_the_badges_and_the_chart_lines_show_the_derived_texts():
    from components.panels import figures
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS
    from test_components import find
    from helpers import ample_rows, analysis_of
    an = analysis_of(ample_rows())
    cards, charts = TAB_VIEWS["dora"](Computed(an, an, "", "", ("api", "db", "web")), "light")
    # tests/helpers.py's ample_rows: 6 successful deployments in 7 days (0.86 a day: high), lead time median
    # 28 h of 5 PRs (high), recovery median 90 min of 5 incidents (high), CFR 57.1 % (low)
    assert find(cards, "kpi-deploys-tier").title == "high: >= 1 deployment a week"
    assert find(cards, "kpi-lead-time-tier").title == "high: median < 7 days"
    assert find(cards, "kpi-mttr-tier").title == "high: median < 1 day"
    assert find(cards, "kpi-cfr-tier").title == "low: > 15 %"
    # hand.csv: the tiers it has the evidence for (7 deployments), none for lead time (4 PRs) or recovery
    hand = hand_analysis()
    cards, _ = TAB_VIEWS["dora"](Computed(hand, hand, "", "", ("api", "db", "web")), "light")
    assert find(cards, "kpi-deploys-tier").title == "high: >= 1 deployment a week"
    assert find(cards, "kpi-lead-time-tier") is None and find(cards, "kpi-mttr-tier") is None
    cfr = figures(charts)["cfr"]
    assert [a["text"] for a in cfr.layout.annotations] == ["elite <= 5 %", "high <= 10 %", "medium <= 15 %"]


# ---------------------------------------------------------------------------------------------
# one --json object, the console, and python -m metrics metrics


def test_to_json_is_the_command_lines_object():
    p = run_cli("--events", FIXTURES / "hand.csv", "--start", "2024-01-01", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(json.dumps(to_json(hand_analysis()))) == json.loads(p.stdout)
    # "evidence" after the summary's sections: hand.csv's metrics without enough evidence for a tier or a
    # Quick Check score (METRICS.md section 3), each with its reason
    assert list(json.loads(p.stdout)) == ["window", "dora", "space", "pvm", "evidence", "dora_groups",
                                          "failed_deployment_recovery", "quick_check", "cycle_time", "size_relation",
                                          "ai"]
    assert json.loads(p.stdout)["evidence"] == {
        "lead_time_hours_median": "4 deployed PRs: a tier needs at least 5",
        "mttr_minutes_median": "4 resolved incidents: a tier needs at least 5",
        "failed_deployment_recovery_minutes_median":
            "3 resolved incidents attributed to a deployment: a Quick Check score needs at least 5"}


def test_the_console_lines_come_from_the_declarations():
    lines = text_lines(hand_analysis())
    declared = [s.console.text(hand_analysis()) for s in METRICS if s.console is not None]
    assert all(line in lines for line in declared)
    # hand.csv: d3 failed, three more deployments caused incidents: 4 of 7
    assert "Change failure rate: 57.1% (4 of 7 deployments)" in lines
    assert lines.index("Avg deployments/day: 0.86") + 1 == lines.index(
        "Incidents: 5 | Avg MTTR: 55.0 min | P95 MTTR: 111.0 min")


def test_a_line_says_each_field_in_its_format_and_n_a_without_its_unit():
    values = {"rate": 23.75, "count": 1234, "late": None, "nested": {"p95": 2.0}}
    assert say_in("{rate:.1f|%} of {count:,} · {late:.1f| min} · {nested[p95]:+.1f| pp} · {count}", values) == \
        "23.8% of 1,234 · n/a · +2.0 pp · 1234"


def test_the_names_a_line_says_are_in_one_place_each():
    # a footnote's or console line's field is a key of one of the summary's sections or of the details
    an = hand_analysis()
    names = [k for section in ("dora", "space", "pvm") for k in an.summary[section]] + list(an.details)
    assert len(names) == len(set(names))


PLUGIN = '''from metrics.plugins import metric


@metric(name="hotfix_share", label="Hotfix share", unit="%", lower_is_better=True)
def hotfix_share(events):
    """Hotfix deployments / deployments x 100."""
    deploys = events[events["kind"] == "deploy"]
    return 100.0 * (deploys["change_type"] == "hotfix").mean() if len(deploys) else None
'''


def test_metrics_command_lists_built_in_and_plug_in_metrics(tmp_path, monkeypatch):
    (tmp_path / "mine.py").write_text(PLUGIN, encoding="utf-8")
    env = {"METRICS_PLUGINS": str(tmp_path / "mine.py")}
    monkeypatch.setenv("METRICS_PLUGINS", env["METRICS_PLUGINS"])
    p = run_cli("metrics")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "--- DORA METRICS (Delivery & Reliability) ---"
    assert "dora.change_failure_rate_pct: Change failure rate (%, lower is better)" in lines
    assert "  tiers: elite <= 5 % | high <= 10 % | medium <= 15 % | low > 15 %" in lines
    assert "  bands: red < 200 % | amber >= 200 % and < 1000 % | green >= 1000 %" in lines
    assert "  needs: incident_start" in lines
    assert lines[lines.index("--- CUSTOM METRICS ---") + 1:lines.index("--- CUSTOM METRICS ---") + 3] == \
        ["custom.hotfix_share: Hotfix share (%, lower is better)", "  Hotfix deployments / deployments x 100."]
    listed = json.loads(run_cli("metrics", "--json").stdout)["metrics"]
    assert [m["key"] for m in listed] == [s.key for s in METRICS] + ["hotfix_share"]
    cfr = next(m for m in listed if m["key"] == "change_failure_rate_pct")
    assert cfr["tiers"] == {"elite": "<= 5 %", "high": "<= 10 %", "medium": "<= 15 %", "low": "> 15 %"}
    assert cfr["direction"] == "lower is better" and cfr["unit"] == "%" and cfr["where"] == "dora.change_failure_rate_pct"
    assert cfr["needs"] == ["deploy", "incident_start|failed deploy"] and cfr["card"] == "kpi-cfr"
    mine = listed[-1]
    assert mine["section"] == "custom" and mine["plugin"] == str(tmp_path / "mine.py") and mine["tiers"] is None


def test_metrics_command_refuses_bad_input_in_one_line(tmp_path, monkeypatch):
    p = run_cli("metrics", "--colour")
    assert p.returncode == 2 and p.stderr.startswith("error: unrecognized arguments: --colour") and "Traceback" not in p.stderr
    (tmp_path / "broken.py").write_text("import nothing_of_that_name\n", encoding="utf-8")
    monkeypatch.setenv("METRICS_PLUGINS", str(tmp_path / "broken.py"))
    p = run_cli("metrics")
    assert p.returncode == 2 and "broken.py could not be loaded" in p.stderr and "Traceback" not in p.stderr
    p = run_cli("metrics", "--update-docs", tmp_path / "none.md")      # the docs command writes the docs now
    assert p.returncode == 2 and p.stderr.startswith("error: unrecognized arguments: --update-docs")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(["--json", "--markdown", "--update-docs", "-h", "--help", "x.md", "--"]),
                          st.text(max_size=12)), max_size=4))
def test_metrics_command_never_raises(tmp_path, monkeypatch, argv):
    """Any arguments: a listing (0) or one line on stderr (2), never a traceback; nothing written
    outside the files named (none exist here)."""
    import io
    from metrics.cli.catalog import run_metrics
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("METRICS_PLUGINS", raising=False)
    out, err = io.StringIO(), io.StringIO()
    try:
        code = run_metrics(argv, out, err)
    except SystemExit as e:                     # -h / --help: argparse prints the usage and exits 0
        code = e.code
    assert code in (0, 2)
    if code == 2:
        assert err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_docs_tables_are_the_registrys():
    docs = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert "| Change failure rate (`dora.change_failure_rate_pct`) | <= 5 % | <= 10 % | <= 15 % | > 15 % |" in docs
    assert tier_table() in docs and metric_table() in docs              # test_docs.py: nothing else is there
    for spec in METRICS:
        assert f"| {spec.label} |" in metric_table()


def test_the_markdown_option_prints_the_docs_tables():
    p = run_cli("metrics", "--markdown")
    assert p.returncode == 0 and p.stdout == markdown() + "\n"
    assert "| Change failure rate (`dora.change_failure_rate_pct`) | <= 5 % | <= 10 % | <= 15 % | > 15 % |" in p.stdout
