"""A plug-in to copy: the share of production deployments that succeeded, per day and overall.

    METRICS_PLUGINS=examples/plugins python -m metrics --seed 42 --days 14
"""
import pandas as pd

from metrics.plugins import metric


def _production_deploys(events: pd.DataFrame) -> pd.DataFrame:
    return events[(events["kind"] == "deploy") & (events["environment"] == "production")]


@metric(name="deploy_success_rate", label="Deployment success rate", unit="%", lower_is_better=False)
def deploy_success_rate(events: pd.DataFrame):
    """Successful production deployments / production deployments x 100 (None with none)."""
    deploys = _production_deploys(events)
    return 100.0 * (deploys["status"] == "success").mean() if len(deploys) else None


@metric(name="deploy_success_rate_per_day", label="Deployment success rate per day", unit="%")
def deploy_success_rate_per_day(events: pd.DataFrame) -> pd.DataFrame:
    """The same, per UTC day that had deployments."""
    deploys = _production_deploys(events).assign(ok=lambda d: d["status"] == "success")
    if deploys.empty:
        return pd.DataFrame()
    daily = deploys.groupby(deploys["ts"].dt.floor("1D"))["ok"].mean().mul(100.0)
    return daily.rename("success rate %").rename_axis("period").reset_index()
