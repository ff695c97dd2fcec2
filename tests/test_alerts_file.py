"""The alerts file's mistakes: each is one sentence naming the file and the entry's line, exit 2,
never a traceback (a fuzz test over the file too); the dashboard shows a broken file as a notice."""
from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics.alerting.file import AlertsError, read_alerts
from metrics.cli.commands import main

GOOD = """[notifiers]
chat = "json://127.0.0.1:9/hooks/x"

[[alert]]
name = "first"
metric = "deploys_per_day"
dataset = "acme"
below = 1
notify = ["chat"]
"""


def alert(**keys) -> str:
    entry = {"name": '"cfr"', "metric": '"change_failure_rate_pct"', "dataset": '"acme"', "above": "15",
             "notify": '["chat"]'}
    entry.update(keys)
    return GOOD + "\n[[alert]]\n" + "".join(f"{k} = {v}\n" for k, v in entry.items() if v is not None)


@pytest.mark.parametrize("text, sentence", [
    (alert(metric='"no_such_metric"'),
     "line 11 (alert 'cfr'): no metric 'no_such_metric' (python -m metrics metrics lists the keys)"),
    (alert(team='"payments"'), "line 11 (alert 'cfr'): no team 'payments' in the teams file (it names none)"),
    (alert(notify='["pager"]'), "line 11 (alert 'cfr'): no notifier named 'pager' in [notifiers] (there: chat)"),
    (alert(above='"15"'), "line 11 (alert 'cfr'): above must be a number"),
    (alert(above=None), "line 11 (alert 'cfr'): give exactly one of above = NUMBER or below = NUMBER"),
    (alert(below="3"), "line 11 (alert 'cfr'): give exactly one of above = NUMBER or below = NUMBER"),
    (alert(window_days="0"), "line 11 (alert 'cfr'): window_days must be a whole number from 1 to 3650"),
    (alert(window_days="7.5"), "line 11 (alert 'cfr'): window_days must be a whole number from 1 to 3650"),
    (alert(recover="20"), "line 11 (alert 'cfr'): recover must be at or below above"),
    (alert(team='"a"', service='"b"'), "line 11 (alert 'cfr'): give team or service, not both"),
    (alert(name='"first"'), "line 11 (alert 'first'): an alert above has the same name"),
    (alert(colour='"red"'), "line 11 (alert 'cfr'): unknown key 'colour'; an alert takes name, metric, team, "
                            "service, dataset, window_days, above, below, recover, notify"),
    (alert(notify='["bogus://x"]'), "line 11 (alert 'cfr'): notifier 'bogus://...': bogus://... is not a "
                                    "notification URL Apprise knows (see its list of services)"),
    (alert(notify=None), "line 11 (alert 'cfr'): notify is required: where the alert's messages go"),
    (GOOD + "\n[schedule]\nalerts = \"every hour\"\n",
     "[schedule]: 'every hour' is not a cron expression (five fields: minute hour day month weekday)"),
    (GOOD + '\n[[digest]]\nteam = "nope"\ndataset = "acme"\nnotify = ["chat"]\n',
     "line 11: no team 'nope' in the teams file"),
    (GOOD + '\n[[digest]]\nteam = "nope"\ndataset = "acme"\nnotify = ["chat"]\ncron = 9\n',
     "line 11: no team 'nope' in the teams file"),
    (GOOD + "\n[schedule]\nsync = \"0 * * * *\"\n",
     "[schedule]: sync and sync_config go together: when to sync, and the sync file"),
    (GOOD + "\n[extra]\n", "[extra]: unknown table; the file holds [notifiers], [schedule], [alert], [digest]"),
    # a webhook URL without its scheme is not a name, and its path may be a secret: never repeated
    (alert(notify='["hooks.slack.com/services/T0/B0/s3cr3tT0ken"]'),
     "line 11 (alert 'cfr'): no notifier named (an entry that is not a name; an Apprise URL starts with SCHEME://) "
     "in [notifiers] (there: chat)"),
])
def test_each_mistake_is_one_sentence_naming_the_entry_and_exit_2(tmp_path, capsys, text, sentence):
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    assert main(["alerts", "check", "--file", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"error: the alerts file {path}, {sentence}\n"


def test_toml_that_does_not_parse_names_its_line(tmp_path, capsys):
    path = tmp_path / "alerts.toml"
    path.write_text(GOOD + "\n[[alert]\nname = \n", encoding="utf-8")
    assert main(["alerts", "list", "--file", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the alerts file {path} is not valid TOML (") and "line 11" in err
    assert err.count("\n") == 1


def test_a_missing_file_given_is_one_sentence(tmp_path, capsys):
    assert main(["alerts", "check", "--file", str(tmp_path / "none.toml")]) == 2
    assert capsys.readouterr().err == (f"error: there is no alerts file {tmp_path / 'none.toml'} (METRICS_ALERTS, "
                                       f"default alerts.toml in the data directory)\n")


def test_the_file_is_found_where_metrics_alerts_says(tmp_path, monkeypatch, capsys):
    path = tmp_path / "elsewhere.toml"
    path.write_text(alert(metric='"nope"'), encoding="utf-8")
    monkeypatch.setenv("METRICS_ALERTS", str(path))
    assert main(["alerts", "check"]) == 2
    assert str(path) in capsys.readouterr().err


KEYS = ["name", "metric", "team", "service", "dataset", "window_days", "above", "below", "recover", "notify", "cron",
        "bogus"]
VALUES = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
                   st.text(max_size=12), st.lists(st.text(max_size=8), max_size=3),
                   st.sampled_from(["change_failure_rate_pct", "acme", "chat", "payments", "json://127.0.0.1:9/h",
                                    "env:NOPE", "*/15 * * * *", "slack://a/b/c"]))


def toml_value(value) -> str:
    import json
    import math
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(json.dumps(v) for v in value) + "]"
    return json.dumps(value)


@st.composite
def files(draw):
    parts = []
    if draw(st.booleans()):
        parts.append('[notifiers]\nchat = ' + toml_value(draw(VALUES)))
    for table in draw(st.lists(st.sampled_from(["[[alert]]", "[[digest]]", "[schedule]", "[[goal]]"]), max_size=3)):
        keys = draw(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=8))
        parts.append(table + "\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in keys.items()))
    text = "\n".join(parts)
    if draw(st.booleans()):                     # bytes of noise somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=files())
def test_fuzz_any_file_is_read_or_one_sentence_and_exit_2(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8", errors="replace")
    err, out = io.StringIO(), io.StringIO()
    import contextlib
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(["alerts", "list", "--file", str(path)])
    assert code in (0, 2)
    if code == 2:
        assert err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1
        assert "Traceback" not in err.getvalue()
    else:
        read_alerts(path)                       # what listed is a file that reads


def test_the_dashboard_shows_a_broken_file_as_a_notice_and_starts(data_dir, monkeypatch):
    from dashboard.app import create_app
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "alerts.toml").write_text(alert(metric='"nope"'), encoding="utf-8")
    app = create_app()
    page = str(app.layout() if callable(app.layout) else app.layout)
    assert "alerts-notice" in page and "no metric 'nope'" in page
    (data_dir / "alerts.toml").write_text(GOOD, encoding="utf-8")
    page = str(app.layout() if callable(app.layout) else app.layout)
    assert "alerts-notice" not in page


def test_read_alerts_without_a_file_is_empty(tmp_path):
    assert read_alerts(tmp_path / "none.toml").alerts == ()
    with pytest.raises(AlertsError):
        read_alerts(tmp_path / "none.toml", required=True)
