"""How a number in a metric's unit is written: the suffix after a card's number, and an amount in
words or short (a tier's threshold on a badge, a bound's label on a chart).

Units are written as a card shows them after the number: ``"%"``, ``"h"``, ``"min"``, ``"/day"``,
``"/5"``, ``"wk"``, ``""``. A duration (``h``, ``min``) is said in the largest of days, hours and
minutes that makes it a whole number (24 h is "1 day", 90 min "90 minutes"); a rate a day in the
shortest of a day, a week and a 30-day month that makes it a whole number (1/7 a day is "1 a week").
"""
from __future__ import annotations

from string import Formatter

MINUTES_IN = {"min": 1, "h": 60}                                     # the duration units
DURATION_WORDS = (("day", "d", 24 * 60), ("hour", "h", 60), ("minute", "min", 1))   # (word, short, minutes)
RATE_PERIODS = (("a day", "a day", 1), ("a week", "a week", 7), ("a month", "a month (30 days)", 30))   # (short, words, days)


def suffix(unit: str) -> str:
    """``unit`` as written after a number: "%" tight, any other unit after a space ("5.0 h")."""
    return unit if unit in ("", "%") else f" {unit}"


def _whole(x: float) -> bool:
    return x >= 1 and abs(x - round(x)) < 1e-9


def amount(value: float, unit: str, short: bool = False, counts: str = "") -> str:
    """``value`` (in ``unit``) in words ("7 days", "1 deployment a week", "5 %") or ``short``
    ("7 d", "1 a week"); ``counts``: what a rate counts, in the singular ("deployment")."""
    if unit in MINUTES_IN:
        minutes = value * MINUTES_IN[unit]
        for word, abbreviation, size in DURATION_WORDS:
            n = minutes / size
            if _whole(n) or size == 1:
                n = round(n) if _whole(n) else n
                return f"{n:g} {abbreviation}" if short else f"{n:g} {word}{'' if n == 1 else 's'}"
    if unit == "/day":
        n, period, words = value, "a day", "a day"
        for short_period, long_period, days in RATE_PERIODS:
            if _whole(value * days):
                n, period, words = round(value * days), short_period, long_period
                break
        if short or not counts:
            return f"{n:g} {period}"
        return f"{n:g} {counts}{'' if n == 1 else 's'} {words}"
    if unit == "%":
        return f"{value:g} %"
    return f"{value:g}{suffix(unit)}"


def say(value, fmt: str = "{:.1f}", after: str = "") -> str:
    """A number as a footnote or a console line writes it (``fmt``, then ``after``), or "n/a"."""
    return "n/a" if value is None else fmt.format(value) + after


class _Saying(Formatter):
    def format_field(self, value, spec: str) -> str:
        fmt, _, after = spec.partition("|")
        return say(value, "{:" + fmt + "}", after)


def say_in(template: str, values) -> str:
    """``template`` with each field ``{name:FORMAT|AFTER}`` written as ``say`` writes ``values[name]``
    (FORMAT as ``format`` takes it, none: as it is; AFTER after the number, not after "n/a"):
    ``say_in("Rework rate: {rework:.1f|%}", {"rework": 23.75})`` is "Rework rate: 23.8%", with
    ``{"rework": None}`` "Rework rate: n/a"."""
    return _Saying().vformat(template, (), values)
