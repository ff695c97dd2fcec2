"""``python -m metrics``: the seed's console lines, the JSON keys of METRICS.md section 7, errors."""
import json
import re

import pytest

from conftest import run_cli
from helpers import SECTION_7, SECTION_7_TIERS, summary_keys

# the --json summary's keys: METRICS.md section 7's (``helpers.SECTION_7``), and the DORA tiers
JSON_KEYS = {"window": {"start", "end", "days"},
             **{section: set(summary_keys(section)) | ({"tiers"} if section == "dora" else set())
                for section in SECTION_7}}
TIER_KEYS = set(SECTION_7_TIERS)

SEED_LINES = [
    r"^--- DORA METRICS \(Delivery & Reliability\) ---$",
    r"^Avg deployments/day: \d+\.\d\d$",
    r"^Incidents: \d+ \| Avg MTTR: (\d+\.\d min|n/a) \| P95 MTTR: (\d+\.\d min|n/a)$",
    r"^--- SPACE METRICS \(Team & Developer Health\) ---$",
    r"^Activity: Avg PRs/day: \d+\.\d\d \| Avg reviews/day: \d+\.\d\d$",
    r"^Collaboration: Avg code review turnaround: (\d+\.\d hours|n/a)$",
    r"^Satisfaction: Avg satisfaction score: (\d\.\d/5\.0|n/a)$",
    r"^Efficiency: Avg PR→merge time: (\d+\.\d hours|n/a)$",
    r"^Performance: Incident rate: (\d+\.\d\d%|n/a) per deployment$",
    r"^--- PLATFORM VALUE METRICS \(PVM\) ---$",
    r"^VCR: (\d+%|n/a) \| Platform hours invested: \d+$",
    r"^IAR: (-?\d+\.\d%|n/a) \| First period: \d+ deploys \| Second period: \d+ deploys$",
    r"^DTR: (\d+\.\d%|n/a) \| Toil: \d+ min \| Feature: -?\d+ min$",
    r"^Lead time for changes: median .* \| p90 .*$",
    r"^Change failure rate: .*$",
    r"^Rework rate: .*$",
    r"^Tiers: deployment frequency \w+ \| lead time [\w/]+ \| change failure rate [\w/]+ \| recovery time [\w/]+ \| overall [\w/]+$",
]


CURRENT_DORA_KEYS = {"dora_groups", "failed_deployment_recovery", "quick_check",   # DORA's current definitions
                     "cycle_time"}                                                # the stages per period (issue 27)
SIZE_KEYS = {"size_relation"}            # lead time by PR size, change failure by batch size (docs/metrics.md)
AI_KEYS = {"ai"}                         # the AI comparison (docs/metrics.md, issue 29)


def check_keys(data):
    # "evidence": the metrics without enough evidence for a tier or a score, each with its reason
    assert set(data) - {"evidence"} == set(JSON_KEYS) | CURRENT_DORA_KEYS | SIZE_KEYS | AI_KEYS
    assert all(isinstance(reason, str) for reason in data.get("evidence", {}).values())
    assert data["dora_groups"] == {"throughput": ["lead_time", "deployment_frequency", "failed_deployment_recovery_time"],
                                   "instability": ["change_failure_rate", "rework_rate"]}
    for section, keys in JSON_KEYS.items():
        assert set(data[section]) == keys, section
    assert set(data["dora"]["tiers"]) == TIER_KEYS


def test_default_summary_prints_the_seed_lines():
    p = run_cli()
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    for pattern in SEED_LINES:
        assert any(re.match(pattern, line) for line in lines), pattern
    assert "seed 42 (balanced)" in lines[0] and "(14 days)" in lines[0]


def test_seed_100_for_30_days_is_elite_where_it_has_the_evidence():
    p = run_cli("--seed", 100, "--days", 30, "--json")
    data = json.loads(p.stdout)
    check_keys(data)
    assert data["window"]["days"] == 30
    assert data["dora"]["deploys_per_day"] >= 5
    # recovery rests on 2 incidents at 30 days: no tier, so no overall (METRICS.md sections 3 and 6)
    assert data["dora"]["tiers"] == {"deployment_frequency": "elite", "lead_time": "elite",
                                     "change_failure_rate": "elite", "recovery_time": None, "overall": None}
    text = run_cli("--seed", 100, "--days", 30).stdout
    assert "recovery time n/a | overall N/A" in text
    assert "Too little evidence: recovery time (median): 2 resolved incidents: a tier needs at least 5" in text


def test_events_file_json_has_exactly_the_keys(fixtures):
    p = run_cli("--events", fixtures / "hand.csv", "--start", "2024-01-01", "--json")
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)
    check_keys(data)
    assert data["window"] == {"start": "2024-01-01T00:00:00Z", "end": "2024-01-08T00:00:00Z", "days": 7}
    assert data["dora"]["deployments"] == 7 and data["pvm"]["iar_pct"] == 50.0
    # tests/test_hand_computed.py's counts: 4 timed PRs, 4 resolved incidents, 3 of them attributed
    assert data["evidence"] == {
        "lead_time_hours_median": "4 deployed PRs: a tier needs at least 5",
        "mttr_minutes_median": "4 resolved incidents: a tier needs at least 5",
        "failed_deployment_recovery_minutes_median": "3 resolved incidents attributed to a deployment: a Quick Check "
                                                     "score needs at least 5"}
    assert "49 rows read, 49 accepted, 0 rejected" in p.stderr


