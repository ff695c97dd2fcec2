"""The dashboard at organisation size, without a browser: the timeline's rows (the busiest services
and one "other (K services)" row), the Teams tab's orders, and the order in the link. Expected
values are worked out by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components import figures as fg
from dashboard.state import View, from_query, to_query
from metrics.teams import TEAM_ORDERS, TeamDora, sort_teams

DAY_NS = 86_400_000_000_000
START_NS = pd.Timestamp("2024-01-01", tz="UTC").value


def test_timeline_rows_by_hand():
    # codes 0..5 with 0, 5, 3, 3, 9 and 1 marks: busiest first, ties to the lower code
    activity = np.array([0, 5, 3, 3, 9, 1])
    row, own, others = fg.timeline_rows(activity, limit=2)
    assert own == [4, 1] and others == 3                      # 4 (9), 1 (5); 2, 3 and 5 share a row
    assert row.tolist() == [3, 1, 2, 2, 0, 2]                 # code 0 has no marks: one past the last row
    # five active services and a limit of 4: an "other" row of one service would hide it; each gets a row
    row, own, others = fg.timeline_rows(activity, limit=4)
    assert own == [4, 1, 2, 3, 5] and others == 0
    assert row.tolist() == [5, 1, 2, 3, 0, 4]
    # one more active service than that: the busiest four have a row, the last two share one
    row, own, others = fg.timeline_rows(np.array([2, 5, 3, 3, 9, 1]), limit=4)
    assert own == [4, 1, 2, 3] and others == 2 and row.tolist() == [4, 1, 2, 3, 0, 4]
    row, own, others = fg.timeline_rows(np.zeros(3, dtype=np.int64))
    assert own == [] and others == 0


def org_marks(services: int = 300, busy: int = 8, days: int = 14):
    """Deployment marks of ``services`` services svc-000...: the first ``busy`` deploy every day,
    every other service once; no incidents."""
    names = np.array([f"svc-{i:03d}" for i in range(services)], dtype=object)
    codes = [c for c in range(busy) for _ in range(days)] + list(range(busy, services))
    ts = [START_NS + (k % days) * DAY_NS + 3_600_000_000_000 for k in range(len(codes))]
    deploys = pd.DataFrame({"ts": np.array(ts, dtype=np.int64), "service": np.array(codes, dtype=np.int64)})
    incidents = pd.DataFrame({"start": np.array([], dtype=np.int64), "resolved": np.array([], dtype=np.int64),
                              "service": np.array([], dtype=np.int64)})
    return deploys, incidents, names


def test_the_timeline_of_300_services_has_nine_rows_and_says_so():
    deploys, incidents, names = org_marks()
    fig = fg.timeline(deploys, incidents, names, START_NS, START_NS + 14 * DAY_NS, "light")
    fig.layout.to_plotly_json()
    rows = [f"svc-{i:03d}" for i in range(8)] + ["other (292 services)"]
    assert list(fig.layout.yaxis.categoryarray) == list(reversed(rows))
    y = pd.Series(fig.data[0].y).value_counts()
    assert y["other (292 services)"] == 292 and y["svc-000"] == 14 and len(y) == 9
    assert fig.layout.title.subtitle.text == ("The 8 busiest of 300 services (deployments and incidents) have a row "
                                              "each; the other 292 share the last row.")


def test_the_timeline_of_few_services_has_a_row_each_and_no_subtitle():
    deploys, incidents, names = org_marks(services=9, busy=3)
    fig = fg.timeline(deploys, incidents, names, START_NS, START_NS + 14 * DAY_NS, "light")
    assert sorted(fig.layout.yaxis.categoryarray) == [f"svc-{i:03d}" for i in range(9)]
    assert not fig.layout.title.subtitle.text


def test_the_timeline_heatmap_of_many_marks_has_the_other_row():
    deploys, incidents, names = org_marks(services=300, busy=8, days=14)
    many = pd.concat([deploys] * 10, ignore_index=True)        # 4,040 marks: drawn as daily heatmaps
    fig = fg.timeline(many, incidents, names, START_NS, START_NS + 14 * DAY_NS, "light")
    assert fig.data[0].type == "heatmap" and list(fig.data[0].y)[-1] == "other (292 services)"
    assert np.nansum(np.asarray(fig.data[0].z, dtype=float)[-1]) == 2920


def team(name, tier, deploys, lead):
    """A team's row with only what the orders read (the other keys n/a)."""
    if tier is False:
        return TeamDora(name, (), None, None, "no services")
    return TeamDora(name, ("s",), {"deploys_per_day": deploys, "lead_time_hours_median": lead,
                                   "change_failure_rate_pct": None, "mttr_minutes_median": None,
                                   "rework_rate_pct": None, "tiers": {"overall": tier}}, None)


