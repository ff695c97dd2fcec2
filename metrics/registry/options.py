"""The sources' declared options on a command line: one flag per option name, shared by every source
that declares it (``--production`` for github, gitlab and cdevents), with one help line naming the
sources, and the one sentence for an option given to a source that does not take it.

``merged`` groups the declared ``Option``s by name, ``add_to`` puts them on an argparse parser
(every default None, so what was given is known), ``given_to`` picks the values a source takes. An
option whose flag the command has already (a source's ``service`` and the command's own
``--service``) rides on that argument: a source declaring it gets its value, and no source is
refused it.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from .source import Option, SourceError, sources


@dataclass(frozen=True)
class MergedOption:
    """One command-line option for the same-named ``Option`` of several sources: ``owners`` are
    (source name, Option) pairs, in the registry's order."""

    name: str
    owners: tuple

    @property
    def first(self) -> Option:
        return self.owners[0][1]

    @property
    def sources(self) -> tuple:
        return tuple(name for name, _ in self.owners)

    @property
    def flag(self) -> str:
        return self.first.command_flag

    @property
    def help(self) -> str:
        """"github / gitlab / cdevents: the environment that is production (default production)";
        sources whose option says something else get their own part, after a semicolon. The default
        is said here, once a part (``Option.default_said``): a source's help never says it."""
        parts: dict = {}
        for source, option in self.owners:
            parts.setdefault((option.help, option.default_said), []).append(source)
        return "; ".join(f"{' / '.join(names)}: {text}" + (f" ({default})" if default else "")
                         for (text, default), names in parts.items())

    def argument(self) -> tuple[tuple, dict]:
        """argparse's ``add_argument`` arguments for this option (its default None: not given)."""
        option, kind = self.first, self.first.kind
        keywords = {"dest": self.name, "default": None, "help": self.help.replace("%", "%%")}
        if kind == "flag":
            keywords["action"] = "store_true"
        else:
            keywords["metavar"] = option.metavar or "VALUE"
        if kind == "choice":
            keywords["choices"] = tuple(dict.fromkeys(c for _, o in self.owners for c in o.choices))
            keywords.pop("metavar")
        if kind in ("repeat", "pairs"):
            keywords["action"] = "append"
        if kind == "pairs":
            keywords["type"] = pair_of(option.metavar or "NAME=VALUE")
        return (self.flag,), keywords


def merged(owned) -> list[MergedOption]:
    """The options of (source name, Option) pairs, one per name; SourceError when two sources
    declare one name with different kinds or flags (the command line could not take both)."""
    by_name: dict = {}
    for source, option in owned:
        by_name.setdefault(option.name, []).append((source, option))
    for name, owners in by_name.items():
        kinds = {(o.kind, o.command_flag) for _, o in owners}
        if len(kinds) > 1:
            raise SourceError(f"option {name!r} is declared with different kinds or flags by "
                              f"{', '.join(s for s, _ in owners)}: give it one")
    return [MergedOption(name, tuple(owners)) for name, owners in by_name.items()]


def reader_options() -> list[MergedOption]:
    """Every source's reader options (``import``'s), merged by name."""
    return merged((name, option) for name, spec in sources().items() for option in spec.options)


def pair_of(metavar: str):
    """An argparse type: ``NAME=VALUE`` with both sides non-empty, as a (name, value) pair."""
    def parse(text: str) -> tuple:
        name, equals, value = text.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"expected {metavar} (two names joined by '='), got {text!r}")
        return name.strip(), value.strip()
    return parse


def add_to(parser: argparse.ArgumentParser, options: list[MergedOption]) -> set[str]:
    """Every merged option on ``parser`` (after the command's own arguments); the names of those
    whose flag the parser has already (they ride on its argument, whose ``dest`` must be the name)."""
    riding = set()
    for option in options:
        flags, keywords = option.argument()
        try:
            parser.add_argument(*flags, **keywords)
        except argparse.ArgumentError:               # the command's own --service, say
            riding.add(option.name)
    return riding


def value_of(option: MergedOption, value):
    """A parsed value as the reader takes it: a tuple for ``repeat``, NAME -> tuple of values for
    ``pairs`` (a name given twice keeps both, in order)."""
    if option.first.kind == "repeat":
        return tuple(value)
    if option.first.kind == "pairs":
        out: dict = {}
        for name, item in value:
            out[name] = out.get(name, ()) + (item,)
        return out
    return value


def not_for(what: str, owners, source: str, command: str) -> str:
    """The sentence that refuses another source's option ``what`` (a flag, or a configuration file's
    key) to ``source``: "--repo is for sync github, not for sync jenkins"."""
    return f"{what} is for {command} {' / '.join(owners)}, not for {command} {source}"


def given_to(args, options: list[MergedOption], source: str, command: str = "--from", riding=frozenset()) -> dict:
    """The options given on the command line (``args``), for ``source``: name -> value; a
    ValueError of one sentence when one of them is another source's (``riding`` options, the
    command's own arguments, are never refused)."""
    out = {}
    for option in options:
        value = getattr(args, option.name, None)
        if value is None or (option.name in riding and source not in option.sources):
            continue
        if source not in option.sources:
            raise ValueError(not_for(option.flag, option.sources, source, command))
        out[option.name] = value_of(option, value)
    return out
