"""A plug-in to copy: the documents' "Monitor on-call burden" pattern from ``on_call_hours`` events.

The dashboard has this built in (PVM tab, "On-call burden"); this file shows how such a metric is
written as a plug-in, and gives the same share of toil.

    METRICS_PLUGINS=examples/plugins/on_call_burden.py python -m metrics --input events.csv
"""
import pandas as pd

from metrics.plugins import metric


@metric(name="on_call_share_of_toil", label="On-call share of toil", unit="%", lower_is_better=True)
def on_call_share_of_toil(events: pd.DataFrame):
    """60 x on-call hours / (incident response + toil minutes + 60 x on-call hours) x 100 (None without toil)."""
    minutes = events["metric_value"].where(events["kind"] != "on_call_hours", events["metric_value"] * 60.0)
    on_call = minutes[events["kind"] == "on_call_hours"].sum()
    toil = minutes[events["kind"].isin(["on_call_hours", "incident_response", "toil"])].sum()
    return 100.0 * on_call / toil if toil else None


@metric(name="on_call_hours_per_week", label="On-call hours per week", unit="h", lower_is_better=True)
def on_call_hours_per_week(events: pd.DataFrame) -> pd.DataFrame:
    """On-call hours per ISO week (labelled by its Monday, UTC)."""
    on_call = events[events["kind"] == "on_call_hours"]
    if on_call.empty:
        return pd.DataFrame()
    day = on_call["ts"].dt.floor("1D")
    week = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    weekly = on_call.groupby(week)["metric_value"].sum()
    return weekly.rename("on-call hours").rename_axis("period").reset_index()
