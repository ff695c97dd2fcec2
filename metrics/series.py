"""Helpers shared by the metric modules: daily and ISO-weekly bucketing, n/a-safe statistics."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .schema import NS_PER_DAY
from .window import Window


def daily_counts(ts_ns: np.ndarray, window: Window, weights: np.ndarray | None = None) -> np.ndarray:
    """Count (or sum ``weights``) per day of the window; every day present, zero-filled."""
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    inside = window.contains(ts_ns)
    idx = window.day_index(ts_ns[inside])
    w = None if weights is None else np.asarray(weights, dtype=float)[inside]
    return np.bincount(idx, weights=w, minlength=window.days)[: window.days]


def week_start_ns(ts_ns: np.ndarray) -> np.ndarray:
    """Monday 00:00 UTC of the ISO week of each timestamp (1970-01-01 was a Thursday)."""
    day = np.asarray(ts_ns, dtype=np.int64) // NS_PER_DAY
    return (day - (day + 3) % 7) * NS_PER_DAY


def window_weeks(window: Window) -> pd.DatetimeIndex:
    """Mondays of every ISO week that overlaps the window."""
    first = int(week_start_ns(np.array([window.start_ns]))[0])
    last = int(week_start_ns(np.array([window.end_ns - 1]))[0])
    return pd.to_datetime(np.arange(first, last + 1, 7 * NS_PER_DAY), utc=True, unit="ns")


def weekly(ts_ns: np.ndarray, values: np.ndarray, window: Window, stats: dict[str, str]) -> pd.DataFrame:
    """Aggregate ``values`` by the ISO week of ``ts_ns``, one row per week of the window.

    ``stats`` maps output column -> pandas aggregation ("mean", "median", "std", "count"); "std"
    is the sample standard deviation (ddof=1). Weeks without values get NaN (count 0).
    """
    weeks = window_weeks(window)
    frame = pd.DataFrame({"week": pd.to_datetime(week_start_ns(ts_ns), utc=True, unit="ns"), "v": np.asarray(values, float)})
    grouped = frame.groupby("week")["v"]
    out = pd.DataFrame(index=weeks)
    for col, how in stats.items():
        out[col] = grouped.agg(how).reindex(weeks)
        if how == "count":
            out[col] = out[col].fillna(0).astype(int)
    out.index.name = "week"
    return out.reset_index()


def mean(values) -> float | None:
    v = np.asarray(values, dtype=float)
    return float(v.mean()) if len(v) else None


def median(values) -> float | None:
    return quantile(values, 0.5)


def quantile(values, q: float) -> float | None:
    """Linear-interpolation quantile (as ``pandas.Series.quantile``); None for no values."""
    v = np.asarray(values, dtype=float)
    return float(np.quantile(v, q)) if len(v) else None


def pct(numerator: float, denominator: float) -> float | None:
    """``numerator / denominator x 100``, None (n/a) when the denominator is zero."""
    return None if not denominator else 100.0 * numerator / denominator


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else numerator / denominator


def clean(value):
    """NaN and infinities become None, numpy scalars become Python numbers."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return None if math.isnan(value) or math.isinf(value) else value


def count_at_or_before(query_ts, query_group, event_ts, event_group) -> np.ndarray:
    """For each query, how many events of the same group happened at or before its time.

    Event times are replaced by their rank among the distinct event times, so
    ``group * (distinct + 1) + rank`` is one sortable int64 key and a single ``searchsorted``
    answers every query (a query's rank bound is the number of distinct event times <= it).
    """
    query_ts = np.asarray(query_ts, dtype=np.int64)
    event_ts = np.asarray(event_ts, dtype=np.int64)
    if not len(query_ts) or not len(event_ts):
        return np.zeros(len(query_ts), dtype=np.int64)
    times = np.unique(event_ts)
    n = len(times) + 1
    keys = np.sort(np.asarray(event_group, np.int64) * n + np.searchsorted(times, event_ts))
    base = np.asarray(query_group, np.int64) * n
    bound = base + np.searchsorted(times, query_ts, side="right")
    return np.searchsorted(keys, bound, side="left") - np.searchsorted(keys, base, side="left")


def soon_after(ts_ns, event_ns, span_ns: int) -> np.ndarray:
    """For each time, whether some event happened at or before it and less than ``span_ns`` earlier."""
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    events = np.sort(np.asarray(event_ns, dtype=np.int64))
    if not len(events):
        return np.zeros(len(ts_ns), dtype=bool)
    latest = np.searchsorted(events, ts_ns, side="right") - 1
    return (latest >= 0) & (ts_ns - events[np.maximum(latest, 0)] < span_ns)
