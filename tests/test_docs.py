"""The docs' generated blocks (``python -m metrics docs``): every block of README.md and
docs/metrics.md is what the declarations write, a changed declaration makes exactly its block stale,
``--check`` names it (exit 1) and the command rewrites it, and a file without a block's markers is
one sentence."""
from __future__ import annotations

import dataclasses
import io
import re
import shutil

import pytest

from conftest import ROOT, run_cli
from metrics.cli.docs import run_docs
from metrics.registry import docs
from metrics.registry import source as registry
from metrics.registry.docs import BLOCKS, FILES, DocsError, begin, end, stale, write

CFR_ELITE = "| <= 5 % | <= 10 % | <= 15 % | > 15 % |"


def test_the_docs_are_current():
    """The one check that README.md and docs/metrics.md hold what the declarations write."""
    assert stale() == [], "stale generated blocks: run python -m metrics docs"


def test_the_blocks_and_their_markers():
    # written out by hand: the generated blocks there are
    assert [(b.file, b.name) for b in BLOCKS] == [
        ("README.md", "source table"), ("README.md", "webhook table"), ("README.md", "plugin example"),
        ("docs/metrics.md", "importer table"),
        ("docs/metrics.md", "webhook delivery table"), ("docs/metrics.md", "ai facts table"), ("docs/metrics.md", "tier table"),
        ("docs/metrics.md", "metric table")]
    for name in FILES:
        text = (ROOT / name).read_text(encoding="utf-8")
        markers = re.findall(r"<!-- (?:begin|end|generated)[^>]*-->", text)
        assert sorted(markers) == sorted(m for b in BLOCKS if b.file == name for m in (begin(b.name), end(b.name))), name
        assert all("python -m metrics docs" in m for m in markers if m.startswith("<!-- begin")), name


def copy_of_the_docs(tmp_path):
    for name in FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_check_names_a_changed_threshold_and_the_command_rewrites_it(tmp_path):
    root = copy_of_the_docs(tmp_path)
    text = (root / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert text.count(CFR_ELITE) == 1
    (root / "docs" / "metrics.md").write_text(text.replace(CFR_ELITE, "| <= 4 % | <= 10 % | <= 15 % | > 15 % |"),
                                              encoding="utf-8")
    out = io.StringIO()
    assert run_docs(["--check"], out, root) == 1
    assert out.getvalue() == ("docs/metrics.md: the tier table differs from the declarations "
                              "(python -m metrics docs rewrites it)\n")
    assert CFR_ELITE not in (root / "docs" / "metrics.md").read_text(encoding="utf-8")    # --check writes nothing
    out = io.StringIO()
    assert run_docs([], out, root) == 0 and out.getvalue() == "docs/metrics.md: rewrote the tier table\n"
    assert (root / "docs" / "metrics.md").read_text(encoding="utf-8") == text
    out = io.StringIO()
    assert run_docs(["--check"], out, root) == 0 and out.getvalue() == ""
    assert run_docs([], out, root) == 0 and "every generated block" in out.getvalue()


def test_a_changed_source_makes_its_blocks_stale(monkeypatch):
    pagerduty = registry.builtin_sources()["pagerduty"]
    changed = {**registry.builtin_sources(), "pagerduty": dataclasses.replace(pagerduty, describe="something else")}
    monkeypatch.setattr(registry, "_BUILTIN", changed)
    assert stale() == [("README.md", "source table")]                    # its README row
    monkeypatch.setattr(registry, "_BUILTIN", {**registry.builtin_sources(), "pagerduty": dataclasses.replace(
        pagerduty, records=pagerduty.records[:1])})
    assert stale() == [("docs/metrics.md", "importer table")]            # a row of the importer table


def test_the_webhook_tables_are_the_webhook_declarations(monkeypatch):
    github = registry.builtin_sources()["github"]

    def with_hook(**changes):
        hook = dataclasses.replace(github.webhook, **changes) if changes else None
        monkeypatch.setattr(registry, "_BUILTIN", {**registry.builtin_sources(), "github": dataclasses.replace(
            github, webhook=hook)})
    with_hook(verified_by="a shared secret")
    assert stale() == [("README.md", "webhook table")]                   # its row of the webhook table
    with_hook(records=github.webhook.records[1:])
    assert stale() == [("docs/metrics.md", "webhook delivery table")]    # a row of the delivery table
    with_hook()
    assert stale() == [("README.md", "webhook table"), ("docs/metrics.md", "webhook delivery table")]


def test_a_changed_metric_makes_the_metric_table_stale(monkeypatch):
    from metrics import catalog
    first = catalog.METRICS[0]
    monkeypatch.setattr(catalog, "METRICS", [dataclasses.replace(first, definition="something else"),
                                             *catalog.METRICS[1:]])
    assert stale() == [("docs/metrics.md", "metric table")]


def test_writing_fills_every_block_of_a_file(tmp_path):
    root = copy_of_the_docs(tmp_path)
    for name in FILES:
        text = (root / name).read_text(encoding="utf-8")
        for block in (b for b in BLOCKS if b.file == name):       # each block emptied between its markers
            head, tail = begin(block.name), end(block.name)
            text = text.split(head)[0] + head + "\n" + tail + text.split(tail)[1]
        (root / name).write_text(text, encoding="utf-8")
    every = [(b.file, b.name) for b in BLOCKS]
    assert stale(root) == every
    assert write(root) == every and stale(root) == []
    for name in FILES:
        assert (root / name).read_text(encoding="utf-8") == (ROOT / name).read_text(encoding="utf-8")


def test_the_real_entry_point_checks_the_projects_docs():
    p = run_cli("docs", "--check")
    assert (p.returncode, p.stdout, p.stderr) == (0, "", "")


def test_a_block_without_its_markers_is_a_sentence():
    with pytest.raises(DocsError, match="README.md needs the lines .* around its source table"):
        docs.with_block("no markers here", BLOCKS[0], "| x |")


@pytest.mark.parametrize("argv", [["--check"], []])
def test_a_file_without_a_blocks_markers_is_one_line_and_nothing_is_written(tmp_path, capsys, monkeypatch, argv):
    from metrics.cli import main
    root = copy_of_the_docs(tmp_path)
    (root / "README.md").write_text("# no tables here\n", encoding="utf-8")
    text = (root / "docs" / "metrics.md").read_text(encoding="utf-8")
    stale_text = text.replace(CFR_ELITE, "| <= 4 % | <= 10 % | <= 15 % | > 15 % |")
    (root / "docs" / "metrics.md").write_text(stale_text, encoding="utf-8")
    monkeypatch.setattr(docs, "ROOT", root)
    assert main(["docs", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: README.md needs the lines ") and err.count("\n") == 1
    assert (root / "docs" / "metrics.md").read_text(encoding="utf-8") == stale_text     # nothing half-written


def test_docs_takes_nothing_else(capsys):
    from metrics.cli import main
    assert main(["docs", "README.md"]) == 2
    assert capsys.readouterr().err == "error: unrecognized arguments: README.md\n"
