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
    # integer arithmetic: np.arange(first, last + 1, step) sizes itself in float64 and can drop the last week
    count = (last - first) // (7 * NS_PER_DAY) + 1
    return pd.to_datetime(first + np.arange(count, dtype=np.int64) * (7 * NS_PER_DAY), utc=True, unit="ns")


def weekly(ts_ns: np.ndarray, values: np.ndarray, window: Window, stats: dict[str, str]) -> pd.DataFrame:
    """Aggregate ``values`` by the ISO week of ``ts_ns``, one row per week of the window.

    ``stats`` maps output column -> "mean", "median", "std" (sample, ddof=1) or "count". Weeks
    without values get NaN (count 0), as do "std" of a single value.
    """
    weeks = window_weeks(window)
    n = len(weeks)
    v = np.asarray(values, dtype=float)
    week = np.searchsorted(weeks.asi8, week_start_ns(ts_ns))
    count = np.bincount(week, minlength=n)[:n]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_ = np.bincount(week, weights=v, minlength=n)[:n] / count
        out = {"week": weeks}
        for col, how in stats.items():
            if how == "count":
                out[col] = count
            elif how == "mean":
                out[col] = mean_
            elif how == "std":
                squares = np.bincount(week, weights=(v - mean_[week]) ** 2, minlength=n)[:n]
                out[col] = np.where(count > 1, np.sqrt(squares / (count - 1)), np.nan)
            elif how == "median":
                ordered = sorted_by_group(v, week)
                first = np.cumsum(count) - count
                lo = np.clip(first + (count - 1) // 2, 0, max(len(v) - 1, 0))
                hi = np.clip(first + count // 2, 0, max(len(v) - 1, 0))
                out[col] = np.where(count > 0, (ordered[lo] + ordered[hi]) / 2 if len(v) else np.nan, np.nan)
            else:
                raise ValueError(f"unknown statistic {how!r}")
    return pd.DataFrame(out)


def sorted_by_group(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """``values`` ordered by ``group`` (small non-negative ints), each group's values sorted (NaN
    last): what ``values[np.lexsort((values, group))]`` gives, by a counting sort of the groups and
    one small sort a group (a lexsort of 300k values is ~15x slower)."""
    group = np.asarray(group, dtype=np.int64)
    out = values[np.argsort(small_ints(group), kind="stable")]
    counts = np.bincount(group)
    ends = np.cumsum(counts)
    for start, end in zip((ends - counts).tolist(), ends.tolist()):
        if end - start > 1:
            out[start:end].sort()
    return out


def weekly_sums(daily: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Sum daily columns by ISO week: one row per week with days in the window, its Monday
    (``week``) and how many of its days the window holds (``days``, 1-7)."""
    week = week_start_ns(daily["date"].to_numpy(dtype="datetime64[ns]").view("i8"))
    out = daily[columns].groupby(week).sum()
    days = pd.Series(week).value_counts().reindex(out.index).to_numpy()
    out.insert(0, "days", days.astype(int))
    out.insert(0, "week", pd.to_datetime(out.index.to_numpy(), utc=True, unit="ns"))
    return out.reset_index(drop=True)


def bucketed(daily: pd.DataFrame, bucket: str) -> pd.DataFrame:
    """A daily series (``date`` and counts) summed per ``bucket`` ("day": as it is; "week": ISO
    week from Monday; "month": calendar month; ``defaults.line_bucket`` chooses by the window's
    length): ``start`` (the bucket's first day, UTC), ``days`` (how many of its days the window
    holds) and every other column summed."""
    dates = pd.DatetimeIndex(daily["date"])
    counts = daily.drop(columns="date").reset_index(drop=True)
    if bucket == "day":
        counts.insert(0, "days", 1)
        counts.insert(0, "start", dates)
        return counts
    days = dates.normalize()
    if bucket == "week":
        start = days - pd.to_timedelta(days.day_of_week, unit="D")
    elif bucket == "month":
        start = days - pd.to_timedelta(days.day - 1, unit="D")
    else:
        raise ValueError(f"unknown bucket {bucket!r}")
    grouped = counts.groupby(start.rename("start"))
    out = grouped.sum()
    out.insert(0, "days", grouped.size())
    return out.reset_index()


def rate_pct(numerator, denominator) -> np.ndarray:
    """``numerator / denominator x 100`` element-wise; NaN where the denominator is 0."""
    n, d = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    return np.divide(100 * n, d, out=np.full(len(d), np.nan), where=d > 0)


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


class TimeIndex:
    """Event times grouped by an integer group (a service), sorted once for per-group searches.

    Each time is replaced by its rank among the distinct times, so ``group * stride + rank`` is
    one sortable int64 key and each search is a single vectorised ``searchsorted``.
    """

    def __init__(self, ts, group):
        ts = np.asarray(ts, dtype=np.int64)
        group = np.asarray(group, dtype=np.int64)
        # sorted by time (one run when the times come sorted, as the tables keep them), then stably by
        # group (a counting sort of small codes): the order of a stable sort of the keys, without it
        by_time = np.argsort(ts, kind="stable")
        sorted_ts = ts[by_time]
        new = np.concatenate(([True], sorted_ts[1:] != sorted_ts[:-1])) if len(ts) else np.zeros(0, bool)
        self.times = sorted_ts[new]
        rank = np.empty(len(ts), dtype=np.int64)
        rank[by_time] = np.cumsum(new) - 1
        self.stride = len(self.times) + 1
        keys = group * self.stride + rank
        self.order = by_time[np.argsort(small_ints(group[by_time]), kind="stable")]
        self.keys = keys[self.order]
        self.groups = group[self.order]
        self.size = len(ts)

    def _key(self, ts, group, side: str) -> np.ndarray:
        return np.asarray(group, np.int64) * self.stride + np.searchsorted(self.times, np.asarray(ts, np.int64), side=side)

    def _original(self, pos: np.ndarray, group) -> np.ndarray:
        """Original row of each sorted position, -1 where the position is off the group."""
        group = np.asarray(group, np.int64)
        inside = (pos >= 0) & (pos < self.size)
        safe = np.clip(pos, 0, max(self.size - 1, 0))
        ok = inside & (self.groups[safe] == group) if self.size else np.zeros(len(pos), bool)
        return np.where(ok, self.order[safe] if self.size else -1, -1)

    def first_at_or_after(self, ts, group) -> np.ndarray:
        """Row of the first indexed time of the same group at or after each time (-1: none)."""
        return self._original(np.searchsorted(self.keys, self._key(ts, group, "left"), side="left"), group)

    def last_before(self, ts, group) -> np.ndarray:
        """Row of the last indexed time of the same group strictly before each time (-1: none)."""
        return self._original(np.searchsorted(self.keys, self._key(ts, group, "left"), side="left") - 1, group)

    def inside_any(self, starts, ends, group) -> np.ndarray:
        """For each indexed row, whether its time lies in some ``[start, end)`` of its group
        (``end`` may be ``open_end`` = still open)."""
        starts, ends = np.asarray(starts, np.int64), np.asarray(ends, np.int64)
        g = np.asarray(group, np.int64) * self.stride
        lo = np.searchsorted(self.keys, g + np.searchsorted(self.times, starts, side="left"), side="left")
        end_rank = np.where(ends == OPEN, len(self.times), np.searchsorted(self.times, ends, side="left"))
        hi = np.searchsorted(self.keys, g + end_rank, side="left")
        depth = np.zeros(self.size + 1, dtype=np.int64)
        np.add.at(depth, lo, 1)
        np.add.at(depth, hi, -1)
        out = np.empty(self.size, dtype=bool)
        out[self.order] = np.cumsum(depth)[: self.size] > 0
        return out


def small_ints(codes: np.ndarray) -> np.ndarray:
    """Non-negative integer codes as int16 when they fit, which numpy sorts stably by counting
    (radix sort) rather than by merging: the same order, several times faster."""
    return codes.astype(np.int16) if len(codes) and codes.max() < 2 ** 15 else codes


OPEN = np.iinfo(np.int64).min      # an interval end that has not happened (same value as tables.NA)


def soon_after(ts_ns, event_ns, span_ns: int) -> np.ndarray:
    """For each time, whether some event happened at or before it and less than ``span_ns`` earlier."""
    ts_ns = np.asarray(ts_ns, dtype=np.int64)
    events = np.sort(np.asarray(event_ns, dtype=np.int64))
    if not len(events):
        return np.zeros(len(ts_ns), dtype=bool)
    latest = np.searchsorted(events, ts_ns, side="right") - 1
    return (latest >= 0) & (ts_ns - events[np.maximum(latest, 0)] < span_ns)


def period_bounds(window: Window, bucket: str) -> np.ndarray:
    """The edges of the periods of ``window`` (``bucket`` "week": ISO weeks from Monday; "month":
    calendar months), as int64 ns: the window's start, every period start inside it, its end. A
    first or last period the window holds only part of is that part."""
    start, end = window.start, window.end
    if bucket == "week":
        inner = pd.date_range(start + pd.Timedelta(days=1), end - pd.Timedelta(days=1), freq="W-MON")
    elif bucket == "month":
        inner = pd.date_range(start + pd.Timedelta(days=1), end - pd.Timedelta(days=1), freq="MS")
    else:
        raise ValueError(f"unknown bucket {bucket!r}")
    return np.concatenate(([window.start_ns], inner.as_unit("ns").asi8, [window.end_ns])).astype(np.int64)


def period_of(ts_ns, bounds: np.ndarray) -> np.ndarray:
    """The period (index into ``bounds``' intervals ``[bounds[i], bounds[i + 1])``) of each time of
    the window."""
    return np.searchsorted(bounds, np.asarray(ts_ns, dtype=np.int64), side="right") - 1


class Groups:
    """Rows grouped by a small int (0 .. n - 1, a period), put in group order once, so that a
    statistic per group of several columns of the same rows costs one pass each."""

    def __init__(self, group, n: int):
        group = np.asarray(group, dtype=np.int64)
        # rows already in group order (the tables keep PRs and events by time, so periods ascend): kept as they are
        ordered = not len(group) or bool((group[1:] >= group[:-1]).all())
        self.order = None if ordered else np.argsort(small_ints(group), kind="stable")
        self.counts = np.bincount(group, minlength=n)[:n]
        self.ends = np.cumsum(self.counts)

    def quantile(self, values, q: float) -> np.ndarray:
        """The ``q`` quantile of ``values`` (a value per row) per group, exactly as ``quantile`` of
        the group's values; NaN values are left out, NaN for a group without values."""
        v = np.asarray(values, dtype=float)
        v = v if self.order is None else v[self.order]
        out = np.full(len(self.counts), np.nan)
        for i, (end, count) in enumerate(zip(self.ends.tolist(), self.counts.tolist())):   # a loop per period
            part = v[end - count:end]
            part = part[~np.isnan(part)]
            if len(part):
                out[i] = np.quantile(part, q)
        return out


def grouped_quantile(values, group, n: int, q: float) -> np.ndarray:
    """The ``q`` quantile (linear interpolation, as ``quantile``) of ``values`` per group (``group``:
    ints 0 .. n - 1); NaN for a group without values. NaN values are left out."""
    return Groups(group, n).quantile(values, q)
