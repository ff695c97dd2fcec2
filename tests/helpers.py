"""What several tests share: METRICS.md section 7's keys, transcribed once, and building small event sets."""
import pandas as pd

from metrics import Window, analyze, normalize, tables_from_frame
from metrics.compute.pvm import Assumptions


# METRICS.md section 7, transcribed by hand (once: test_registry checks it against METRICS.md, test_cli
# the command line's --json against it): the summary's keys, in order, and the tiers' keys
SECTION_7 = {
    "dora": ["deployments", "successful_deployments", "deploys_per_day", "lead_time_hours_median",
             "lead_time_hours_p90", "merged_prs_not_deployed", "change_failure_rate_pct", "incidents", "open_incidents",
             "unattributed_incidents", "mttr_minutes_mean", "mttr_minutes_median", "mttr_minutes_p95",
             "rework_rate_pct"],
    "space": ["prs_per_day", "reviews_per_day", "review_turnaround_hours_mean", "satisfaction_mean",
              "satisfaction_responses", "merge_time_hours_mean", "incident_rate_pct"],
    "pvm": ["vcr_pct", "total_value_usd", "total_cost_usd", "platform_hours", "iar_pct", "first_period_deploys",
            "second_period_deploys", "dtr_pct", "toil_minutes", "feature_minutes", "onboarding_weeks_mean"],
}
SECTION_7_TIERS = ["deployment_frequency", "lead_time", "change_failure_rate", "recovery_time", "overall"]
NOT_IN_THE_SUMMARY: set = set()     # (section, key) METRICS.md lists and --json leaves out: none since issue 23
# section -> summary keys a metric adds that METRICS.md does not list (yet): issue 27's cycle-time stages and sizes
BEYOND_SECTION_7: dict = {"dora": [f"{stage}_hours_{stat}" for stage in ("coding", "pickup", "review", "deploy")
                                   for stat in ("median", "p75")]
                                  + ["pr_size_lines_median", "pr_size_lines_p75", "large_pr_share_pct",
                                     "deploy_batch_prs_median", "deploy_batch_lines_median"]}


# the charts not drawn over time (no date axis): a histogram, two periods side by side, and two charts
# by size bin (lead time by PR size, change failure by deployment batch size); the AI tab's group comparisons
TIMELESS = {"lead-time", "vcr", "dtr", "lead-by-size", "cfr-by-batch", "ai-stages", "ai-size", "ai-deployments"}


def summary_keys(section: str) -> list[str]:
    """The keys the summary's ``section`` must have, in order (without ``tiers``)."""
    return [k for k in SECTION_7[section] if (section, k) not in NOT_IN_THE_SUMMARY] + BEYOND_SECTION_7.get(section, [])


def callback_body(dependency, values_by_prop):
    """A request body as the renderer sends it for ``dependency`` (no chart mounted)."""
    def entry(spec):
        return {"id": spec["id"], "property": spec["property"], "value": values_by_prop.get(spec["property"])}
    outputs = []
    for output in dependency["output"].strip(".").split("..."):
        if output.startswith("{"):
            outputs.append([])                       # the charts (a pattern-matching list): none mounted
        else:
            element, prop = output.rsplit(".", 1)
            outputs.append({"id": element, "property": prop})
    return {"output": dependency["output"], "outputs": outputs, "inputs": [entry(i) for i in dependency["inputs"]],
            "state": [entry(s) for s in dependency["state"]], "changedPropIds": []}


def ev(ts, kind, service="api", **fields):
    return {"ts": ts, "kind": kind, "service": service, **fields}


def analysis_of(rows, start="2024-01-01", end="2024-01-08", attribution_hours=24.0, **assumptions):
    frame, report = normalize(pd.DataFrame(rows) if rows else pd.DataFrame({"ts": [], "kind": [], "service": []}))
    assert report.rejected_count == 0, report.lines()
    return analyze(tables_from_frame(frame), Window.between(start, end), Assumptions(**assumptions),
                   attribution_hours=attribution_hours)


def assert_close(a, b, path="summary"):
    """Two summaries are equal, floats to 1e-9 relative (sums depend on the order of their terms)."""
    import pytest
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            assert_close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9), path
    else:
        assert a == b, path


