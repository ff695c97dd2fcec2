"""The command table of ``python -m metrics``: --help lists it, each subcommand's --help is its own,
a command line that does not start with a subcommand is the summary's as before, the console module
sits below the CLI, and the core (the sync machinery, the catalog, the docs writer) never imports the
CLI (no import cycle): every command line's parser is in metrics/cli/."""
import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from metrics.cli import main
from metrics.cli import commands

# Written out by hand: the subcommands python -m metrics has.
SUBCOMMANDS = ["import", "datasets", "export", "sync", "tokens", "users", "db", "audit", "metrics", "sources", "baselines", "docs",
               "alerts", "digest", "schedule"]


def words(text: str) -> str:
    return " ".join(text.split())


def help_of(argv, capsys) -> str:
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    return capsys.readouterr().out


def test_the_table_holds_every_subcommand_once():
    assert [c.name for c in commands.COMMANDS] == SUBCOMMANDS


def test_help_lists_every_subcommand_with_its_line(capsys):
    text = help_of(["--help"], capsys)
    listed = text.split("\ncommands:\n", 1)[1]
    names = [line.split()[0] for line in listed.splitlines() if line.startswith("    ") and not line.startswith("     ")]
    assert names == SUBCOMMANDS
    for command in commands.COMMANDS:
        assert words(f"{command.name} {command.help}") in words(listed)
    assert "--seed SEED" in text and "--json" in text            # the summary's options stay in the help
    assert help_of(["-h"], capsys) == text


def test_help_of_the_real_entry_point_lists_the_subcommands():
    p = subprocess.run([sys.executable, "-m", "metrics", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and p.stderr == ""
    for name in SUBCOMMANDS:
        assert f"\n    {name} " in p.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_its_own_help(name, capsys):
    text = help_of([name, "--help"], capsys)
    assert text.startswith(f"usage: python -m metrics {name}")
    assert "\ncommands:\n" not in text


@pytest.mark.parametrize("argv, unrecognised", [
    (["bogus"], "bogus"),
    (["IMPORT"], "IMPORT"),
    (["summary"], "summary"),
    (["--seed", "7", "import"], "import"),
    (["--json", "datasets", "--delete", "x"], "datasets --delete x"),
    (["--seed", "7", "bogus", "--json"], "bogus"),
])
def test_a_first_word_that_is_no_subcommand_is_the_summarys_unrecognised_argument(argv, unrecognised, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: unrecognized arguments: {unrecognised}\n"


def test_a_subcommand_after_an_option_stores_nothing(data_dir, capsys):
    argv = ["--seed", "7", "import", "--from", "events", str(FIXTURES / "hand.csv"), "--name", "d"]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: unrecognized arguments: {' '.join(argv[2:])}\n"
    assert main(["datasets"]) == 0
    assert capsys.readouterr().out.startswith("No datasets in")


def test_without_a_subcommand_the_summary_runs(capsys):
    assert main(["--seed", "7", "--json", "--end", "2026-11-22", "--days", "7"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["window"] == {"start": "2026-11-15T00:00:00Z", "end": "2026-11-22T00:00:00Z", "days": 7}


def test_bad_summary_option_is_one_line(capsys):
    assert main(["--seed", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: argument --seed: ") and err.count("\n") == 1


def test_every_word_after_the_subcommand_is_its_own():
    words_after = ["--", "-5", "--seed", "3", "-h", "--name=x", "-", "import"]
    run, given = commands.chosen(["import", *words_after])
    assert run is commands.BY_NAME["import"].run and given == words_after
    run, given = commands.chosen(["--seed", "7", "--json"])
    assert run is commands.summary.run and given == ["--seed", "7", "--json"]


def test_a_subcommands_usage_error_is_one_line(capsys):
    assert main(["datasets", "extra"]) == 2
    assert capsys.readouterr().err == "error: unrecognized arguments: extra\n"
    assert main(["tokens", "create"]) == 2
    assert capsys.readouterr().err == "error: tokens create needs a NAME\n"


def test_a_closed_pipe_ends_quietly(monkeypatch):
    class ClosedPipe(io.StringIO):
        def write(self, text):
            raise BrokenPipeError
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["baselines"]) == 0


# --- the import graph: metrics.console sits below metrics.cli, and nothing below the CLI imports it ---

def module_files() -> dict:
    """Every module of the metrics package -> its file."""
    found = {}
    for path in (ROOT / "metrics").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict) -> set:
    """The metrics modules ``name`` imports anywhere in its file (in functions too), and their packages."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & set(modules)
    return found - {name}


def reachable(start: str) -> set:
    modules = module_files()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_the_import_graph_reader_sees_imports_inside_functions():
    assert "metrics.ingest.sync.run" in reachable("metrics.cli.sync")          # imported inside run_once
    assert "metrics.registry.docs" in reachable("metrics.cli.docs")            # imported inside run_docs
    assert "metrics.console" in reachable("metrics.cli.sync")


# the core modules the commands drive
CORE = ["metrics.console", "metrics.ingest.sync.run", "metrics.ingest.sync.config", "metrics.catalog",
        "metrics.registry.docs"]


@pytest.mark.parametrize("start", CORE)
def test_nothing_below_the_cli_imports_it(start):
    assert not {m for m in reachable(start) if m == "metrics.cli" or m.startswith("metrics.cli.")}


@pytest.mark.parametrize("first, second", [("metrics.cli", "metrics.ingest.sync.run"),
                                           ("metrics.ingest.sync.run", "metrics.cli")])
def test_cli_and_sync_machinery_import_in_either_order(first, second):
    code = (f"import {first}, {second}; from metrics.console import ProgressBar; "
            "from metrics.cli import sync; assert sync.ProgressBar is ProgressBar")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("core", CORE)
def test_the_core_does_not_import_the_cli(core):
    code = f"import sys, {core}; print(sorted(m for m in sys.modules if m.startswith('metrics.cli')))"
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and p.stdout.strip() == "[]", p.stderr


def test_help_does_not_import_what_only_commands_need():
    code = ("import sys\nfrom metrics.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('werkzeug', 'metrics.users', 'metrics.store', 'metrics.ingest.sync.run',"
            " 'metrics.ingest.sync.config', 'metrics.plugins', 'metrics.teams',"
            " 'metrics.catalog', 'metrics.registry.docs') if m in sys.modules))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and p.stdout.strip().splitlines()[-1] == "[]", p.stderr


def arguments_said(text: str) -> dict:
    """Each argument of a --help text (its first word: a flag or a positional's name) -> the text
    that says what it is ("" when nothing does)."""
    found, last = {}, None
    for line in text.split("\n\n", 2)[-1].splitlines():
        if line.startswith("  ") and not line.startswith("   "):     # an argument, its help after two spaces
            word, _, said = line.strip().partition("  ")
            last = word.split(",")[0].split()[0]
            found[last] = said.strip()
        elif line.startswith("   ") and last is not None:           # its help continued (or begun) below
            found[last] = (found[last] + " " + line.strip()).strip()
        else:
            last = None
    return found


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_argument_of_every_subcommand_says_what_it_is(name, capsys):
    said = arguments_said(help_of([name, "--help"], capsys))
    assert "-h" in said
    assert [argument for argument, text in said.items() if not text] == []


def test_datasets_delete_says_what_it_deletes(capsys):
    said = arguments_said(help_of(["datasets", "--help"], capsys))
    assert said["--delete"].startswith("delete the dataset NAME")