ROWS = [team("delta", False, None, None), team("charlie", "medium", 1.0, None),
        team("alpha", "high", 2.0, 10.0), team("bravo", "low", 0.1, 100.0), team("echo", "low", 0.5, 10.0)]


@pytest.mark.parametrize("order, expected", [
    ("name", ["alpha", "bravo", "charlie", "delta", "echo"]),
    # low before medium before high; the two low teams by name; no numbers last
    ("worst", ["bravo", "echo", "charlie", "alpha", "delta"]),
    # more deployments are better: the fewest first
    ("deploys_per_day", ["bravo", "echo", "charlie", "alpha", "delta"]),
    # a shorter lead time is better: the longest first; charlie (n/a) and delta (no services) last
    ("lead_time_hours_median", ["bravo", "alpha", "echo", "charlie", "delta"]),
])
def test_sort_teams_by_hand(order, expected):
    assert [r.team for r in sort_teams(ROWS, order)] == expected


def test_every_order_sorts_and_an_unknown_one_is_refused():
    for order in TEAM_ORDERS:
        assert sorted(r.team for r in sort_teams(ROWS, order)) == sorted(r.team for r in ROWS)
    with pytest.raises(ValueError, match="unknown team order 'best'"):
        sort_teams(ROWS, "best")


def test_the_team_order_is_in_the_link():
    d = View()
    v = View(tab="teams", team_order="name")
    assert "order=name" in to_query(v, d) and "order" not in to_query(View(tab="teams"), d)
    assert from_query(to_query(v, d), d) == (v, [])
    view, errors = from_query("?tab=teams&order=best", d)
    assert view.team_order == "worst" and "Unknown team order" in errors[0]


def test_the_team_fast_path_gives_the_numbers_of_the_full_analysis():
    """``summary_of`` (the Teams comparison's path) against ``analyze`` (what ``--team`` prints),
    on a universe with every kind of event, for the whole of it and one service."""
    from metrics import analyze, generate
    from metrics.analysis import summary_of
    from metrics.selection import tables_of_services
    from metrics.teams import DORA_KEYS, TEAM_METRICS
    import oracle
    from metrics.tables import frame_from_tables
    u = generate(30, 11, services=12, end="2026-11-22")
    events = oracle.tidy(frame_from_tables(u.tables))
    start, end = pd.Timestamp("2026-10-23", tz="UTC"), pd.Timestamp("2026-11-22", tz="UTC")
    for tables, only in ((u.tables, ()), (tables_of_services(u.tables, ["payments"]), ("payments",))):
        full, fast = analyze(tables, u.window).summary, summary_of(tables, u.window, TEAM_METRICS)
        # the fast path against the independent oracle (plain pandas from METRICS.md), not only the full path
        want = oracle.summary(events, start, end, only=only)
        for key in ("deploys_per_day", "lead_time_hours_median", "change_failure_rate_pct", "mttr_minutes_median",
                    "rework_rate_pct"):
            assert fast["dora"][key] == pytest.approx(want[key]), key
        assert fast["dora"]["tiers"] == want["tiers"]
        assert {k: fast["dora"][k] for k in DORA_KEYS} == {k: full["dora"][k] for k in DORA_KEYS}
        assert fast["dora"]["tiers"] == full["dora"]["tiers"]
        assert full["dora"]["deployments"] > 0 and full["dora"]["tiers"]["deployment_frequency"]
        # the evidence rule gives the same reasons both ways (METRICS.md section 3)
        assert fast.get("evidence", {}) == {k: why for k, why in full.get("evidence", {}).items() if k in DORA_KEYS}
    with pytest.raises(ValueError, match="lead_time_hours_median is not among the specs"):
        summary_of(u.tables, u.window, [s for s in TEAM_METRICS if s.key != "lead_time_hours_median"])


