"""The sorting helpers of ``metrics.series``: the weekly medians (``weekly``), whose values are
sorted a week at a time (``sorted_by_group``), against hand-worked weeks and pandas' own group
medians; and the per-service time index (``TimeIndex``) against a brute-force search."""
import numpy as np
import pandas as pd

from metrics.series import TimeIndex, sorted_by_group, weekly
from metrics.window import Window

DAY = 86_400_000_000_000


def test_weekly_medians_by_hand():
    # 2024-01-01 is a Monday: three weeks, the middle one empty
    w = Window(pd.Timestamp("2024-01-01", tz="UTC").value, pd.Timestamp("2024-01-22", tz="UTC").value)
    start = w.start_ns
    ts = [start + 6 * DAY, start, start + 15 * DAY, start + DAY, start + 20 * DAY, start + 2 * DAY]
    hours = [9.0, 1.0, 5.0, 4.0, 3.0, 2.0]     # week 1: 9, 1, 4, 2 -> 2 and 4 -> 3.0; week 3: 5, 3 -> 4.0
    table = weekly(np.array(ts), np.array(hours), w, {"m": "median", "n": "count"})
    assert list(table["n"]) == [4, 0, 2]
    assert table["m"].iloc[0] == 3.0 and np.isnan(table["m"].iloc[1]) and table["m"].iloc[2] == 4.0


def test_weekly_medians_are_pandas_group_medians():
    rng = np.random.default_rng(7)
    w = Window(pd.Timestamp("2024-01-01", tz="UTC").value, pd.Timestamp("2024-12-30", tz="UTC").value)
    ts = w.start_ns + rng.integers(0, 182 * DAY, 20_000)                                 # the first half-year
    hours = rng.exponential(10, len(ts)).round(1)                                        # many ties
    table = weekly(ts, hours, w, {"m": "median"})
    week = pd.to_datetime(ts, utc=True).normalize()
    week = week - pd.to_timedelta(week.day_of_week, unit="D")
    expected = pd.Series(hours).groupby(week).median().reindex(table["week"])
    assert np.allclose(table["m"].to_numpy(), expected.to_numpy(), equal_nan=True, rtol=0, atol=0)
    assert table["m"].isna().sum() > 20                                    # the empty second half stays n/a


def test_sorted_by_group_is_lexsort():
    rng = np.random.default_rng(3)
    for n, groups in ((0, 1), (1, 1), (50, 3), (5_000, 60), (3_000, 40_000)):
        values = rng.exponential(5, n).round(1)
        values[rng.random(n) < 0.05] = np.nan
        group = rng.integers(0, groups, n)
        assert np.array_equal(sorted_by_group(values, group), values[np.lexsort((values, group))], equal_nan=True)


def test_time_index_orders_by_group_then_time_then_row():
    rng = np.random.default_rng(11)
    for n, groups in ((0, 1), (1, 1), (200, 4), (20_000, 300), (2_000, 40_000)):
        ts = rng.integers(0, n // 3 + 2, n) * 1_000          # many equal times, not sorted
        group = rng.integers(0, groups, n)
        index = TimeIndex(ts, group)
        order = np.lexsort((np.arange(n), ts, group))        # group, then time, then row
        assert np.array_equal(index.order, order) and np.array_equal(index.groups, group[order])
        assert np.array_equal(index.times, np.unique(ts))


def test_time_index_searches_are_brute_force_searches():
    rng = np.random.default_rng(12)
    ts = np.sort(rng.integers(0, 50, 300)) * 10                 # sorted, as the tables keep them, with ties
    group = rng.integers(0, 5, 300)
    index = TimeIndex(ts, group)
    queries, of = rng.integers(-5, 510, 400), rng.integers(0, 6, 400)
    for q, g, after, before in zip(queries, of, index.first_at_or_after(queries, of), index.last_before(queries, of)):
        rows = np.flatnonzero(group == g)
        later, earlier = rows[ts[rows] >= q], rows[ts[rows] < q]
        # the first at or after: the earliest time, its first row; the last before: the latest time, its last row
        assert after == (later[np.argmin(ts[later])] if len(later) else -1)
        assert before == (earlier[::-1][np.argmax(ts[earlier][::-1])] if len(earlier) else -1)
