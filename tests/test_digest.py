"""The weekly digest (``python -m metrics digest``) of a hand-built dataset, checked line by line
(every number worked out by hand below), sent as text to a Slack-like webhook and as HTML email to
an SMTP server on 127.0.0.1, printed by --dry-run; and the schedule (``python -m metrics
schedule``) run over a fake clock: alert checks and digests when their cron says, one scheduler a
store."""
from __future__ import annotations

import contextlib
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fake_notifiers import TOKEN, FakeSmtp, FakeWebhook
from helpers import ev
from metrics import store
from metrics.alerting.digest import build_digest
from metrics.cli.commands import main
from metrics.cli.digest import run_digest
from metrics.cli.schedule import run_schedule
from metrics.ingest import normalize
from metrics.teams import Team

NOW = pd.Timestamp("2024-03-11T09:00:00Z")        # a Monday: the week is 2024-03-04 .. 2024-03-10


def t(text: str) -> str:
    return pd.Timestamp(text + ":00Z").isoformat()


def pr(pr_id, created, reviewed, merged, first_commit=None, service="pay"):
    rows = [ev(t(created), "pr_created", service, pr_id=pr_id), ev(t(reviewed), "pr_reviewed", service, pr_id=pr_id),
            ev(t(merged), "pr_merged", service, pr_id=pr_id)]
    if first_commit:
        rows.append(ev(t(first_commit), "pr_first_commit", service, pr_id=pr_id))
    return rows


def deploy(day: str, status="success", service="pay"):
    return ev(t(f"{day}T12:00"), "deploy", service, deploy_id=f"{service}-{day}", status=status)


# the previous week (02-26 .. 03-03): 5 successful deployments, one incident 1 h after the 03-01 one
# (attributed: CFR 1/5 = 20 %; resolved after 90 min); PRs b1..b5, lead 4, 4, 6, 10, 12 h (median 6);
# pickup 1, 2, 3, 2, 1 (median 2); review 1, 1, 2, 6, 8 (median 2); deploy 2, 1, 1, 2, 3 (median 2);
# coding 4 (b1 only)
BEFORE = [deploy(d) for d in ("2024-02-26", "2024-02-27", "2024-02-28", "2024-02-29", "2024-03-01")] + [
    ev(t("2024-03-01T13:00"), "incident_start", "pay", incident_id="i1"),
    ev(t("2024-03-01T14:30"), "incident_resolved", "pay", incident_id="i1"),
    *pr("b1", "2024-02-26T08:00", "2024-02-26T09:00", "2024-02-26T10:00", first_commit="2024-02-26T04:00"),
    *pr("b2", "2024-02-27T08:00", "2024-02-27T10:00", "2024-02-27T11:00"),
    *pr("b3", "2024-02-28T06:00", "2024-02-28T09:00", "2024-02-28T11:00"),
    *pr("b4", "2024-02-29T02:00", "2024-02-29T04:00", "2024-02-29T10:00"),
    *pr("b5", "2024-03-01T00:00", "2024-03-01T01:00", "2024-03-01T09:00"),
]
# this week (03-04 .. 03-10): 7 deployments, the 03-06 one failed (CFR 1/7 = 14.3 %, 6/7 = 0.86 a day);
# PRs a1..a5: lead 3, 4, 51 (merged before the failed deployment: shipped by 03-07's), 12, 26 h
# (median 12); pickup 1, 2, 24, 4, 10 (median 4); review 1, 1, 2, 2, 14 (2); deploy 1, 1, 25, 6, 2 (2);
# coding 3 (a1 only). Pickup moved most: 2 -> 4 h.
WEEK = [deploy(d, "failed" if d == "2024-03-06" else "success")
        for d in ("2024-03-04", "2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08", "2024-03-09", "2024-03-10")] + [
    *pr("a1", "2024-03-04T09:00", "2024-03-04T10:00", "2024-03-04T11:00", first_commit="2024-03-04T06:00"),
    *pr("a2", "2024-03-05T08:00", "2024-03-05T10:00", "2024-03-05T11:00"),
    *pr("a3", "2024-03-05T09:00", "2024-03-06T09:00", "2024-03-06T11:00"),
    *pr("a4", "2024-03-07T00:00", "2024-03-07T04:00", "2024-03-07T06:00"),
    *pr("a5", "2024-03-08T10:00", "2024-03-08T20:00", "2024-03-09T10:00"),
]
# another team's service: a slow PR and deployments that the payments digest never sees
OTHERS = [deploy("2024-03-04", service="web"), deploy("2024-03-09", service="web"),
          *pr("w1", "2024-03-04T00:00", "2024-03-05T00:00", "2024-03-08T00:00", service="web")]
