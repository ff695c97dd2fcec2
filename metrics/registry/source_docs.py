"""The docs' source and webhook tables, written from the built-in sources' declarations (never by hand).

    python -m metrics.registry.source_docs          # rewrite the tables in README.md and docs/metrics.md
    python -m metrics.registry.source_docs --check  # exit 1 naming each file with a stale table

README.md's source table has a row per source (``--from``, ``reads``, ``describe``), its webhook
table a row per source with a ``WebhookSpec`` (its secret, ``verified_by``, ``deliveries``);
docs/metrics.md's importer table a row per ``records`` pair (or one of ``reads`` and ``describe``),
its webhook delivery table a row per ``WebhookSpec.records`` pair. Each table stands between two
marker lines; a test fails when a table differs from what this writes.
"""
from __future__ import annotations

import sys
from pathlib import Path

from .source import SourceSpec, builtin_sources

ROOT = Path(__file__).resolve().parents[2]


def begin(table: str) -> str:
    return f"<!-- begin {table}: written by python -m metrics.registry.source_docs from each SourceSpec -->"


def end(table: str) -> str:
    return f"<!-- end {table} -->"


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


TABLES = (("README.md", "source table", readme_table), ("README.md", "webhook table", webhook_table),
          ("docs/metrics.md", "importer table", importer_table),
          ("docs/metrics.md", "webhook delivery table", delivery_table))


def with_table(text: str, table: str, body: str, name: str) -> str:
    """``text`` with the lines between ``table``'s markers replaced by ``body``; ValueError when the
    markers are not there once each, in order."""
    head, tail = begin(table), end(table)
    if text.count(head) != 1 or text.count(tail) != 1 or text.index(head) > text.index(tail):
        raise ValueError(f"{name} needs the lines {head!r} and {tail!r} around its {table}")
    before, rest = text.split(head, 1)
    return before + head + "\n" + body + "\n" + tail + rest.split(tail, 1)[1]


def rewritten(name: str, text: str, specs: list[SourceSpec]) -> str:
    """``text``, the file ``name``, with each of its tables written from ``specs``."""
    for file, table, make in TABLES:
        if file == name:
            text = with_table(text, table, make(specs), name)
    return text


def stale(root: Path = ROOT) -> list[str]:
    """The files with a table that differs from the declarations."""
    specs = builtins()
    return [name for name in dict.fromkeys(file for file, _, _ in TABLES)
            if (text := (root / name).read_text(encoding="utf-8")) != rewritten(name, text, specs)]


def write(root: Path = ROOT) -> list[str]:
    """Rewrite every table from the declarations; the files changed."""
    changed = []
    for name in stale(root):
        path = root / name
        path.write_text(rewritten(name, path.read_text(encoding="utf-8"), builtins()), encoding="utf-8")
        changed.append(name)
    return changed


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ["--check"]:
        found = stale()
        for name in found:
            print(f"{name}: a table differs from the declarations (python -m metrics.registry.source_docs)")
        return 1 if found else 0
    if argv:
        print("usage: python -m metrics.registry.source_docs [--check]", file=sys.stderr)
        return 2
    for name in write():
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
