"""The subcommands of ``python -m metrics``: one table, and the entry point that dispatches through it.

A subcommand is a module of this package with a function that runs it on the words after its name
(exit code 0, or a ``UsageError``), plus one entry in ``COMMANDS``. ``python -m metrics --help`` lists
the table; ``python -m metrics NAME --help`` is the subcommand's own parser. With no subcommand,
``python -m metrics [options]`` is the console summary (``summary.run``).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import import_module
from typing import Callable

from ..console import Parser, UsageError
from . import summary


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, its line in ``python -m metrics --help``, and where its function is,
    ``"MODULE:FUNCTION"`` in this package: the module is imported only when the command runs (or its
    ``run`` is asked for), so ``--help`` and every other command load none of it."""
    name: str
    help: str
    where: str

    @property
    def run(self) -> Callable[[list], int]:
        """The function that runs the subcommand on the words after its name (its module imported now)."""
        module, _, function = self.where.partition(":")
        return getattr(import_module(f"{__package__}.{module}"), function)


COMMANDS = (
    Command("import", "add the events of files or of a git repository to a stored dataset", "import_:run_import"),
    Command("datasets", "list the stored datasets and their last syncs, or delete one", "datasets:run_datasets"),
    Command("export", "write a stored dataset's events as one Parquet file (a backup, or for DuckDB or Spark)",
            "export:run_export"),
    Command("sync", "pull events from a team's services into a stored dataset, once or every few minutes",
            "sync:run_sync"),
    Command("tokens", "create, list or revoke the read-only tokens of the JSON API", "tokens:run_tokens"),
    Command("users", "add, list or remove the dashboard's users, set their roles and passwords, sign them out",
            "users:run_users"),
    Command("db", "the store's database (SQLite or PostgreSQL): bring its schema to this version, say its state",
            "db:run_db"),
    Command("audit", "every write to the stored datasets, newest first", "audit:run_audit"),
    Command("metrics", "every metric, built-in and plug-in: definition, unit, direction, tiers or bands",
            "catalog:run_metrics"),
    Command("sources", "every source of events (import --from, the upload menu, sync, webhooks) and its options",
            "sources:run_sources"),
    Command("baselines", "the published DORA Quick Check averages the scores can be compared with",
            "baselines:run_baselines"),
    Command("docs", "rewrite the generated tables of README.md and docs/metrics.md (--check: name the stale ones)",
            "docs:run_docs"),
    Command("alerts", "check the alerts file's alerts and notify on a change, or list their states",
            "alerts:run_alerts"),
    Command("digest", "send a team's weekly digest (five keys, their change, the slowest PRs) or print it",
            "digest:run_digest"),
    Command("schedule", "run the syncs, alert checks and digests of the alerts file on their cron schedule",
            "schedule:run_schedule"),
)
BY_NAME = {command.name: command for command in COMMANDS}


def parser() -> Parser:
    """The parser of ``python -m metrics``: the summary's options, and a subcommand per ``COMMANDS``
    entry whose parser here takes nothing (the words after its name go to its own parser)."""
    p = summary.build_parser()
    p.usage = "%(prog)s [options]            (the console summary)\n       %(prog)s COMMAND [...]        (a subcommand)"
    subcommands = p.add_subparsers(dest="command", metavar="COMMAND", title="commands",
                                   description="python -m metrics COMMAND --help says more")
    for command in COMMANDS:
        subcommands.add_parser(command.name, help=command.help, add_help=False)
    return p


def chosen(argv: list) -> tuple[Callable, list]:
    """The function a command line runs and the words it gets. A subcommand is only ever the first
    word, and every word after it is its own; any other command line is the summary's, whole, so the
    summary's parser judges it as it always has (``bogus`` and ``--seed 7 import`` are arguments it
    does not recognise, not an unknown or a misplaced subcommand)."""
    try:
        args, _ = parser().parse_known_args(argv)
    except UsageError:
        return summary.run, argv
    if args.command is None or argv[0] != args.command:
        return summary.run, argv
    return BY_NAME[args.command].run, argv[1:]


def main(argv=None) -> int:
    """Entry point: exit code 0, or 2 with a one-line message for bad input."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        run, words = chosen(argv)
        return run(words)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
