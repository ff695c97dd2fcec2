"""``python -m metrics metrics [--json | --markdown | --update-docs FILE]``: every metric, built-in
and plug-in (``METRICS_PLUGINS``), with its definition, unit, direction and tiers or bands, read
from the registry (``metrics.builtin.METRICS``, ``metrics.plugins.metric``).

``--markdown`` prints docs/metrics.md's generated tables (the tier and band table, the metric
table; built-in metrics only), ``--update-docs FILE`` writes them into FILE between their marker
comments; ``tests/test_registry.py`` fails when docs/metrics.md differs from the registry.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .benchmarks import TIERS
from .console import Parser, UsageError
from .builtin import METRICS
from .plugins import PluginError, load_plugins
from .registry.metric import SECTIONS, MetricSpec, tiered

MARKERS = {name: (f"<!-- generated: {name} (python -m metrics metrics --update-docs docs/metrics.md) -->",
                  f"<!-- end of generated: {name} -->") for name in ("tiers", "metrics")}


class CatalogError(UsageError):
    """Bad input to ``python -m metrics metrics``: one sentence, exit code 2."""


def direction(spec: MetricSpec) -> str:
    """"lower is better" or "higher is better"."""
    return "lower is better" if spec.lower_is_better else "higher is better"


def where(spec: MetricSpec) -> str:
    """Where the number is: its key in the summary ("dora.deploys_per_day", ``--json``), a custom
    metric's ("custom.NAME", ``--json``'s ``custom``), or its path in the analysis's details
    ("details.sla_compliance_pct": the dashboard's)."""
    if spec.section == "custom":
        return f"custom.{spec.key}"
    root, *path = spec.where
    return ".".join(path) if root == "summary" else ".".join(spec.where)


def tiers(spec: MetricSpec) -> dict | None:
    """A metric's tiers (tier -> its threshold in words), or None."""
    return dict(zip(TIERS, spec.tiers.words)) if spec.tiers is not None else None


def bands(spec: MetricSpec) -> dict | None:
    """A metric's bands (band -> its range in words), or None."""
    return dict(spec.bands.ranges()) if spec.bands is not None else None


def entry(spec: MetricSpec, plugin: str = "") -> dict:
    """One metric as ``--json`` lists it."""
    return {"key": spec.key, "section": spec.section, "where": where(spec), "label": spec.label,
            "definition": spec.definition, "unit": spec.unit, "direction": direction(spec), "tiers": tiers(spec),
            "bands": bands(spec), "needs": list(spec.needs), "card": spec.card.element if spec.card else None,
            **({"plugin": plugin} if plugin else {})}


def text_lines(specs: list[tuple[MetricSpec, str]]) -> list[str]:
    """The listing: per section its title, then each metric: key, label, unit and direction, its
    definition, its tiers or bands and what it needs."""
    lines = []
    for section, title in SECTIONS.items():
        mine = [(s, p) for s, p in specs if s.section == section]
        if not mine:
            continue
        lines += ([""] if lines else []) + [f"--- {title} ---"]
        for spec, plugin in mine:
            unit = f"{spec.unit}, " if spec.unit else ""
            lines.append(f"{where(spec)}: {spec.label} ({unit}{direction(spec)})")
            if spec.definition:
                lines.append(f"  {spec.definition}")
            for name, said in (("tiers", tiers(spec)), ("bands", bands(spec))):
                if said:
                    lines.append(f"  {name}: " + " | ".join(f"{k} {v}" for k, v in said.items()))
            if spec.needs:
                lines.append(f"  needs: {', '.join(spec.needs)}")
            if plugin:
                lines.append(f"  plug-in: {plugin}")
    return lines


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def tier_table() -> str:
    """docs/metrics.md's table of every tier and band, from the registry's bounds."""
    rows = ["| metric | elite | high | medium | low |", "|---|---|---|---|---|"]
    rows += [f"| {spec.label} (`{where(spec)}`) | " + " | ".join(_cell(w) for w in spec.tiers.words) + " |"
             for spec in tiered(METRICS)]
    rows += ["", "| metric | red | amber | green | chart lines |", "|---|---|---|---|---|"]
    for spec in (s for s in METRICS if s.bands is not None):
        ranges = bands(spec)
        rows.append(f"| {spec.label} (`{where(spec)}`) | {ranges['red']} | {ranges['amber']} | {ranges['green']} | "
                    f"{', '.join(spec.bands.labels)} |")
    return "\n".join(rows)


def metric_table() -> str:
    """docs/metrics.md's table of every built-in metric: where it is, its unit, direction, what it
    needs, its card and its definition."""
    rows = ["| metric | key | unit | better | needs | card | definition |", "|---|---|---|---|---|---|---|"]
    for spec in METRICS:
        needs = ", ".join(" or ".join(f"`{k}`" for k in need.split("|")) for need in spec.needs)
        rows.append(f"| {spec.label} | `{where(spec)}` | {_cell(spec.unit) or '–'} | "
                    f"{'lower' if spec.lower_is_better else 'higher'} | {needs or '–'} | "
                    f"{f'`{spec.card.element}` ({spec.card.tab})' if spec.card else '–'} | {_cell(spec.definition)} |")
    return "\n".join(rows)


def generated() -> dict[str, str]:
    """The generated blocks of docs/metrics.md, by marker name."""
    return {"tiers": tier_table(), "metrics": metric_table()}


def updated_docs(text: str) -> str:
    """``text`` (docs/metrics.md) with each generated block rewritten from the registry; CatalogError
    when a block's markers are missing."""
    for name, block in generated().items():
        begin, end = MARKERS[name]
        start, stop = text.find(begin), text.find(end)
        if start < 0 or stop < start:
            raise CatalogError(f"the docs have no generated block {name!r}: put {begin} and {end} where it goes")
        text = text[:start + len(begin)] + "\n\n" + block + "\n\n" + text[stop:]
    return text


def plugin_metrics() -> list[tuple[MetricSpec, str]]:
    """The metrics of ``METRICS_PLUGINS`` with their files; CatalogError naming a file that fails."""
    try:
        return [(custom.spec, custom.path) for custom in load_plugins()]
    except PluginError as e:
        raise CatalogError(str(e)) from None


def run_metrics(argv, out=None, err=None) -> int:
    """``python -m metrics metrics``: the listing (``--json``), the docs tables (``--markdown``), or
    the docs rewritten (``--update-docs FILE``); a bad argument or plug-in is one line, exit 2."""
    out, err = out or sys.stdout, err or sys.stderr
    p = Parser(prog="python -m metrics metrics",
               description="Every metric, built-in and plug-in (METRICS_PLUGINS): definition, unit, direction, "
                           "tiers or bands.")
    shown = p.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="one JSON object: {\"metrics\": [...]}")
    shown.add_argument("--markdown", action="store_true", help="docs/metrics.md's generated tables (built-in metrics)")
    shown.add_argument("--update-docs", metavar="FILE", help="rewrite FILE's generated tables (docs/metrics.md)")
    try:
        args = p.parse_args(argv)
        if args.markdown:
            print("\n\n".join(generated().values()), file=out)
            return 0
        if args.update_docs:
            path = Path(args.update_docs)
            try:
                text = path.read_text(encoding="utf-8")
                new = updated_docs(text)
                if new != text:
                    path.write_text(new, encoding="utf-8")
            except (OSError, ValueError) as e:         # ValueError: a path with a NUL in it
                raise CatalogError(f"cannot update {path}: {getattr(e, 'strerror', None) or e}") from None
            print(f"{path}: {'updated' if new != text else 'already matches the registry'}", file=out)
            return 0
        specs = [(spec, "") for spec in METRICS] + plugin_metrics()
    except UsageError as e:                     # one line: a control character in an argument is shown escaped
        print("error: " + "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in str(e)), file=err)
        return 2
    if args.json:
        print(json.dumps({"metrics": [entry(spec, plugin) for spec, plugin in specs]}, indent=2), file=out)
    else:
        print("\n".join(text_lines(specs)), file=out)
    return 0