def test_events_default_window_and_days(fixtures):
    data = json.loads(run_cli("--events", fixtures / "hand.csv", "--json").stdout)
    assert data["window"]["start"] == "2023-12-31T00:00:00Z" and data["window"]["days"] == 8
    data = json.loads(run_cli("--events", fixtures / "hand.csv", "--days", 3, "--json").stdout)
    assert data["window"] == {"start": "2024-01-05T00:00:00Z", "end": "2024-01-08T00:00:00Z", "days": 3}


def test_na_prints_as_text_and_null_in_json(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("ts,kind,service\n2024-01-01T10:00:00Z,deploy,api\n")
    text = run_cli("--events", path).stdout
    assert "Incidents: 0 | Avg MTTR: n/a | P95 MTTR: n/a" in text
    data = json.loads(run_cli("--events", path, "--json").stdout)
    assert data["dora"]["mttr_minutes_mean"] is None and data["space"]["satisfaction_mean"] is None


def test_pvm_assumptions_change_the_numbers():
    base = json.loads(run_cli("--json", "--end", "2026-11-22").stdout)["pvm"]
    more = json.loads(run_cli("--json", "--end", "2026-11-22", "--value-per-deploy", 400).stdout)["pvm"]
    assert more["total_value_usd"] == 2 * base["total_value_usd"]


@pytest.mark.parametrize("args, message", [
    (["--seed", "abc"], "seed must be a whole number"),
    (["--seed", "-3"], "seed must be a whole number between 0"),
    (["--seed", "1" + "0" * 30], "seed must be a whole number between 0"),
    (["--days", "0"], "days must be a whole number between 1 and 3650"),
    (["--days", "3651"], "days must be a whole number between 1 and 3650"),
    (["--days", "x"], "days must be a whole number"),
    (["--scenario", "chaos"], "invalid choice"),
    (["--services", "0"], "services must be a whole number between"),
    (["--hourly-rate", "-1"], "hourly rate must be a number between 0 and"),
    (["--workweek", "Funday"], "workweek must name days"),
    (["--events", "/no/such/file.csv"], "no such file"),
    (["--events", "."], "is a directory"),
    (["--start", "2024-02-30"], "not a date"),
    (["--start", "2024-02-01", "--end", "2024-01-01"], "--end must be after --start"),
    (["--bogus"], "unrecognized arguments"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, message):
    p = run_cli(*args)
    assert p.returncode == 2
    assert p.stderr.count("\n") == 1 and message in p.stderr and "Traceback" not in p.stderr
    assert p.stdout == ""


def test_unreadable_file(tmp_path, monkeypatch, capsys):
    """A file the operating system refuses to open: one sentence, exit 2. Root (CI) may read any file,
    so ``chmod 0`` proves nothing there: the refusal is the one the kernel gives (EACCES), injected
    into ``open`` for this path only, and the command line is run in this process."""
    import builtins
    import errno
    import io

    from metrics.cli import main
    path = tmp_path / "secret.csv"
    path.write_text("ts,kind,service\n2024-01-01T00:00:00Z,deploy,api\n")
    real_open = io.open

    def refusing(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(io, "open", refusing)
    monkeypatch.setattr(builtins, "open", refusing)
    code = main(["--events", str(path)])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"error: {path}: permission denied\n")


def test_strict_stops_with_exit_2_and_the_report(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ts,kind,service\n2024-01-01T00:00:00Z,deploy,api\nnope,deploy,api\n")
    p = run_cli("--events", path, "--strict")
    assert p.returncode == 2
    assert "line 3: bad timestamp 'nope'" in p.stderr and "Traceback" not in p.stderr
    lenient = run_cli("--events", path)
    assert lenient.returncode == 0 and "1 rejected" in lenient.stderr


def test_all_rows_rejected_without_window_is_a_clear_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("ts,kind,service\nnope,deploy,api\n")
    p = run_cli("--events", path)
    assert p.returncode == 2 and "no accepted events" in p.stderr


def test_attribution_overrides_file(fixtures, tmp_path):
    f = tmp_path / "attribution.toml"
    f.write_text('not_caused = ["i3"]\n')
    data = json.loads(run_cli("--events", fixtures / "hand.csv", "--start", "2024-01-01", "--attribution", f,
                              "--json").stdout)
    # i3 no longer fails d1: failed d3 (status), d2 (i2), d5 (i4) -> 3 of 7
    assert data["dora"]["change_failure_rate_pct"] == pytest.approx(300 / 7)
    assert data["failed_deployment_recovery"]["recovery_minutes_median"] == pytest.approx(45.0)
    f.write_text("pin = [")
    p = run_cli("--events", fixtures / "hand.csv", "--attribution", f)
    assert p.returncode == 2 and "is not valid TOML" in p.stderr and len(p.stderr.strip().splitlines()[-1]) < 300
    p = run_cli("--events", fixtures / "hand.csv", "--attribution", tmp_path / "missing.toml")
    assert p.returncode == 2 and "does not exist" in p.stderr
