"""Custom metrics: loading plug-in files, evaluating them, and one sentence for every failure."""
from __future__ import annotations

import pandas as pd
import pytest

from metrics.plugins import PluginError, Result, evaluate, evaluate_all, load_plugins, metric, plugin_files

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "plugins"


def events(rows):
    frame = pd.DataFrame(rows, columns=["ts", "kind", "service", "status", "environment", "metric_value"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


WINDOW = events([
    ("2024-03-04T10:00:00Z", "deploy", "api", "success", "production", None),
    ("2024-03-04T12:00:00Z", "deploy", "api", "failed", "production", None),
    ("2024-03-04T13:00:00Z", "deploy", "api", "failed", "staging", None),
    ("2024-03-05T09:00:00Z", "deploy", "web", "success", "production", None),
    ("2024-03-05T10:00:00Z", "satisfaction_survey", "team", "", "", 4.0),
    ("2024-03-05T11:00:00Z", "satisfaction_survey", "team", "", "", 2.0),
    ("2024-03-06T11:00:00Z", "satisfaction_survey", "team", "", "", 5.0),
])


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_example_plugins_hand_computed():
    customs = {c.spec.name: c for c in load_plugins(str(EXAMPLES))}
    assert sorted(customs) == ["deploy_success_rate", "deploy_success_rate_per_day", "on_call_hours_per_week",
                               "on_call_share_of_toil", "survey_scores_per_day"]
    # production deploys: 4 Mar success + failed, 5 Mar success -> 2 of 3; staging left out
    assert evaluate(customs["deploy_success_rate"], WINDOW).headline == pytest.approx(200 / 3)
    daily = evaluate(customs["deploy_success_rate_per_day"], WINDOW)
    assert daily.frame["success rate %"].tolist() == [50.0, 100.0] and daily.headline == 100.0
    # the documents' example: per day mean / sum / count of survey scores: 5 Mar (4, 2), 6 Mar (5)
    seed = evaluate(customs["survey_scores_per_day"], WINDOW)
    assert list(seed.frame.columns) == ["period", "metric_value mean", "metric_value sum", "metric_value count"]
    assert seed.frame["metric_value mean"].tolist() == [3.0, 5.0]
    assert seed.frame["metric_value count"].tolist() == [2, 1]
    assert seed.headline == 5.0
    assert seed.to_json()[0] == {"period": "2024-03-05 00:00:00+00:00", "metric_value mean": 3.0,
                                 "metric_value sum": 6.0, "metric_value count": 2}


def test_empty_frame_is_no_value():
    customs = {c.spec.name: c for c in load_plugins(str(EXAMPLES))}
    assert evaluate(customs["survey_scores_per_day"], WINDOW.iloc[:0]).headline is None


@pytest.mark.parametrize("body, message", [
    ("import nope_not_a_module\n", r"could not be loaded \(line 1\): ModuleNotFoundError"),
    ("def broken(:\n", "could not be loaded .*SyntaxError"),
    ("raise SystemExit(3)\n", "could not be loaded.*SystemExit"),
    ("from metrics.plugins import metric\n@metric(name='Bad Name', label='x')\ndef f(e): return 1\n",
     "metric names are lower-case"),
])
def test_broken_plugin_is_one_sentence(tmp_path, body, message):
    path = write(tmp_path, "mine.py", body)
    with pytest.raises(PluginError, match=message) as e:
        load_plugins(str(path))
    assert str(path) in str(e.value) or "metric names" in str(e.value)


@pytest.mark.parametrize("returns, message", [
    ("1 / 0", r"failed \(line 5\): ZeroDivisionError: division by zero"),
    ("'high'", "returned str, not a number"),
    ("pd.DataFrame({'x': [1]})", "without a 'period' column"),
    ("pd.DataFrame({'period': [1], 'x': ['a']})", "no numeric column"),
    ("True", "returned a bool"),
])
def test_failing_metric_is_one_sentence(tmp_path, returns, message):
    path = write(tmp_path, "mine.py", "import pandas as pd\nfrom metrics.plugins import metric\n"
                 f"@metric(name='m', label='M')\ndef m(events):\n    return {returns}\n")
    (custom,) = load_plugins(str(path))
    with pytest.raises(PluginError, match=message) as e:
        evaluate(custom, WINDOW)
    assert f"custom metric 'm' in {path}" in str(e.value)


def test_duplicate_names_and_missing_paths(tmp_path):
    body = "from metrics.plugins import metric\n@metric(name='same', label='S')\ndef f(e): return 1\n"
    a, b = write(tmp_path, "a.py", body), write(tmp_path, "b.py", body)
    with pytest.raises(PluginError, match="already declares"):
        load_plugins(f"{a}:{b}")
    with pytest.raises(PluginError, match="neither a file nor a folder"):
        plugin_files(str(tmp_path / "missing"))


def test_metric_sees_a_copy(tmp_path):
    path = write(tmp_path, "mine.py", "from metrics.plugins import metric\n@metric(name='m', label='M')\n"
                 "def m(events):\n    events['kind'] = 'x'\n    return 1\n")
    frame = WINDOW.copy()
    evaluate_all(load_plugins(str(path)), frame)
    assert frame["kind"].tolist() == WINDOW["kind"].tolist()


def test_decorator_keeps_the_function():
    @metric(name="x", label="X", unit="h", lower_is_better=True)
    def x(events):
        return 2
    assert x(None) == 2 and x.__metric__.lower_is_better and Result(2.0).to_json() == 2.0


def test_custom_metrics_on_the_command_line(monkeypatch):
    """--json gets "custom": {name: value}; the console a line per metric under its label."""
    import json
    from conftest import FIXTURES, run_cli
    monkeypatch.setenv("METRICS_PLUGINS", str(EXAMPLES))
    hand = FIXTURES / "hand.csv"
    out = json.loads(run_cli("--events", hand, "--json").stdout)
    frame = pd.read_csv(hand)
    deploys = frame[(frame["kind"] == "deploy") & (frame["environment"].fillna("production") == "production")]
    expected = 100.0 * (deploys["status"].fillna("success") == "success").mean()
    assert out["custom"]["deploy_success_rate"] == pytest.approx(expected)
    assert out["custom"]["survey_scores_per_day"][0]["period"].startswith("20")
    text = run_cli("--events", hand).stdout
    assert "--- CUSTOM METRICS ---" in text and f"Deployment success rate: {expected:,.2f} %" in text
    monkeypatch.delenv("METRICS_PLUGINS")
    assert "custom" not in json.loads(run_cli("--events", hand, "--json").stdout)


def test_a_failing_plugin_is_exit_2_with_its_file(monkeypatch, tmp_path):
    from conftest import FIXTURES, run_cli
    bad = write(tmp_path, "broken.py", "from metrics.plugins import metric\n@metric(name='m', label='M')\n"
                                      "def m(events):\n    raise RuntimeError('no data source')\n")
    monkeypatch.setenv("METRICS_PLUGINS", str(bad))
    p = run_cli("--events", FIXTURES / "hand.csv")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert f"custom metric 'm' in {bad} failed (line 4): RuntimeError: no data source" in p.stderr


def test_the_readme_example_is_no_value_without_change_types(tmp_path):
    """The README's (and the Custom tab's) example: git tags mark no change type, so the hotfix share
    is n/a, never 0 % (issue 23, item 1); with change types it is the share, by hand."""
    from metrics.plugins import EXAMPLE
    customs = {c.spec.name: c for c in load_plugins(str(write(tmp_path, "my_metrics.py", EXAMPLE)))}
    tags = events([("2024-03-04T10:00:00Z", "deploy", "api", "success", "production", None)] * 3)
    tags["change_type"] = "feature"              # what normalize gives a deployment without a change type
    assert evaluate(customs["hotfix_share"], tags).headline is None
    tags.loc[1, "change_type"] = "hotfix"
    tags.loc[2, "change_type"] = "rollback"
    assert evaluate(customs["hotfix_share"], tags).headline == pytest.approx(100 / 3)     # 1 hotfix of 3
