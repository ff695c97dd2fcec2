"""The command line ``python -m metrics``: the console summary (``summary``) and one module per
subcommand, dispatched through the table in ``commands``. What every command shares (the parser, the
usage error, the argparse types, the progress bar) is in ``metrics.console``. A subcommand's module
is imported when it runs (``run_import`` and the others here, on first use: ``metrics.lazy``)."""
from ..console import Parser, UsageError, whole_argument
from ..lazy import names_from
from .commands import COMMANDS, main
from .summary import add_universe_arguments, build_parser, run

__all__ = ["COMMANDS", "Parser", "UsageError", "add_universe_arguments", "build_parser", "main", "run",
           "run_datasets", "run_import", "run_tokens", "whole_argument"]

__getattr__ = names_from(__name__, {"datasets": ("run_datasets",), "import_": ("run_import",),
                                    "tokens": ("run_tokens",)})
