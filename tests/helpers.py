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
BEYOND_SECTION_7: dict = {}          # section -> summary keys a metric adds that METRICS.md does not list (yet)


def summary_keys(section: str) -> list[str]:
    """The keys the summary's ``section`` must have, in order (without ``tiers``)."""
    return [k for k in SECTION_7[section] if (section, k) not in NOT_IN_THE_SUMMARY] + BEYOND_SECTION_7.get(section, [])


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
