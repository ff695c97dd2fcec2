"""Start-up: a command imports what it needs when it needs it. ``python -m metrics --help``, every
subcommand's ``--help`` and ``sources`` load no pandas, numpy or pyarrow; no command line loads the
dashboard (dash, plotly, flask, ``dashboard/``, ``components/``). What a command imported is read
from the process's own ``sys.modules`` as it exits, the real entry point run as ``python -m metrics``
does, not from the product's code."""
import subprocess
import sys

import pytest

from conftest import FIXTURES, ROOT, run_cli

# Written out by hand: what a command line never needs before it reads data.
DATA_LIBRARIES = ("pandas", "numpy", "pyarrow")
DASHBOARD = ("dash", "plotly", "flask", "dashboard", "components")
SUBCOMMANDS = ["import", "datasets", "sync", "tokens", "users", "audit", "metrics", "sources", "baselines", "docs"]


# Runs the real entry point (``python -m metrics``) and writes every module the process holds at its
# exit to the file given first: what the command imported, however it imported it.
DRIVER = """import atexit, runpy, sys
modules_file = sys.argv.pop(1)
atexit.register(lambda: open(modules_file, "w").write("\\n".join(sorted(sys.modules))))
sys.argv[0] = "metrics"
runpy.run_module("metrics", run_name="__main__", alter_sys=True)
"""


def imported_by(*args, tmp_path) -> set:
    """Every module ``python -m metrics ARGS`` has imported when it exits; the command must succeed."""
    modules_file = tmp_path / "modules.txt"
    done = run_cli("-c", DRIVER, modules_file, *args, module=None)
    assert done.returncode == 0, done.stderr[-2000:]
    found = set(modules_file.read_text().split())
    assert "metrics.cli.commands" in found                                 # the list is read right
    return found


def of(packages, modules: set) -> list:
    """The modules that are one of ``packages`` or inside one."""
    return sorted(m for m in modules if m.split(".")[0] in packages)


def test_the_module_list_is_read_right(tmp_path):
    found = imported_by("baselines", tmp_path=tmp_path)
    assert {"metrics.cli.baselines", "metrics.benchmarks"} <= found


def test_help_imports_no_data_library_nor_the_dashboard(tmp_path):
    found = imported_by("--help", tmp_path=tmp_path)
    assert of(DATA_LIBRARIES + DASHBOARD, found) == []
    assert "metrics.cli.summary" in found                # the summary's options are in the help
    assert not {"metrics.cli.import_", "metrics.cli.sync", "metrics.store"} & found   # named, not imported


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_a_subcommands_help_imports_no_data_library(name, tmp_path):
    assert of(DATA_LIBRARIES + DASHBOARD, imported_by(name, "--help", tmp_path=tmp_path)) == []


def test_listing_the_sources_imports_no_data_library(tmp_path):
    found = imported_by("sources", tmp_path=tmp_path)
    assert of(DATA_LIBRARIES + DASHBOARD, found) == []
    assert "metrics.ingest.sources.github" in found      # every source's declaration is read


def test_an_append_imports_no_dashboard_module(tmp_path):
    ten = tmp_path / "ten.csv"
    lines = (FIXTURES / "hand.csv").read_text().splitlines()
    ten.write_text("\n".join(lines[:11]) + "\n")
    first = run_cli("import", "--from", "events", FIXTURES / "hand.csv", "--name", "team")
    assert first.returncode == 0, first.stderr
    found = imported_by("import", "--from", "events", ten, "--name", "team", tmp_path=tmp_path)
    assert of(DASHBOARD, found) == []
    assert "pandas" in found and "metrics.store" in found       # the report does see what an append loads


def test_the_summary_imports_no_dashboard_module(tmp_path):
    assert of(DASHBOARD, imported_by("--seed", "42", "--days", "14", "--json", tmp_path=tmp_path)) == []


# --- the package's names, imported on first use ---

def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_the_packages_loads_no_data_library():
    code = ("import sys, metrics, metrics.ingest, metrics.ingest.sources.events, metrics.plugins\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandas', 'numpy', 'pyarrow')))")
    assert run_python(code) == "[]"


def test_every_name_of_the_package_is_still_there():
    code = ("import metrics, metrics.ingest\n"
            "from metrics import *\n"
            "from metrics.analysis import analyze as a\n"
            "from metrics.ingest.files import load_events as l\n"
            "from metrics.ingest.report import LoadError as e\n"
            "assert analyze is metrics.analyze is a and load_events is l is metrics.ingest.load_events\n"
            "assert metrics.ingest.LoadError is e and metrics.LoadError is e\n"
            "missing = [n for n in metrics.__all__ + metrics.ingest.__all__\n"
            "           if not hasattr(metrics if n in metrics.__all__ else metrics.ingest, n)]\n"
            "print(missing)")
    assert run_python(code) == "[]"


@pytest.mark.parametrize("package", ["metrics", "metrics.ingest"])
def test_a_name_the_package_does_not_have_is_an_attribute_error(package):
    code = (f"import {package}\n"
            f"try:\n    {package}.no_such_name\nexcept AttributeError as e:\n    print(e)\n")
    assert run_python(code) == f"module {package!r} has no attribute 'no_such_name'"
