"""``python -m metrics metrics [--json | --markdown]``: every metric, built-in and plug-in
(``METRICS_PLUGINS``), with its definition, unit, direction and tiers or bands (``metrics.catalog``
makes the listing and the tables; ``python -m metrics docs`` writes the tables into the docs)."""
from __future__ import annotations

import json
import sys

from ..console import Parser, UsageError


def one_line(message: str) -> str:
    """``message`` on one line: a control character (a newline in an argument) shown escaped."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


def run_metrics(argv, out=None, err=None) -> int:
    """``python -m metrics metrics``: the listing (text, or ``--json``) or docs/metrics.md's tables
    (``--markdown``); a bad argument or plug-in is one line, exit 2."""
    out, err = out or sys.stdout, err or sys.stderr
    p = Parser(prog="python -m metrics metrics",
               description="Every metric, built-in and plug-in (METRICS_PLUGINS): definition, unit, direction, "
                           "tiers or bands.")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="one JSON object: {\"metrics\": [...]}")
    shown.add_argument("--markdown", action="store_true",
                       help="docs/metrics.md's generated tables (built-in metrics; python -m metrics docs writes them)")
    try:
        args = p.parse_args(argv)
        from .. import catalog                  # the registry: imported when the command runs
        from ..plugins import PluginError
        if args.markdown:
            print(catalog.markdown(), file=out)
            return 0
        try:
            specs = [(spec, "") for spec in catalog.METRICS] + catalog.plugin_metrics()
        except PluginError as e:
            raise UsageError(str(e)) from None
    except UsageError as e:
        print("error: " + one_line(str(e)), file=err)
        return 2
    if args.json:
        print(json.dumps({"metrics": [catalog.entry(spec, plugin) for spec, plugin in specs]}, indent=2), file=out)
    else:
        print("\n".join(catalog.text_lines(specs)), file=out)
    return 0
