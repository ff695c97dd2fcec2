"""The AI events in the tables: pr_ai_assisted in tables.prs and ai_checks, the assistant's usage
and DORA's capabilities in their team-level tables; a round trip through the flat frame, the window
(clip), the service filter and the team filter each keep exactly what they keep of the other kinds."""
from __future__ import annotations

import numpy as np
import pandas as pd

from metrics import schema as s
from metrics.ingest import load_events
from metrics.selection import ServiceRows, tables_of_services
from metrics.tables import TEAM_TABLES, clip, frame_from_tables, tables_from_frame
from metrics.teams import Team, tables_of_teams

EVENTS = """ts,kind,service,pr_id,metric_value,status,author
2024-03-04T09:00:00Z,pr_created,shop,#1,,,ann
2024-03-04T09:00:00Z,pr_ai_assisted,shop,#1,1,branch,copilot
2024-03-04T10:00:00Z,pr_created,pay,#2,,,bob
2024-03-04T10:00:00Z,pr_ai_assisted,pay,#2,0,none,
2024-03-11T10:00:00Z,pr_created,pay,#3,,,bob
2024-03-11T10:00:00Z,pr_ai_assisted,pay,#3,1,label,
2024-03-04T00:00:00Z,ai_active_users,team,,12,,
2024-03-11T00:00:00Z,ai_active_users,team,,14,,
2024-03-04T00:00:00Z,ai_prs_created,payments,,2,,
2024-03-05T12:00:00Z,ai_capability_small_batches,team,,4,,
2024-03-05T12:00:00Z,ai_capability_stance,payments,,2,,
"""
DAY = 86_400_000_000_000


def loaded(tmp_path):
    path = tmp_path / "ai.csv"
    path.write_text(EVENTS, encoding="utf-8")
    frame, report = load_events([path])
    assert report.rejected_count == 0
    return frame, tables_from_frame(frame)


def test_the_tables_hold_every_ai_event_and_give_them_back(tmp_path):
    frame, t = loaded(tmp_path)
    prs = t.prs.sort_values("created")
    assert prs["ai_assisted"].tolist() == [1.0, 0.0, 1.0]
    assert sorted(zip(t.ai_checks["rule"], t.ai_checks["value"])) == [(1, 1.0), (3, 1.0), (4, 0.0)]   # label, branch, none
    assert list(t.assistants) == ["copilot"]
    assert sorted(zip(t.ai_usage["measure"], t.ai_usage["value"])) == [(0, 12.0), (0, 14.0), (4, 2.0)]
    assert sorted(zip(t.ai_capabilities["capability"], t.ai_capabilities["score"])) == [(0, 2.0), (4, 4.0)]
    assert t.event_count() == len(frame) == 11
    assert t.time_span()[0] == pd.Timestamp("2024-03-04T00:00:00Z").value
    again = frame_from_tables(t)
    order = ["ts", "kind", "service", "pr_id"]
    pick = lambda f: f[order + ["metric_value", "status", "author"]].sort_values(order).reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(pick(again), pick(frame), check_dtype=False)


def test_the_window_keeps_what_happened_in_it(tmp_path):
    _, t = loaded(tmp_path)
    start = pd.Timestamp("2024-03-04T00:00:00Z").value
    week = clip(t, start, start + 7 * DAY, 0)
    assert len(week.ai_checks) == 2 and len(week.prs) == 2
    assert week.ai_usage["value"].tolist() == [12.0, 2.0] and len(week.ai_capabilities) == 2


def test_a_service_filter_narrows_the_checks_and_keeps_team_level_events_whole(tmp_path):
    _, t = loaded(tmp_path)
    pay = tables_of_services(t, ["pay"])
    assert sorted(pay.prs["ai_assisted"]) == [0.0, 1.0] and len(pay.ai_checks) == 2
    assert len(pay.ai_usage) == 3 and len(pay.ai_capabilities) == 2
    grouped = ServiceRows(t).narrow(["pay"])
    assert len(grouped.ai_checks) == 2 and len(grouped.ai_usage) == 3
    assert {"ai_usage", "ai_capabilities"} <= set(TEAM_TABLES)


def test_a_team_filter_drops_another_teams_usage_and_answers(tmp_path):
    _, t = loaded(tmp_path)
    teams = {"payments": Team("payments", ("pay",)), "shop": Team("shop", ("shop",))}
    shop = tables_of_teams(t, teams, ["shop"])
    # the payments team's own events (its name as their service) count only for it
    assert shop.ai_usage["value"].tolist() == [12.0, 14.0]
    assert shop.ai_capabilities["score"].tolist() == [4.0]
    assert shop.ai_checks["value"].tolist() == [1.0]
    payments = tables_of_teams(t, teams, ["payments"])
    assert sorted(payments.ai_usage["value"]) == [2.0, 12.0, 14.0]


def test_the_kinds_are_declared_once():
    assert s.PR_AI_ASSISTED in s.PR_KINDS and s.PAIRING_IDS[s.PR_AI_ASSISTED] == "pr_id"
    assert set(s.AI_USAGE_KINDS) | set(s.AI_CAPABILITY_KINDS) <= set(s.VALUE_KINDS) & set(s.VALUE_RULES)
    assert len(s.AI_CAPABILITIES) == 7 and np.unique([k for k, _, _ in s.AI_CAPABILITIES]).size == 7
