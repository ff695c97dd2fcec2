"""Alerts (``python -m metrics alerts check | list``): an alert that crosses its line sends exactly
one message, the same state again none, recovery one, a value hovering inside the hysteresis none;
too few events to judge is its own state; a receiver that is down is reported and retried at the
next check; the secret parts of URLs are never printed or logged; the file's mistakes are one
sentence naming the entry's line, exit 2. Receivers: a Slack-like webhook (Apprise ``json://``) and
an SMTP server, both on 127.0.0.1 (``fake_notifiers``)."""
from __future__ import annotations

import io
import logging

import pandas as pd
import pytest

from fake_notifiers import TOKEN, FakeSmtp, FakeWebhook
from helpers import ev
from metrics import defaults, store
from metrics.alerting import check as alert_check
from metrics.alerting.file import AlertsError, read_alerts
from metrics.alerting.notify import shown
from metrics.cli.commands import main
from metrics.ingest import normalize
from metrics.schema import NS_PER_DAY

DAY0 = pd.Timestamp("2024-03-01T00:00:00Z")


def at(day: int, hour: int = 12) -> int:
    """The check's clock: noon of day ``day`` after DAY0, in ns."""
    return int((DAY0 + pd.Timedelta(days=day, hours=hour)).value)


def deploys_on(day: int, total: int, failed: int, service: str = "api") -> list[dict]:
    """``total`` production deployments of ``service`` on day ``day``, the first ``failed`` failed."""
    ts = DAY0 + pd.Timedelta(days=day)
    return [ev((ts + pd.Timedelta(minutes=10 * i)).isoformat(), "deploy", service=service,
               deploy_id=f"{service}-{day}-{i}", status="failed" if i < failed else "success")
            for i in range(total)]


def stored(rows, name="acme"):
    store.append(name, normalize(pd.DataFrame(rows))[0])


@pytest.fixture
def logs():
    """Every log record of the test, at every level (Apprise's included), as text; but the fake SMTP
    server's own (``mail.log``: the receiving side, not the product)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(lambda record: not record.name.startswith("mail.log"))
    root = logging.getLogger()
    levels = root.level, logging.getLogger("apprise").level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("apprise").setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(levels[0])
    logging.getLogger("apprise").setLevel(levels[1])


@pytest.fixture
def hook():
    h = FakeWebhook()
    yield h
    h.close()


@pytest.fixture
def smtp():
    s = FakeSmtp()
    yield s
    s.close()


def write(tmp_path, text: str):
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    return path


def cfr_alert(url_lines: str, above=15, window=1, extra="") -> str:
    return f"""
[notifiers]
{url_lines}

