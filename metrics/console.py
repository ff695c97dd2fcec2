"""What every command of ``python -m metrics`` shares: the usage error (one line, exit 2), the
argument parser that raises it, the argparse value types, and the progress bar.

It imports nothing from ``metrics.cli`` or ``metrics.ingest``: it sits below every command (the
command-line parts of each, the sync's included, are in ``metrics.cli``), so no import cycle.
"""
from __future__ import annotations

import argparse

from . import defaults


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are a UsageError (one line, exit 2) and that never takes an
    abbreviation of an option for the option (``--team`` is not ``--team-size``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise UsageError(message)


def checked_argument(check, name: str, lo, hi):
    """An argparse type from a check of ``defaults`` (``check(name, text, lo, hi)``), its
    CheckError as argparse's error."""
    def parse(text: str):
        try:
            return check(name, text, lo, hi)
        except defaults.CheckError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    return parse


def whole_argument(name: str, lo: int, hi: int):
    """An argparse type: a whole number in [lo, hi] (``defaults.whole``)."""
    return checked_argument(defaults.whole, name, lo, hi)


def amount_argument(name: str, lo: float = 0.0, hi: float = defaults.MAX_AMOUNT):
    """An argparse type: a finite number in [lo, hi] (``defaults.amount``)."""
    return checked_argument(defaults.amount, name, lo, hi)


def date_argument(text: str) -> int:
    """An argparse type: a date (YYYY-MM-DD) as nanoseconds since the epoch (``window.to_ns``)."""
    from .window import to_ns   # pandas: imported when a date is given, not for --help
    try:
        return to_ns(text)
    except (ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


class ProgressBar:
    """A one-line progress bar on a terminal (nothing when the stream is not one)."""

    WIDTH = 30

    def __init__(self, stream):
        self.stream = stream
        self.on = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, done: int, total: int, what: str) -> None:
        if not self.on:
            return
        filled = self.WIDTH * done // total if total else self.WIDTH
        self.stream.write(f"\r[{'#' * filled}{'-' * (self.WIDTH - filled)}] {done}/{total} {what[:40]:<40}")
        self.stream.flush()

    def end(self) -> None:
        if self.on:
            self.stream.write("\n")
            self.stream.flush()