TEAMS = {"payments": Team("payments", ("pay",)), "web": Team("web", ("web",))}

EXPECTED = [
    "Weekly digest: team payments, dataset acme, 2024-03-04 to 2024-03-10 (against 2024-02-26 to 2024-03-03)",
    "",
    "Deployment frequency: 0.86 /day (was 0.71 /day, +0.14, better)",
    "Lead time (median): 12.0 h (was 6.0 h, +6.0, worse)",
    "Change failure rate: 14.3% (was 20.0%, -5.7, better)",
    "Recovery time (median): n/a (was 90.0 min)",
    "Rework rate: 0.0% (was 0.0%, unchanged)",
    "",
    "Cycle-time stage that moved most: pickup, median 4.0 h (was 2.0 h, +2.0 h)",
    "Alerts fired this week: pay CFR (2024-03-06 13:00 UTC)",
    "Slowest PRs (lead time):",
    "  1. pay#a3: 51.0 h",
    "  2. pay#a5: 26.0 h",
    "  3. pay#a4: 12.0 h",
    "",
    "On the dashboard: https://m.example.com/?data=acme&days=0&tab=dora&from=2024-03-04&to=2024-03-10&team=payments",
]
LINK = EXPECTED[-1].split(": ", 1)[1]


def tables():
    from metrics.tables import tables_from_frame
    return tables_from_frame(normalize(pd.DataFrame(BEFORE + WEEK + OTHERS))[0])


def test_the_digest_of_a_hand_built_week_line_by_line():
    fired = [("pay CFR", pd.Timestamp("2024-03-06T13:00Z").value), ("pay CFR", pd.Timestamp("2024-03-01T10:00Z").value)]
    digest = build_digest(tables(), TEAMS, "payments", "acme", NOW.value, fired, LINK)
    assert list(digest.lines) == EXPECTED
    assert digest.title == "Weekly digest: payments (2024-03-04 to 2024-03-10)"
    assert "<li>pay#a3: 51.0 h</li>" in digest.html
    assert f'<a href="{LINK.replace("&", "&amp;")}">' in digest.html


def test_a_week_without_pull_requests_or_alerts_says_so():
    quiet = build_digest(tables(), TEAMS, "payments", "acme", pd.Timestamp("2024-03-25T09:00Z").value)
    assert "Alerts fired this week: none" in quiet.lines
    assert quiet.lines[-2:] == ("Slowest PRs (lead time):", "  none deployed this week")
    assert "Cycle-time stage that moved most: n/a (no stage timed in both weeks)" in quiet.lines


@pytest.fixture
def acme(backend, data_dir, monkeypatch):
    monkeypatch.setenv("METRICS_PUBLIC_URL", "https://m.example.com")
    store.append("acme", normalize(pd.DataFrame(BEFORE + WEEK + OTHERS))[0])
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "teams.toml").write_text('[teams.payments]\nservices = ["pay"]\n[teams.web]\nservices = ["web"]\n',
                                         encoding="utf-8")
    (data_dir / "alerts.toml").write_text(
        '[[alert]]\nname = "pay CFR"\nmetric = "change_failure_rate_pct"\nteam = "payments"\ndataset = "acme"\n'
        'above = 15\nnotify = ["json://127.0.0.1:9/x"]\n', encoding="utf-8")
    store.keep_alert_states({"pay CFR": {"state": "ok", "fired": [pd.Timestamp("2024-03-06T13:00Z").value]}})
    return data_dir


def test_the_digest_goes_as_text_to_a_webhook_and_as_html_email(acme):
    hook, smtp = FakeWebhook(), FakeSmtp()
    try:
        out = io.StringIO()
        code = run_digest(["--team", "payments", "--dataset", "acme", "--notify", hook.url, "--notify", smtp.url],
                          out=out, now_ns=NOW.value)
    finally:
        hook.close()
        smtp.close()
    assert code == 0
    assert hook.messages[0]["message"].splitlines() == EXPECTED
    mail = smtp.messages[0]
    assert mail["subject"] == "Weekly digest: payments (2024-03-04 to 2024-03-10)"
    html = mail.get_body(("html",)).get_content()
    assert "<li>pay#a3: 51.0 h</li>" in html and "<p>Lead time (median): 12.0 h (was 6.0 h, +6.0, worse)</p>" in html
    assert out.getvalue() == ("sent the digest to json://127.0.0.1\nsent the digest to mailto://example.com\n")
    assert TOKEN not in out.getvalue()


def test_dry_run_prints_the_digest_and_sends_nothing(acme):
    hook = FakeWebhook()
    try:
        out = io.StringIO()
        code = run_digest(["--team", "payments", "--notify", hook.url, "--dry-run"], out=out, now_ns=NOW.value)
    finally:
        hook.close()
    assert code == 0 and hook.messages == []
    assert out.getvalue().splitlines() == EXPECTED + ["(dry run: would send to json://127.0.0.1)"]