# A week (2024-01-01 to 01-08) with enough evidence for every DORA tier and Quick Check score
# (METRICS.md section 3: at least 5 events each), whose scores are hand.csv's (tests/test_attribution.py):
# deployments (api, 10:00): d1 01-01, d2 01-02, d3 01-03 failed, d4 01-04 hotfix, d5 01-05 rollback,
#   d6 01-06, d7 01-07: 7 deployments, 6 successful: 6/7 a day (high; Quick Check 6); rework d4, d5: 2/7.
# incidents, each linked to its deployment (deploy_id), resolved the same day: i1 d1 12:00-12:30 (30 min),
#   i2 d1 14:00-15:00 (60), i3 d2 12:00-13:30 (90), i4 d6 12:00-14:00 (120), i5 d6 15:00-18:00 (180):
#   5 resolved, median 90 min (recovery tier high: < 1 day; failed deployment recovery 90 min: less than
#   a day, Quick Check 8); failed: d3 and d1, d2, d6: 4 of 7 = 57.1 % (low; Quick Check (100 - 400/7) / 10).
# PRs (api), created -> merged -> shipped by the next successful deployment: p1 01-01 06:00 -> 08:00 -> d1
#   (4 h); p2 01-01 06:00 -> 01-02 09:00 -> d2 (28 h); p3 01-02 12:00 -> 01-03 09:00 -> d4 (d3 failed;
#   46 h); p4 01-04 08:00 -> 09:00 -> d4 (2 h); p5 01-04 12:00 -> 01-06 09:00 -> d6 (46 h): 5 timed, median
#   28 h (high: < 7 days; Quick Check 6). Overall tier low (CFR); Quick Check overall (6 + 6 + 8 + 4.29) / 4.
def ample_rows() -> list[dict]:
    day = "2024-01-{:02d}T{}:00Z".format
    rows = [ev(day(d, "10:00"), "deploy", deploy_id=f"d{d}", status="failed" if d == 3 else "success",
               change_type={4: "hotfix", 5: "rollback"}.get(d, "feature"), environment="production")
            for d in range(1, 8)]
    for i, (d, deploy, start, end) in enumerate(((1, "d1", "12:00", "12:30"), (1, "d1", "14:00", "15:00"),
                                                 (2, "d2", "12:00", "13:30"), (6, "d6", "12:00", "14:00"),
                                                 (6, "d6", "15:00", "18:00")), start=1):
        rows += [ev(day(d, start), "incident_start", incident_id=f"i{i}", deploy_id=deploy),
                 ev(day(d, end), "incident_resolved", incident_id=f"i{i}")]
    for i, (created, merged) in enumerate((((1, "06:00"), (1, "08:00")), ((1, "06:00"), (2, "09:00")),
                                           ((2, "12:00"), (3, "09:00")), ((4, "08:00"), (4, "09:00")),
                                           ((4, "12:00"), (6, "09:00"))), start=1):
        rows += [ev(day(*created), "pr_created", pr_id=f"p{i}"), ev(day(*merged), "pr_merged", pr_id=f"p{i}")]
    return rows


def deploys(n: int, prefix: str, start: str = "2024-01-01") -> pd.DataFrame:
    """``n`` distinct deployments, one a minute from ``start``."""
    ts = pd.date_range(start, periods=n, freq="min", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    frame, report = normalize(pd.DataFrame({"ts": ts, "kind": "deploy", "service": "api",
                                            "deploy_id": [f"{prefix}{i}" for i in range(n)]}))
    assert report.rejected_count == 0
    return frame


# -- the store's two backends (issue 25) ----------------------------------------------------------------

# the events on PostgreSQL are another part of issue 25 (``metrics/store/postgres/events.py``): the
# tests that store events there run once it is in the tree


def stored_text(where) -> str:
    """What the store keeps of a private document (users, API tokens): the file's text, or the
    database document's body (``private_store.InDatabase``)."""
    from metrics import store
    from metrics.private_store import InDatabase
    return store.read_document(where.name)[0] if isinstance(where, InDatabase) else where.read_text()