[[alert]]
name = "api CFR"
metric = "change_failure_rate_pct"
service = "api"
dataset = "acme"
window_days = {window}
above = {above}
notify = ["chat"{', "mail"' if 'mail =' in url_lines else ''}]
{extra}
"""


def check(path, day, dry_run=False):
    out = io.StringIO()
    code = alert_check.run_check(path, now_ns=at(day), dry_run=dry_run, out=out)
    return code, out.getvalue()


# CFR per day, 10 deployments a day: day 0 0 %, day 1 30 %, day 2 30 %, day 3 10 %, day 4 2 deployments
SERIES = [(10, 0), (10, 3), (10, 3), (10, 1), (2, 1)]


def test_a_crossing_sends_one_message_the_same_state_none_and_recovery_one(backend, tmp_path, hook, smtp, logs):
    stored([row for day, (n, f) in enumerate(SERIES) for row in deploys_on(day, n, f)])
    path = write(tmp_path, cfr_alert(f'chat = "{hook.url}"\nmail = "{smtp.url}"'))
    printed = []
    code, out = check(path, 0)                 # 0 %: ok, nothing sent
    printed.append(out)
    assert code == 0 and hook.messages == [] and smtp.messages == []
    assert out.splitlines()[0] == "api CFR: ok (change_failure_rate_pct 0.00; fires above 15 (recovers at 13.5))"
    code, out = check(path, 1)                 # 30 %: fires, one message to each target
    printed.append(out)
    assert code == 0 and len(hook.messages) == 1 and len(smtp.messages) == 1
    assert hook.messages[0]["title"] == "Alert firing: api CFR"
    assert hook.messages[0]["message"] == ("change_failure_rate_pct is 30.00, above 15 (service api in dataset acme, "
                                           "last 1 days).")
    assert hook.messages[0]["type"] == "failure"
    assert smtp.messages[0]["subject"] == "Alert firing: api CFR"
    assert f"sent to chat (json://127.0.0.1): Alert firing: api CFR" in out
    code, out = check(path, 2)                 # 30 % again: the same state, nothing sent
    printed.append(out)
    assert len(hook.messages) == 1 and len(smtp.messages) == 1 and "sent" not in out
    code, out = check(path, 3)                 # 10 %: at or below 13.5, recovered, one message
    printed.append(out)
    assert len(hook.messages) == 2 and len(smtp.messages) == 2
    assert hook.messages[1]["title"] == "Alert recovered: api CFR"
    assert hook.messages[1]["type"] == "info"
    code, out = check(path, 4)                 # 2 deployments: too few to judge, its own state, nothing sent
    printed.append(out)
    assert code == 0 and len(hook.messages) == 2
    assert out.splitlines()[0] == ("api CFR: unknown (change_failure_rate_pct n/a; 2 deployments: a tier needs at "
                                   "least 5)")
    states = store.alert_states()
    assert states["api CFR"]["state"] == "unknown" and states["api CFR"]["notified"] == "ok"
    assert states["api CFR"]["fired"] == [at(1)] and states["api CFR"]["pending"] == []
    text = "".join(printed) + logs.getvalue() + str(states)
    assert TOKEN not in text and "hooks" not in text


def test_list_shows_each_state_and_its_last_change(backend, tmp_path, hook, capsys, monkeypatch):
    stored([row for day, (n, f) in enumerate(SERIES) for row in deploys_on(day, n, f)])
    path = write(tmp_path, cfr_alert(f'chat = "{hook.url}"'))
    assert main(["alerts", "list", "--file", str(path)]) == 0
    assert capsys.readouterr().out == ("api CFR: not checked yet | change_failure_rate_pct above 15 (recovers at 13.5) "
                                       "| service api in dataset acme, last 1 days\n")
    check(path, 1)
    check(path, 2)
    assert main(["alerts", "list", "--file", str(path)]) == 0
    assert capsys.readouterr().out == ("api CFR: firing (30.00) since 2024-03-02 12:00 UTC | last change 2024-03-02 "
                                       "12:00 UTC | change_failure_rate_pct above 15 (recovers at 13.5) | service api "
                                       "in dataset acme, last 1 days\n")


def test_unknown_between_two_firing_days_sends_nothing_and_a_recovery_after_it_one(tmp_path, hook):
    # firing, then too few events, then firing again: one message; then recovered: one more
    rows = deploys_on(0, 10, 3) + deploys_on(1, 2, 2) + deploys_on(2, 10, 3) + deploys_on(3, 10, 0)
    stored(rows)
    path = write(tmp_path, cfr_alert(f'chat = "{hook.url}"'))
    for day in range(4):
        check(path, day)
    assert [m["title"] for m in hook.messages] == ["Alert firing: api CFR", "Alert recovered: api CFR"]


@pytest.mark.parametrize("series, recover, expected", [
    # above 20, recovers at 10 (its own line): 30 fires, then 20, 30, 20 stay inside (nothing), 10 recovers
    ([3, 2, 3, 2, 1, 0], 10, ["firing", "recovered"]),
    # on the line never fires (strictly above)
    ([2, 2, 2], None, []),
    # the default margin: above 20 recovers at 18 (10 % of the line); 20 % is not at or below 18
    ([3, 2, 2, 1], None, ["firing", "recovered"]),
])
def test_a_value_hovering_inside_the_hysteresis_sends_nothing(tmp_path, hook, series, recover, expected):
    stored([row for day, failed in enumerate(series) for row in deploys_on(day, 10, failed)])
    extra = f"recover = {recover}" if recover is not None else ""
    path = write(tmp_path, cfr_alert(f'chat = "{hook.url}"', above=20, extra=extra))
    titles = []
    for day in range(len(series)):
        before = len(hook.messages)
        check(path, day)
        titles += [m["title"].split(":")[0].split()[-1] for m in hook.messages[before:]]
    assert titles == expected
    if series == [3, 2, 2, 1]:
        assert store.alert_states()["api CFR"]["state"] == "ok"


def test_the_default_margin_is_declared_once():
    assert defaults.ALERT_RECOVERY_MARGIN == 0.10


def test_a_receiver_that_is_down_is_reported_and_retried_at_the_next_check(backend, tmp_path, hook, logs):
    stored(deploys_on(0, 10, 3) + deploys_on(1, 10, 3) + deploys_on(2, 10, 3))
    path = write(tmp_path, cfr_alert(f'chat = "{hook.url}"'))
    hook.down = True
    code, out = check(path, 0)
    assert code == 1 and hook.messages == []
    assert "  delivery to chat (json://127.0.0.1) failed: it is retried at the next check" in out.splitlines()
    assert len(store.alert_states()["api CFR"]["pending"]) == 1
    code, again = check(path, 1)               # still down: still pending, never a second crossing
    assert code == 1 and len(store.alert_states()["api CFR"]["pending"]) == 1
    hook.down = False
    code, out = check(path, 2)
    assert code == 0 and [m["title"] for m in hook.messages] == ["Alert firing: api CFR"]
    assert store.alert_states()["api CFR"]["pending"] == []
    assert TOKEN not in out + again + logs.getvalue() + str(store.alert_states())


def test_a_receiver_that_does_not_answer_at_all_is_reported(tmp_path, hook):
    stored(deploys_on(0, 10, 3))
    url = hook.url
    hook.close()                                # nothing listens on the port
    path = write(tmp_path, cfr_alert(f'chat = "{url}"'))
    code, out = check(path, 0)
    assert code == 1 and "delivery to chat (json://127.0.0.1) failed" in out and TOKEN not in out


def test_dry_run_prints_what_would_be_sent_and_sends_and_keeps_nothing(backend, tmp_path, hook, capsys):
    stored(deploys_on(0, 10, 3))
    path = write(tmp_path, cfr_alert(f'chat = "{hook.url}"'))
    code, out = check(path, 0, dry_run=True)
    assert code == 0 and hook.messages == [] and store.alert_states() == {}
    assert out.splitlines()[1] == ("  would send to chat (json://127.0.0.1): Alert firing: api CFR: change_failure_rate_pct "
                                   "is 30.00, above 15 (service api in dataset acme, last 1 days).")
    assert TOKEN not in out + capsys.readouterr().out


def test_a_message_links_to_the_dashboard_view(tmp_path, hook, monkeypatch):
    monkeypatch.setenv("METRICS_PUBLIC_URL", "https://metrics.example.com/")
    stored(deploys_on(0, 10, 3))
    path = write(tmp_path, cfr_alert(f'chat = "{hook.url}"'))
    check(path, 0)
    assert hook.messages[0]["message"].splitlines()[1] == \
        "https://metrics.example.com/?data=acme&days=0&tab=dora&from=2024-03-01&to=2024-03-01&service=api"


def test_the_link_reads_back_as_the_view_it_names(monkeypatch):
    from dashboard.fields import View
    from dashboard.state import from_query
    from metrics.view_link import view_link
    from metrics.window import Window
    monkeypatch.setenv("METRICS_PUBLIC_URL", "https://m.example.com")
    link = view_link("acme", Window.between("2024-03-01", "2024-03-08"), team="payments", tab="space")
    view, problems = from_query(link.split("/", 3)[3].lstrip("/"), View())
    assert problems == []
    assert (view.dataset, view.days, view.start, view.end, view.teams, view.tab) == \
        ("acme", 0, "2024-03-01", "2024-03-07", ("payments",), "space")


def test_an_env_url_keeps_the_secret_out_of_the_file(tmp_path, hook, monkeypatch):
    monkeypatch.setenv("CHAT_URL", hook.url)
    stored(deploys_on(0, 10, 3))
    path = write(tmp_path, cfr_alert('chat = "env:CHAT_URL"'))
    code, out = check(path, 0)
    assert code == 0 and len(hook.messages) == 1 and "sent to chat (json://127.0.0.1)" in out
    monkeypatch.delenv("CHAT_URL")
    with pytest.raises(AlertsError, match=r"notifier 'chat': the environment variable 'CHAT_URL' it names is not set"):
        read_alerts(path)


def test_a_team_alert_watches_the_teams_services(tmp_path, hook, monkeypatch, data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "teams.toml").write_text('[teams.payments]\nservices = ["pay-*"]\n', encoding="utf-8")
    stored(deploys_on(0, 10, 3, service="pay-api") + deploys_on(0, 10, 0, service="web"))
    text = cfr_alert(f'chat = "{hook.url}"').replace('service = "api"', 'team = "payments"')
    code, out = check(write(tmp_path, text), 0)
    assert out.startswith("api CFR: firing (change_failure_rate_pct 30.00;") and len(hook.messages) == 1


def test_every_metric_key_of_the_registry_may_be_watched_and_a_custom_one_too(tmp_path, monkeypatch, hook):
    from metrics.alerting.file import metric_keys
    from metrics.builtin import METRICS
    assert {s.key for s in METRICS if s.compute is not None} <= set(metric_keys())
    plugin = tmp_path / "plug.py"
    plugin.write_text("from metrics.plugins import metric\n\n@metric(name='deploy_count', label='Deploys')\n"
                      "def deploy_count(events):\n    return float((events['kind'] == 'deploy').sum())\n",
                      encoding="utf-8")
    monkeypatch.setenv("METRICS_PLUGINS", str(plugin))
    assert "deploy_count" in metric_keys()
    stored(deploys_on(0, 10, 3))
    text = cfr_alert(f'chat = "{hook.url}"', above=5).replace("change_failure_rate_pct", "deploy_count")
    code, out = check(write(tmp_path, text), 0)
    assert out.startswith("api CFR: firing (deploy_count 10.00;") and len(hook.messages) == 1


def test_an_alert_on_a_missing_dataset_is_an_error_and_exit_2(tmp_path, hook):
    code, out = check(write(tmp_path, cfr_alert(f'chat = "{hook.url}"')), 0)
    assert code == 2 and out == "api CFR: error: no dataset named 'acme' (see: python -m metrics datasets)\n"


@pytest.mark.parametrize("url, said", [
    ("json://127.0.0.1:8080/hooks/T0KEN", "json://127.0.0.1"),
    ("mailto://user:T0KEN@example.com?to=a@example.com", "mailto://example.com"),
    ("slack://T0KENA/T0KENB/T0KENC/#general", "slack://..."),
    ("msteams://T0KENA/T0KENB/T0KENC", "msteams://..."),
    ("jsons://user:T0KEN@hooks.example.com/x?token=T0KEN", "jsons://hooks.example.com"),
])
def test_a_url_is_shown_as_its_scheme_and_host_only(url, said):
    assert shown(url) == said and "T0KEN" not in shown(url)


def test_the_window_is_the_days_ending_with_today():
    window = alert_check.window_of(3, at(10, 23))
    assert (window.start_ns, window.end_ns) == (at(8, 0), at(11, 0))
    assert window.end_ns - window.start_ns == 3 * NS_PER_DAY


def test_a_below_alert_recovers_above_its_line_by_the_margin():
    from metrics.alerting.file import Alert
    low = Alert("deploys", "deploys_per_day", "acme", (), below=2.0)
    assert low.recovery == pytest.approx(2.2)          # 2 + 10 % of 2
    assert (low.fires(1.99), low.fires(2.0), low.recovered(2.19), low.recovered(2.2)) == (True, False, False, True)
    zero = Alert("incidents", "incidents", "acme", (), above=0.0)
    assert zero.recovery == 0.0 and zero.fires(1.0) and not zero.fires(0.0) and zero.recovered(0.0)
    own = Alert("cfr", "change_failure_rate_pct", "acme", (), above=15.0, recover=5.0)
    assert own.recovery == 5.0 and not own.recovered(6.0) and own.recovered(5.0)