def test_a_webhook_that_is_down_is_reported_exit_1(acme):
    hook = FakeWebhook()
    hook.down = True
    try:
        out = io.StringIO()
        assert run_digest(["--team", "payments", "--notify", hook.url], out=out, now_ns=NOW.value) == 1
    finally:
        hook.close()
    assert out.getvalue() == "delivery of the digest to json://127.0.0.1 failed\n"


@pytest.mark.parametrize("args, sentence", [
    (["--team", "nope", "--dry-run"], "no team 'nope' in the teams file (teams: payments, web)"),
    (["--team", "payments"], "say where the digest goes (--notify URL) or print it (--dry-run)"),
    (["--team", "payments", "--notify", "pager"], "no notifier named 'pager' in [notifiers]"),
    (["--team", "payments", "--dataset", "gone", "--dry-run"], "no dataset named 'gone' (see: python -m metrics datasets)"),
])
def test_bad_input_is_one_sentence_and_exit_2(acme, capsys, args, sentence):
    assert main(["digest", *args]) == 2
    assert capsys.readouterr().err == f"error: {sentence}\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(team=st.text(max_size=20), notify=st.lists(st.text(max_size=30), max_size=2), dataset=st.text(max_size=12))
def test_fuzz_the_digest_command_line_is_sent_printed_or_one_sentence(data_dir, team, notify, dataset):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "teams.toml").write_text('[teams.payments]\nservices = ["pay"]\n', encoding="utf-8")
    args = ["digest", "--team", team, "--dataset", dataset, "--dry-run"] + [w for u in notify for w in ("--notify", u)]
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    assert code == 2 and err.getvalue().startswith("error: ") and err.getvalue().count("\n") == 1


class FakeClock:
    """Seconds since the epoch that move only when the schedule sleeps."""

    def __init__(self, start: pd.Timestamp):
        self.now = start.value / 1e9
        self.slept = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_schedule_runs_checks_and_digests_when_their_cron_says(acme):
    hook = FakeWebhook()
    (acme / "alerts.toml").write_text(
        f'[notifiers]\nchat = "{hook.url}"\n[schedule]\nalerts = "0 */6 * * *"\n'
        '[[alert]]\nname = "pay CFR"\nmetric = "change_failure_rate_pct"\nteam = "payments"\ndataset = "acme"\n'
        'above = 15\nwindow_days = 1\nnotify = ["chat"]\n'
        '[[digest]]\nteam = "payments"\ndataset = "acme"\nnotify = ["chat"]\ncron = "0 9 * * MON"\n', encoding="utf-8")
    clock = FakeClock(pd.Timestamp("2024-03-10T20:00:00Z"))         # Sunday evening
    out = io.StringIO()
    try:
        code = run_schedule([], out=out, clock=clock, sleep=clock.sleep,
                            until=pd.Timestamp("2024-03-11T10:00:00Z").value / 1e9)
    finally:
        hook.close()
    assert code == 0
    ran = [line for line in out.getvalue().splitlines() if line.startswith("2024-")]
    # checks at 00:00 and 06:00 Monday; the digest at 09:00 Monday (nothing before 20:00 Sunday)
    assert ran == ["2024-03-11 00:00 UTC alerts check", "2024-03-11 06:00 UTC alerts check",
                   "2024-03-11 09:00 UTC digest --team payments --dataset acme"]
    assert [m["title"] for m in hook.messages] == ["Weekly digest: payments (2024-03-04 to 2024-03-10)"]
    assert max(clock.slept) <= 30.0
    assert TOKEN not in out.getvalue()


def test_one_scheduler_a_store_a_second_waits(acme):
    (acme / "alerts.toml").write_text('[schedule]\nalerts = "*/15 * * * *"\n', encoding="utf-8")
    first = store.SchedulerLock()
    assert first.take() == ""
    try:
        out, waits = io.StringIO(), []

        def sleep(seconds):
            waits.append(seconds)
            if len(waits) >= 2:
                raise KeyboardInterrupt

        assert run_schedule([], out=out, clock=lambda: 0.0, sleep=sleep, until=1.0) == 0
    finally:
        first.release()
    assert out.getvalue().splitlines()[0].startswith("another python -m metrics schedule runs on this store (schedule on ")
    assert "alerts check" not in out.getvalue().split("\n", 1)[1]


def test_a_file_that_schedules_nothing_is_one_sentence(data_dir, capsys):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "alerts.toml").write_text("", encoding="utf-8")
    assert main(["schedule"]) == 2
    assert "schedules nothing" in capsys.readouterr().err