def longest_list(value) -> int:
    """The length of the longest list anywhere in a JSON value."""
    if isinstance(value, dict):
        return max((longest_list(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return max([len(value)] + [longest_list(v) for v in value])
    return 0


def test_the_api_lists_nothing_per_service(isolated_data_dir):
    """``/api/v1/summary`` of 300 services is as long as that of 3: no list in it grows with the
    services; ``/api/v1/teams`` lists the teams file's teams and patterns as written (a glob is not
    expanded into the services it matches)."""
    from dashboard.app import create_app
    client = create_app().server.test_client()
    small, large = (client.get(f"/api/v1/summary?services={n}&days=7").get_json() for n in (3, 300))
    assert large["dora"]["deployments"] > 50 * small["dora"]["deployments"]
    assert longest_list(large) == longest_list(small) < 20
    # (the evidence reasons differ with the sample sizes, not with the number of services; so does the
    # AI comparison: 300 services have enough PRs to compare, with numbers where 3 have a sentence)
    bare = lambda body: {k: v for k, v in body.items() if k not in ("evidence", "ai")}
    assert abs(len(str(bare(large))) - len(str(bare(small)))) < 200
    assert large["ai"]["prs"]["measures"] and not any(name in str(large["ai"]) for name in ("checkout", "payments", "service-"))
    isolated_data_dir.mkdir(parents=True, exist_ok=True)
    (isolated_data_dir / "teams.toml").write_text('[teams.all]\nservices = ["service-*"]\n', encoding="utf-8")
    assert client.get("/api/v1/teams").get_json() == {"teams": [{"name": "all", "services": ["service-*"]}]}


def test_the_teams_comparison_at_300_services_is_each_teams_full_analysis(tmp_path):
    """``compare_teams`` (its lean summaries: no per-PR lead-time table) against ``analyze`` of each
    team's narrowed tables (what ``--team NAME`` prints), on a synthetic universe of 300 services and
    31 teams of about ten services each, both periods: the same numbers, tiers and reasons."""
    from metrics import analyze, generate
    from metrics.analysis import kinds_present
    from metrics.teams import DORA_KEYS, compare_teams, read_teams, tables_of_teams
    path = tmp_path / "teams.toml"
    first = ', "checkout", "payments", "search"'                # the named services, as bench.latency's file
    path.write_text("".join(f'[teams.team-{k:02d}]\nservices = ["service-{k:02d}*"{first if k == 0 else ""}]\n'
                            for k in range(31)), encoding="utf-8")
    teams = read_teams(path)
    now = generate(30, 5, services=300, end="2026-11-22")
    before = generate(30, 5, services=300, end="2026-11-22", days_back=30)
    rows = compare_teams(teams, (now.tables, now.window), (before.tables, before.window))
    assert len(rows) == 31 and not any(r.problem for r in rows)
    for row in rows:
        for u, numbers in ((now, row.current), (before, row.previous)):
            whole = analyze(tables_of_teams(u.tables, teams, [row.team]), u.window, present=kinds_present(u.tables)).summary
            assert numbers == {**{k: whole["dora"][k] for k in DORA_KEYS}, "tiers": whole["dora"]["tiers"],
                               "evidence": {k: why for k, why in whole.get("evidence", {}).items() if k in DORA_KEYS}}
    assert any(r.current["lead_time_hours_median"] is not None for r in rows)
