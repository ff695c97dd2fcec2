"""Squash merges read from git history have no PR life (issue 23, item 2): the squash commit's author
date is its merge, so "PR to merge" is not measurable (n/a, with the reason, never 0 h) and lead time
says it measures from the merge. Events shaped as the git reader writes them; values by hand."""
import pytest

from helpers import analysis_of, ev
from metrics.builtin import METRICS

SPEC = {spec.key: spec for spec in METRICS}
GIT = {"environment": "git-history"}


def squash(pr, at, deploy_id=""):
    """A squash merge as the git reader reads it: created and merged at the squash commit's time."""
    return [ev(at, "pr_created", pr_id=pr, **GIT), ev(at, "pr_merged", pr_id=pr, deploy_id=deploy_id, **GIT)]


# two squash merges, shipped by tags 2 h and 6 h after them
SQUASHED = (squash("#1", "2024-01-02T10:00:00Z") + squash("#2", "2024-01-03T10:00:00Z")
            + [ev("2024-01-02T12:00:00Z", "deploy", deploy_id="v1"), ev("2024-01-03T16:00:00Z", "deploy", deploy_id="v2")])


def test_squash_merges_alone_make_merge_time_na_with_the_reason():
    an = analysis_of(SQUASHED)
    assert an.summary["space"]["merge_time_hours_mean"] is None          # not 0.0 h
    assert an.details["unmeasured_prs"] == 2
    assert SPEC["merge_time_hours_mean"].caution(an) == "not measurable from squash merges: 2 merged PRs created at their merge"
    # lead time: 2 h and 6 h from the merge, median 4 h, and the card says what it measures
    assert an.summary["dora"]["lead_time_hours_median"] == pytest.approx(4.0)
    assert an.details["timed_from_merge"] == 2
    assert SPEC["lead_time_hours_median"].caution(an) == ("measures merge to deploy: every deployed PR is a squash "
                                                          "merge (no time before its merge)")


def test_a_merge_commit_among_squashes_is_timed_and_the_rest_counted():
    # p3: a merge commit's PR, first commit 01-04 08:00, merged 10:00, shipped by v3 at 12:00: 2 h to merge, 4 h lead
    rows = SQUASHED + [ev("2024-01-04T08:00:00Z", "pr_created", pr_id="#3", **GIT),
                       ev("2024-01-04T10:00:00Z", "pr_merged", pr_id="#3", **GIT),
                       ev("2024-01-04T12:00:00Z", "deploy", deploy_id="v3")]
    an = analysis_of(rows)
    assert an.summary["space"]["merge_time_hours_mean"] == pytest.approx(2.0)
    assert an.details["unmeasured_prs"] == 2                   # p1 and p2
    assert SPEC["merge_time_hours_mean"].caution(an).endswith("; 2 squash merges not timed")
    # lead times 2, 6 (from the merge) and 4: median 4; not every PR is a squash: no caution, the footnote says how many
    assert an.summary["dora"]["lead_time_hours_median"] == pytest.approx(4.0)
    assert SPEC["lead_time_hours_median"].caution(an) is None
    assert "2 of 3 from the merge (squash merges)" in SPEC["lead_time_hours_median"].footnote(an)


def test_a_pr_with_a_second_of_life_is_timed():
    # the edge: created one second before its merge is a life (1/3600 h), not a squash
    rows = [ev("2024-01-02T09:59:59Z", "pr_created", pr_id="#1"), ev("2024-01-02T10:00:00Z", "pr_merged", pr_id="#1")]
    an = analysis_of(rows)
    assert an.summary["space"]["merge_time_hours_mean"] == pytest.approx(1 / 3600)
    assert an.details["unmeasured_prs"] == 0


def test_rework_from_git_tags_and_incidents_counts_only_deployments_during_incidents():
    """Git tags carry no change type: rework is the deployments during an incident (a part of it),
    said so, with no Quick Check score (issue 23, item 1). By hand: v1..v5 of api daily at 12:00,
    incident i1 on api 01-03 11:00-13:00 (open while v3 deploys) -> 1 of 5 = 20 %."""
    rows = [ev(f"2024-01-0{d}T12:00:00Z", "deploy", deploy_id=f"v{d}") for d in range(1, 6)]
    rows += [ev("2024-01-03T11:00:00Z", "incident_start", incident_id="i1"),
             ev("2024-01-03T13:00:00Z", "incident_resolved", incident_id="i1")]
    an = analysis_of(rows)
    assert an.summary["dora"]["rework_rate_pct"] == pytest.approx(20.0)
    assert an.summary["evidence"]["rework_rate_pct"].startswith("counts only deployments during incidents: the data "
                                                                 "marks no hotfix or rollback")
    assert an.details["quick_check"]["scores"]["rework_rate"] is None
    # one hotfix anywhere in the data: change types are known, rework is whole and scored
    an = analysis_of(rows + [ev("2023-12-01T12:00:00Z", "deploy", deploy_id="old", change_type="hotfix")])
    assert "rework_rate_pct" not in an.summary.get("evidence", {})
    assert an.details["quick_check"]["scores"]["rework_rate"] is not None


def test_waiting_prs_are_said_in_hours_then_days():
    # merged 2024-01-06 00:00:01 (47.99 h before the window's end) and 01-05 00:00 (72 h): median 60.0 h = 2.5 d
    rows = [ev("2024-01-05T00:00:00Z", "pr_created", pr_id="#1"), ev("2024-01-06T00:00:01Z", "pr_merged", pr_id="#1"),
            ev("2024-01-04T00:00:00Z", "pr_created", pr_id="#2"), ev("2024-01-05T00:00:00Z", "pr_merged", pr_id="#2")]
    an = analysis_of(rows)
    assert an.summary["dora"]["merged_prs_not_deployed"] == 2
    assert SPEC["lead_time_hours_median"].caution(an) == ("2 merged PRs wait for a release: median 2.5 d since the "
                                                          "merge, oldest 3.0 d")
    one = analysis_of(rows[:2])
    assert SPEC["lead_time_hours_median"].caution(one) == ("1 merged PR waits for a release: median 48.0 h since the "
                                                           "merge, oldest 48.0 h")


def test_the_rework_card_says_it_measures_a_part_and_shows_no_score():
    from dashboard.data import Computed
    from dashboard.tabs import TAB_VIEWS
    from test_components import find
    rows = [ev(f"2024-01-0{d}T12:00:00Z", "deploy", deploy_id=f"v{d}") for d in range(1, 6)]
    rows += [ev("2024-01-03T11:00:00Z", "incident_start", incident_id="i1"),
             ev("2024-01-03T13:00:00Z", "incident_resolved", incident_id="i1")]
    an = analysis_of(rows)
    cards, _ = TAB_VIEWS["dora"](Computed(an, an, "", "", ("api",)), "light")
    caution = str(find(cards, "kpi-rework-caution").children)
    assert "no Quick Check score: counts only deployments during incidents" in caution
    assert find(cards, "kpi-rework-score") is None
