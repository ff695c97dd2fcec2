"""Each PR keeps its author (the ``pr_created`` event's) through every path that builds or narrows
tables: a frame, the store's codes, the synthetic universe, back to a frame, ``clip``, the service
and team filters; and a rebuild of ``EventTables`` loses no attribute."""
from dataclasses import fields

import numpy as np
import pandas as pd

from helpers import ev
from metrics import frame_from_tables, generate, normalize, store, tables_from_frame
from metrics.attribution import Overrides, apply_overrides
from metrics.selection import tables_of_services
from metrics.synthetic import developer_names, pr_authors
from metrics.tables import EventTables, clip
from metrics.teams import Team, tables_of_teams

NS = 10 ** 9
DAY = 86_400 * NS
START = pd.Timestamp("2024-01-01", tz="UTC").value


def hand_frame() -> pd.DataFrame:
    """Four PRs: p1 by ann (reviewed by bob: a reviewer is no author), p2 by bob on web, p3 naming
    nobody, p4 by ann on day 2; a deployment by carl (a deploy's author is not kept)."""
    rows = [ev("2024-01-01T10:00:00Z", "pr_created", pr_id="p1", author="ann"),
            ev("2024-01-01T11:00:00Z", "pr_reviewed", pr_id="p1", author="bob"),
            ev("2024-01-01T12:00:00Z", "pr_merged", pr_id="p1", author="ann"),
            ev("2024-01-01T13:00:00Z", "pr_created", "web", pr_id="p2", author="bob"),
            ev("2024-01-01T14:00:00Z", "pr_created", pr_id="p3"),
            ev("2024-01-01T15:00:00Z", "deploy", deploy_id="d1", author="carl"),
            ev("2024-01-02T10:00:00Z", "pr_created", pr_id="p4", author="ann")]
    frame, report = normalize(pd.DataFrame(rows))
    assert report.rejected_count == 0, report.lines()
    return frame


EXPECTED = {"api#p1": "ann", "web#p2": "bob", "api#p3": "", "api#p4": "ann"}


def authors_by_pr(tables) -> dict:
    return dict(zip(tables.pr_id(tables.prs["key"]), tables.author_name(tables.prs["author"])))


def test_a_frames_pr_authors_are_kept_as_codes():
    tables = tables_from_frame(hand_frame())
    assert authors_by_pr(tables) == EXPECTED
    assert list(tables.authors) == ["ann", "bob"]          # PR authors only, in order of first appearance
    assert tables.prs["author"].dtype == np.int32 and list(tables.prs["author"]) == [0, 1, -1, 0]


def test_the_store_and_a_categorical_frame_give_the_same_authors():
    store.save("authors", hand_frame())
    fast = store.load_tables("authors")
    assert authors_by_pr(fast) == EXPECTED and list(fast.authors) == ["ann", "bob"]
    categorical = hand_frame().astype({"author": "category"})
    assert authors_by_pr(tables_from_frame(categorical)) == EXPECTED


def test_back_to_a_frame_the_pr_created_events_carry_their_authors():
    frame = frame_from_tables(tables_from_frame(hand_frame()))
    created = frame[frame["kind"] == "pr_created"]
    assert dict(zip(created["pr_id"], created["author"])) == EXPECTED
    assert set(frame.loc[frame["kind"] != "pr_created", "author"]) == {""}


def test_clip_and_the_filters_keep_the_authors():
    tables = tables_from_frame(hand_frame())
    day_one = clip(tables, START, START + DAY, 0)
    assert authors_by_pr(day_one) == {"api#p1": "ann", "web#p2": "bob", "api#p3": ""}
    assert authors_by_pr(tables_of_services(tables, ["api"])) == {"api#p1": "ann", "api#p3": "", "api#p4": "ann"}
    teams = {"front": Team("front", ("web",)), "back": Team("back", ("api",))}
    assert authors_by_pr(tables_of_teams(tables, teams, ["front"])) == {"web#p2": "bob"}


def test_synthetic_prs_are_written_by_the_team_the_same_for_the_same_seed():
    u = generate(30, 42, team_size=3, end="2026-11-22")
    names = u.tables.author_name(u.tables.prs["author"])
    assert list(u.tables.authors) == ["dev-01", "dev-02", "dev-03"] and set(names) == {"dev-01", "dev-02", "dev-03"}
    again = generate(30, 42, team_size=3, end="2026-11-22").tables
    assert authors_by_pr(again) == authors_by_pr(u.tables)
    assert list(developer_names(120)[[0, 119]]) == ["dev-001", "dev-120"]


def test_the_author_of_a_pr_key_depends_on_the_seed_and_spreads_over_the_team():
    keys = np.arange(10_000, dtype=np.int64) * 3 + (5 << 22)
    one, two = pr_authors([42, 0, 3, 8, 2], keys, 8), pr_authors([43, 0, 3, 8, 2], keys, 8)
    assert np.array_equal(one, pr_authors([42, 0, 3, 8, 2], keys, 8)) and (one != two).mean() > 0.8
    assert one.dtype == np.int32 and set(np.bincount(one, minlength=8)) <= set(range(1_100, 1_400))


def test_a_synthetic_pr_keeps_its_author_in_a_wider_window():
    narrow = authors_by_pr(generate(14, 7, end="2026-11-22").tables)
    wide = authors_by_pr(generate(60, 7, end="2026-11-22").tables)
    assert narrow and all(wide[pr] == author for pr, author in narrow.items())


def test_rebuilding_tables_keeps_every_other_attribute():
    """``clip``, the service and team filters and the attribution overrides replace some tables:
    every other attribute of ``EventTables``, a new one too, comes along unchanged."""
    tables = tables_from_frame(hand_frame())
    tables.key_stride, tables.git_prs = 7, True          # set every attribute to something of its own
    teams = {"back": Team("back", ("api",))}
    rebuilt = {"clip": clip(tables, START, START + DAY, 0),
               "services": tables_of_services(tables, ["api"]),
               "teams": tables_of_teams(tables, teams, ["back"]),
               "overrides": apply_overrides(tables, Overrides())}
    tabular = {f.name for f in fields(EventTables) if isinstance(getattr(tables, f.name), pd.DataFrame)}
    for how, copy in rebuilt.items():
        for f in fields(EventTables):
            if f.name not in tabular or f.name == "other":
                assert getattr(copy, f.name) is getattr(tables, f.name), (how, f.name)
