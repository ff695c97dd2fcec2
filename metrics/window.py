"""The window of METRICS.md section 2: whole UTC days [start, end)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .defaults import MAX_DAYS  # noqa: F401  (the window's limit, kept importable here)
from .schema import NS_PER_DAY


@dataclass(frozen=True)
class Window:
    """Whole UTC days ``[start, end)``; ``start_ns``/``end_ns`` are nanoseconds since the epoch."""

    start_ns: int
    end_ns: int

    def __post_init__(self):
        if self.start_ns % NS_PER_DAY or self.end_ns % NS_PER_DAY:
            raise ValueError("a window starts and ends at 00:00 UTC")
        if self.end_ns <= self.start_ns:
            raise ValueError("a window's end must be after its start")

    @property
    def days(self) -> int:
        return (self.end_ns - self.start_ns) // NS_PER_DAY

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.start_ns, tz="UTC")

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.end_ns, tz="UTC")

    def previous(self) -> "Window":
        """The block of ``days`` days just before this one (the period deltas compare with)."""
        return Window(self.start_ns - (self.end_ns - self.start_ns), self.start_ns)

    def contains(self, ts_ns: np.ndarray) -> np.ndarray:
        """Boolean mask: which nanosecond timestamps fall in ``[start, end)``."""
        return (ts_ns >= self.start_ns) & (ts_ns < self.end_ns)

    def day_index(self, ts_ns: np.ndarray) -> np.ndarray:
        """Day number of each timestamp counted from the window's start (0 = first day)."""
        return (ts_ns - self.start_ns) // NS_PER_DAY

    def dates(self) -> pd.DatetimeIndex:
        """Every day of the window, as UTC midnights."""
        return pd.date_range(self.start, periods=self.days, freq="D")

    def working_days(self, weekmask: str = "Mon Tue Wed Thu Fri") -> int:
        """Working days in the window (Monday-Friday unless ``weekmask`` says otherwise)."""
        return int(np.busday_count(self.start.date(), self.end.date(), weekmask=weekmask))

    @classmethod
    def ending(cls, end, days: int) -> "Window":
        """The ``days`` whole days before ``end`` (a date, timestamp or string; floored to a UTC day)."""
        end_ns = floor_day(to_ns(end))
        return cls(end_ns - days * NS_PER_DAY, end_ns)

    @classmethod
    def between(cls, start, end) -> "Window":
        """Window from the day of ``start`` to the day of ``end`` (both floored to UTC days)."""
        return cls(floor_day(to_ns(start)), floor_day(to_ns(end)))

    @classmethod
    def covering(cls, first_ns: int, last_ns: int) -> "Window":
        """Default window for loaded data: the day of the first event to the day after the last."""
        return cls(floor_day(first_ns), floor_day(last_ns) + NS_PER_DAY)


def over_data(span: tuple[int, int] | None, days: int | None = None, start_ns: int | None = None,
              end_ns: int | None = None) -> Window:
    """The window over loaded data (METRICS.md section 2): from the day of the first event to the
    day after the last; ``days`` keeps the last days of it; ``start_ns`` / ``end_ns`` set either
    end. Raises ValueError when the data are empty and no explicit window is given, or when the
    window would be empty."""
    if span is None and (start_ns is None or end_ns is None):
        raise ValueError("no accepted events to summarise (give a start and an end to summarise an empty window)")
    covering = Window.covering(*span) if span else None
    start = start_ns if start_ns is not None else covering.start_ns
    end = end_ns if end_ns is not None else covering.end_ns
    if days and start_ns is None:
        start = end - days * NS_PER_DAY
    if end <= start:
        raise ValueError("the window is empty: its end must be after its start")
    return Window.between(start, end)


def to_ns(value) -> int:
    """Nanoseconds since the epoch of a date, timestamp or ISO string (naive values are UTC)."""
    ts = pd.Timestamp(value)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return int(ts.as_unit("ns").value)


def floor_day(ns: int) -> int:
    return (ns // NS_PER_DAY) * NS_PER_DAY


def today_ns() -> int:
    """Start of today (UTC), the synthetic universe's default end."""
    return floor_day(pd.Timestamp.now(tz="UTC").value)
