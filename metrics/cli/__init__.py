"""The command line ``python -m metrics``: the console summary (``summary``) and one module per
subcommand, dispatched through the table in ``commands``. What every command shares (the parser, the
usage error, the argparse types, the progress bar) is in ``metrics.console``."""
from ..console import Parser, UsageError, whole_argument
from .commands import COMMANDS, main
from .datasets import run_datasets
from .import_ import run_import
from .summary import add_universe_arguments, build_parser, run
from .tokens import run_tokens

__all__ = ["COMMANDS", "Parser", "UsageError", "add_universe_arguments", "build_parser", "main", "run",
           "run_datasets", "run_import", "run_tokens", "whole_argument"]
