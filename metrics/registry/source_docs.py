"""The docs' source and webhook tables, written from the built-in sources' declarations (never by
hand; ``metrics.registry.docs`` puts them in README.md and docs/metrics.md: ``python -m metrics docs``).

README.md's source table has a row per source (``--from``, ``reads``, ``describe``), its webhook
table a row per source with a ``WebhookSpec`` (its secret, ``verified_by``, ``deliveries``);
docs/metrics.md's importer table a row per ``records`` pair (or one of ``reads`` and ``describe``),
its webhook delivery table a row per ``WebhookSpec.records`` pair, its AI facts table a row per
source with ``ai_facts``.
"""
from __future__ import annotations

from .source import SourceSpec, builtin_sources


def cell(text: str) -> str:
    """Text as a table cell (a ``|`` would end the cell)."""
    return " ".join(str(text).split()).replace("|", "\\|")


def builtins() -> list[SourceSpec]:
    """The built-in sources in the registry's order (plug-ins are not documented here)."""
    return sorted(builtin_sources().values(), key=lambda s: (s.order, s.name))


def readme_table(specs: list[SourceSpec]) -> str:
    """The README's table: what PATH is and what becomes an event, per source."""
    rows = [f"| `{s.name}` | {cell(s.reads or s.title)} | {cell(s.describe)} |" for s in specs]
    return "\n".join(["| `--from` | what PATH is | what becomes an event |", "|---|---|---|"] + rows)


def importer_table(specs: list[SourceSpec]) -> str:
    """docs/metrics.md's table: each source's records and the events they become."""
    rows = [f"| {s.name} | {cell(record)} | {cell(event)} |"
            for s in specs for record, event in (s.records or ((s.reads or s.title, s.describe),))]
    return "\n".join(["| source | record | event |", "|---|---|---|"] + rows)


def ai_facts_table(specs: list[SourceSpec]) -> str:
    """docs/metrics.md's table: what the AI rules read of each source's pull requests."""
    rows = [f"| {s.name} | {cell(s.ai_facts)} |" for s in specs if s.ai_facts]
    return "\n".join(["| source | the facts of a PR the AI rules read (import, sync, webhook) |", "|---|---|"] + rows)


def webhook_table(specs: list[SourceSpec]) -> str:
    """The README's table: each webhook's secret, how a delivery is verified, which deliveries it uses."""
    rows = [f"| `{s.name}` | `{s.webhook.secret}`{''.join(f' (+ `{v}`)' for v in s.webhook.also_secrets)} | "
            f"{cell(s.webhook.verified_by)} | {cell(s.webhook.deliveries)} |" for s in specs if s.webhook]
    return "\n".join(["| provider | secret | verified by | deliveries used |", "|---|---|---|---|"] + rows)


def delivery_table(specs: list[SourceSpec]) -> str:
    """docs/metrics.md's table: each webhook's deliveries and the events they become."""
    rows = [f"| {s.name} | {cell(delivery)} | {cell(events)} |"
            for s in specs if s.webhook for delivery, events in s.webhook.records]
    return "\n".join(["| webhook | delivery | events |", "|---|---|---|"] + rows)
