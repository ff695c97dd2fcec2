"""How a view field reads what a user gives it (a control's value or a URL parameter's text).

Each parser is called as ``parser(raw, context)`` and returns ``(value, None)`` or ``(None, the
sentence that says what is wrong)``; it never raises. ``context`` says what a field's rule may
depend on: the data source the view asks for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Callable

from metrics import defaults
from metrics.view_link import ALL_DAYS  # a dataset's whole span (days=0)

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Context:
    """What a field's rule may depend on: the view's data source as given (stripped; "" is the
    synthetic universe)."""

    dataset: str


def parse_whole(name: str, text, lo: int, hi: int) -> tuple[int | None, str | None]:
    """A whole number in [lo, hi] from user text, or (None, the sentence ``defaults.whole`` says)."""
    if text is None or not str(text).strip():
        return None, f"Enter a {name}: a whole number from {lo} to {hi}."
    try:
        return defaults.whole(name, text, lo, hi), None
    except defaults.CheckError as e:
        return None, defaults.sentence(e)


def parse_amount(name: str, text, lo: float = 0.0, hi: float = defaults.MAX_AMOUNT) -> tuple[float | None, str | None]:
    """A finite number in [lo, hi] from user text, or (None, the sentence ``defaults.amount`` says)."""
    try:
        return defaults.amount(name, "" if text is None else text, lo, hi), None
    except defaults.CheckError as e:
        return None, defaults.sentence(e)


def parse_day(name: str, text) -> tuple[str, str | None]:
    """A day (YYYY-MM-DD, a date picker may add a time) from 1970 to 2199, "" when empty, or ("",
    the sentence that says what is wrong)."""
    full = "" if text is None else str(text).strip()
    if not full:
        return "", None
    last = str(int(defaults.LATEST_EVENT[:4]) - 1) + "-12-31"
    message = (f"The {name} date must be a day from {defaults.EARLIEST_EVENT} to {last} (YYYY-MM-DD), "
               f"not \u201c{full[:20]}\u201d.")
    if not DAY.fullmatch(full[:10]) or len(full) > 10 and full[10] not in "T ":
        return "", message
    try:
        day = date.fromisoformat(full[:10])
    except ValueError:
        return "", message
    if not defaults.EARLIEST_EVENT <= day.isoformat() < defaults.LATEST_EVENT:
        return "", message
    return day.isoformat(), None


def number_text(value: float) -> str:
    """A number as a link or an input shows it: ``150``, ``99.5``; in full where the short form
    (six significant digits) would read back as another number."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def stripped(raw) -> str:
    """The text of ``raw`` without surrounding blanks ("" for None)."""
    return "" if raw is None else str(raw).strip()


@dataclass(frozen=True)
class Whole:
    """A whole number from ``lo`` to ``hi`` (``parse_whole``)."""

    label: str
    lo: int
    hi: int

    def __call__(self, raw, context: Context):
        return parse_whole(self.label, raw, self.lo, self.hi)


@dataclass(frozen=True)
class Amount:
    """A finite number from ``lo`` to ``hi`` (``parse_amount``)."""

    label: str
    lo: float = 0.0
    hi: float = defaults.MAX_AMOUNT

    def __call__(self, raw, context: Context):
        return parse_amount(self.label, raw, self.lo, self.hi)


@dataclass(frozen=True)
class Day:
    """A day, or "" for none (``parse_day``)."""

    label: str

    def __call__(self, raw, context: Context):
        value, error = parse_day(self.label, raw)
        return (None, error) if error else (value, None)


@dataclass(frozen=True)
class Days:
    """The window's days: any whole number from 1 to ``hi`` (the command line's range), or 0 (all
    data) for a stored dataset."""

    hi: int

    def __call__(self, raw, context: Context):
        value, error = parse_whole("days", raw, ALL_DAYS if context.dataset else 1, self.hi)
        return (None, error) if error else (value, None)


@dataclass(frozen=True)
class OneOf:
    """One of ``choices``, exactly; anything else is an unknown ``noun``."""

    noun: str
    choices: tuple

    def __call__(self, raw, context: Context):
        for choice in self.choices:
            if raw == choice:
                return choice, None
        return None, f"Unknown {self.noun} \u201c{str(raw)[:40]}\u201d."


@dataclass(frozen=True)
class Checked:
    """What ``check(raw)`` returns (one of ``choices``); its ValueError's message when it refuses."""

    check: Callable
    choices: tuple

    def __call__(self, raw, context: Context):
        try:
            return self.check(raw), None
        except ValueError as e:
            return None, str(e)


@dataclass(frozen=True)
class Matching:
    """Text (stripped) that fully matches ``pattern``, or "" for none; else "is not ``what``"."""

    pattern: re.Pattern
    what: str

    def __call__(self, raw, context: Context):
        text = stripped(raw)
        if text and not self.pattern.fullmatch(text):
            return None, f"\u201c{text[:40]}\u201d is not {self.what}."
        return text, None


@dataclass(frozen=True)
class Names:
    """Several names (a filter's choices), each once, blanks dropped (``strip``: each name
    stripped first): at most ``most``, each fully matching ``pattern``; else ``message``."""

    pattern: re.Pattern
    most: int
    message: str
    strip: bool = False

    def __call__(self, raw, context: Context):
        if isinstance(raw, str):
            raw = [raw]
        if raw is not None and not isinstance(raw, (list, tuple)):
            return None, self.message
        names = (str(n).strip() if self.strip else str(n) for n in (raw or ()))
        chosen = tuple(dict.fromkeys(n for n in names if n.strip()))
        if len(chosen) > self.most or any(not self.pattern.fullmatch(n) for n in chosen):
            return None, self.message
        return chosen, None
