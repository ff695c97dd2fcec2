"""The seed documents' API ("Code Functions Overview"), kept working on top of the engine.

``generate_events(days, seed)`` gives the event frame of a synthetic universe (its window in
``frame.attrs["window"]``); ``to_dataframe(events)`` validates any events into that frame; every
``compute_*`` function takes such a frame and computes over its window (the generated window,
or for other frames the default window of METRICS.md section 2).
"""
from __future__ import annotations

import dataclasses
import warnings

import pandas as pd

from . import defaults
from .analysis import Analysis, analyze
from .ingest import normalize
from .compute.pvm import Assumptions
from .schema import NS_PER_DAY
from .synthetic import generate
from .tables import frame_from_tables, tables_from_frame
from .window import Window


def generate_events(days: int = defaults.DAYS, seed: int = defaults.SEED, scenario: str = "auto",
                    services: int = defaults.SERVICES, team_size: int = defaults.TEAM_SIZE, end=None) -> pd.DataFrame:
    """Synthetic event stream (deploys, incidents, PRs, surveys, PVM events), chronologically ordered.

    Includes the days just before the window that the window's links may reach back into.
    """
    u = generate(days, seed, scenario, services, team_size, end=end)
    frame = frame_from_tables(u.tables)
    frame.attrs["window"] = u.window
    return frame


def to_dataframe(events) -> pd.DataFrame:
    """Events (a DataFrame, or a list of dicts or of objects with the schema's attributes) as the
    validated event frame with UTC timestamps. Rejected rows are reported in a warning and in
    ``frame.attrs["load_report"]``."""
    window = getattr(events, "attrs", {}).get("window") if isinstance(events, pd.DataFrame) else None
    if not isinstance(events, pd.DataFrame):
        records = [e if isinstance(e, dict) else dataclasses.asdict(e) if dataclasses.is_dataclass(e) else vars(e)
                   for e in events]
        events = pd.DataFrame.from_records(records)
    frame, report = normalize(events, source="events")
    if report.rejected_count:
        warnings.warn("; ".join(report.lines()), stacklevel=2)
    frame.attrs["load_report"] = report.to_dict()
    if window is not None:
        frame.attrs["window"] = window
    return frame


def _analysis(df: pd.DataFrame, days: int | None = None) -> Analysis:
    if "kind" in df.columns and not isinstance(df["ts"].dtype, pd.DatetimeTZDtype):
        df = to_dataframe(df)
    tables = tables_from_frame(df)
    window = df.attrs.get("window")
    if window is None:
        span = tables.time_span()
        window = Window.covering(*span) if span else Window.ending(pd.Timestamp.now(tz="UTC"), days or 1)
    if days is not None:
        window = Window(window.end_ns - days * NS_PER_DAY, window.end_ns)
    return analyze(tables, window, Assumptions())


def compute_deployments_per_day(df: pd.DataFrame) -> pd.DataFrame:
    """Deployment frequency: production deployments and successful ones per day of the window;
    ``attrs["deploys_per_day"]`` holds the average successful deployments per day."""
    an = _analysis(df)
    out = an.daily[["date", "deployments", "successful_deployments"]].copy()
    out.attrs["deploys_per_day"] = an.summary["dora"]["deploys_per_day"]
    return out


def compute_mttr(df: pd.DataFrame) -> pd.DataFrame:
    """Recovery time per incident of the window (``recovery_minutes``; NaN while open)."""
    return _analysis(df).incidents


def compute_activity_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Daily PRs created, reviews and merges."""
    return _analysis(df).daily[["date", "prs_created", "reviews", "merges"]].copy()


def compute_collaboration_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Weekly code review turnaround (created -> first review): mean, median and PR count."""
    return _analysis(df).weekly[["week", "review_turnaround_hours_mean", "review_turnaround_hours_median", "reviewed_prs"]].copy()


def compute_satisfaction_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Weekly mean satisfaction score (1-5) and response count."""
    return _analysis(df).weekly[["week", "satisfaction_mean", "responses"]].copy()


def compute_efficiency_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Weekly PR merge time (created -> merged): mean, sample standard deviation and PR count."""
    return _analysis(df).weekly[["week", "merge_time_hours_mean", "merge_time_hours_std", "merged_prs"]].copy()


def compute_performance_metrics(df: pd.DataFrame, mttr: pd.DataFrame | None = None) -> dict:
    """Incident rate per deployment, with the recovery statistics of ``mttr`` (``compute_mttr``'s table)."""
    an = _analysis(df)
    minutes = (mttr if mttr is not None else an.incidents)["recovery_minutes"].dropna()
    return {"incident_rate_pct": an.summary["space"]["incident_rate_pct"], "incidents": an.summary["dora"]["incidents"],
            "deployments": an.summary["dora"]["deployments"],
            "mttr_minutes_mean": float(minutes.mean()) if len(minutes) else None,
            "mttr_minutes_median": float(minutes.median()) if len(minutes) else None,
            "mttr_minutes_p95": float(minutes.quantile(0.95)) if len(minutes) else None}


def compute_pvm_vcr(df: pd.DataFrame) -> dict:
    """Value to cost ratio with its value and cost (default assumptions)."""
    p = _analysis(df).summary["pvm"]
    return {k: p[k] for k in ("vcr_pct", "total_value_usd", "total_cost_usd", "platform_hours")}


def compute_pvm_iar(df: pd.DataFrame, days: int | None = None) -> dict:
    """Innovation adoption rate over the last ``days`` days of the window, with the period chart data."""
    an = _analysis(df, days)
    p = an.summary["pvm"]
    return {"iar_pct": p["iar_pct"], "first_period_deploys": p["first_period_deploys"],
            "second_period_deploys": p["second_period_deploys"], "periods": an.iar_periods}


def compute_pvm_dtr(df: pd.DataFrame) -> dict:
    """Developer toil ratio with its toil and feature minutes (default assumptions)."""
    p = _analysis(df).summary["pvm"]
    return {k: p[k] for k in ("dtr_pct", "toil_minutes", "feature_minutes")}
