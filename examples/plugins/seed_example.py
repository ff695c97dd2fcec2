"""The origin documents' "Extending with Custom Metrics" example, as a plug-in: the daily mean, sum
and count of ``metric_value`` of one event kind (here satisfaction surveys).

    METRICS_PLUGINS=examples/plugins python -m metrics --seed 42 --days 14
"""
import pandas as pd

from metrics.plugins import metric


@metric(name="survey_scores_per_day", label="Survey scores per day", unit="score", lower_is_better=False)
def compute_custom_metric(df: pd.DataFrame) -> pd.DataFrame:
    """Compute your custom metric from event data."""
    # Filter events relevant to your metric
    custom_events = df[df["kind"] == "satisfaction_survey"].copy()

    if len(custom_events) == 0:
        return pd.DataFrame()

    # Group by time period
    custom_events["period"] = custom_events["ts"].dt.floor("1D")

    # Aggregate
    result = custom_events.groupby("period").agg({
        "metric_value": ["mean", "sum", "count"]
    }).reset_index()

    return result
