"""The catalog of metrics, read from the registry (``metrics.builtin.METRICS``, the plug-ins'
``metrics.plugins.metric``): each metric's listing (``python -m metrics metrics [--json]``, in
``metrics.cli.catalog``) with its definition, unit, direction and tiers or bands, and
docs/metrics.md's tier and metric tables (built-in metrics only; ``python -m metrics docs`` writes
them, ``python -m metrics metrics --markdown`` prints them).
"""
from __future__ import annotations

from .benchmarks import TIERS
from .builtin import METRICS
from .plugins import load_plugins
from .registry.metric import SECTIONS, MetricSpec, tiered
from .registry.source_docs import cell


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


def tier_table() -> str:
    """docs/metrics.md's table of every tier and band, from the registry's bounds."""
    rows = ["| metric | elite | high | medium | low |", "|---|---|---|---|---|"]
    rows += [f"| {spec.label} (`{where(spec)}`) | " + " | ".join(cell(w) for w in spec.tiers.words) + " |"
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
        rows.append(f"| {spec.label} | `{where(spec)}` | {cell(spec.unit) or '–'} | "
                    f"{'lower' if spec.lower_is_better else 'higher'} | {needs or '–'} | "
                    f"{f'`{spec.card.element}` ({spec.card.tab})' if spec.card else '–'} | {cell(spec.definition)} |")
    return "\n".join(rows)


def markdown() -> str:
    """docs/metrics.md's generated tables, one after the other (``--markdown``)."""
    return tier_table() + "\n\n" + metric_table()


def plugin_metrics() -> list[tuple[MetricSpec, str]]:
    """The metrics of ``METRICS_PLUGINS`` with their files (PluginError naming a file that fails)."""
    return [(custom.spec, custom.path) for custom in load_plugins()]
