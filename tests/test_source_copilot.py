"""GitHub Copilot's usage metrics reports (fixtures written from GitHub's documentation: "Example
schema for Copilot usage metrics" and "Data available in Copilot usage metrics") -> team-level
ai_* events, by file (``import --from copilot``) and by the live sync against a fake API on
127.0.0.1 (download links, NDJSON files on another host, rate limits, 403 and 404)."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from metrics import store
from metrics.cli import main
from metrics.ingest import LoadError, load_events
from metrics.ingest.sources.copilot.reader import copilot_reader
from metrics.ingest.sync import http
from metrics.ingest.sync.config import source_of
from metrics.ingest.sync.http import SyncError
from metrics.ingest.sync.run import sync

from fake_apis import FakeApi


def day(date, active, weekly, generated, accepted, created=None, merged=None, reviewed=None, **more):
    """A day's totals as the organization report writes them (fields of the docs' example)."""
    totals = {"day": date, "organization_id": "7", "daily_active_users": active, "weekly_active_users": weekly,
              "monthly_active_users": weekly + 1, "monthly_active_agent_users": 0, "monthly_active_chat_users": 0,
              "code_generation_activity_count": generated, "code_acceptance_activity_count": accepted,
              "loc_added_sum": 30, "loc_deleted_sum": 0, "loc_suggested_to_add_sum": 35, "loc_suggested_to_delete_sum": 0,
              "user_initiated_interaction_count": 0,
              "totals_by_ide": [{"ide": "vscode", "code_generation_activity_count": generated,
                                 "code_acceptance_activity_count": accepted}],
              "totals_by_feature": [], "totals_by_language_feature": [], "totals_by_language_model": [],
              "totals_by_model_feature": [], **more}
    if created is not None:
        totals["pull_requests"] = {"total_created": created + 3, "total_reviewed": 2, "total_merged": 2,
                                   "median_minutes_to_merge": 2.5, "total_suggestions": 1, "total_applied_suggestions": 1,
                                   "total_created_by_copilot": created, "total_merged_created_by_copilot": merged,
                                   "total_reviewed_by_copilot": reviewed, "total_merged_reviewed_by_copilot": 0,
                                   "total_copilot_suggestions": 1, "total_copilot_applied_suggestions": 1}
    return totals


def report(*days, start="2025-09-04", end="2025-10-01") -> dict:
    """An organization report record: its days under ``day_totals``."""
    return {"day_totals": list(days), "organization_id": "7", "report_start_day": start, "report_end_day": end,
            "etl_id": "green", "day_partition": end, "entity_id_partition": 7}


USER = {"code_acceptance_activity_count": 1, "code_generation_activity_count": 1, "day": "2025-10-01", "enterprise_id": "1",
        "user_id": 1, "user_login": "login1", "used_agent": False, "used_chat": False, "used_cli": True}


def names() -> set:
    return {d.name for d in store.list_datasets()}


def ndjson(*records) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def rows(frame) -> list[tuple]:
    frame = frame.sort_values(["ts", "kind"], kind="stable")
    return list(zip(frame["ts"].dt.strftime("%Y-%m-%d %H:%M"), frame["kind"], frame["service"], frame["metric_value"]))


def test_an_organization_report_file_by_hand(tmp_path):
    path = tmp_path / "report.ndjson"
    path.write_text(ndjson(report(day("2025-09-30", 2, 3, 5, 2, created=1, merged=1, reviewed=0),
                                  day("2025-10-01", 4, 5, 9, 6)), USER), encoding="utf-8")
    frame, loaded = load_events([path], reader=copilot_reader())
    # 30 Sep: every field, the PR fields under pull_requests; 1 Oct: no pull_requests, so none of its events
    assert rows(frame) == [
        ("2025-09-30 00:00", "ai_acceptances", "team", 2.0), ("2025-09-30 00:00", "ai_active_users", "team", 2.0),
        ("2025-09-30 00:00", "ai_prs_created", "team", 1.0), ("2025-09-30 00:00", "ai_prs_merged", "team", 1.0),
        ("2025-09-30 00:00", "ai_prs_reviewed", "team", 0.0), ("2025-09-30 00:00", "ai_suggestions", "team", 5.0),
        ("2025-09-30 00:00", "ai_weekly_active_users", "team", 3.0),
        ("2025-10-01 00:00", "ai_acceptances", "team", 6.0), ("2025-10-01 00:00", "ai_active_users", "team", 4.0),
        ("2025-10-01 00:00", "ai_suggestions", "team", 9.0), ("2025-10-01 00:00", "ai_weekly_active_users", "team", 5.0)]
    assert loaded.skipped == {"per-user records (the organization or enterprise report holds the team's totals)": 1}
    assert loaded.rejected_count == 0


def test_a_json_array_and_day_records_and_a_day_given_twice(tmp_path):
    path = tmp_path / "report.json"
    one_day = day("2025-10-02", 1, 1, 1, 1)
    again = day("2025-10-02", 7, 8, 9, 3)                          # the later record's numbers are kept
    path.write_text(json.dumps([report(one_day), again]), encoding="utf-8")
    frame, loaded = load_events([path], reader=copilot_reader(service="platform"))
    assert rows(frame) == [("2025-10-02 00:00", "ai_acceptances", "platform", 3.0),
                           ("2025-10-02 00:00", "ai_active_users", "platform", 7.0),
                           ("2025-10-02 00:00", "ai_suggestions", "platform", 9.0),
                           ("2025-10-02 00:00", "ai_weekly_active_users", "platform", 8.0)]
    assert loaded.skipped == {"days given again in the file (each field: the last record's number kept)": 1}


def test_bad_values_and_records_are_rejected_with_their_record(tmp_path):
    path = tmp_path / "report.ndjson"
    path.write_text(ndjson(report(day("2025-10-01", -1, 2, "many", 1)), [1, 2], {"nothing": 1},
                           report(day("not a day", 1, 1, 1, 1))), encoding="utf-8")
    frame, loaded = load_events([path], reader=copilot_reader())
    reasons = sorted(zip(loaded.rejected["row"], loaded.rejected["reason"]))
    assert ("record 1", "ai_active_users must be >= 0 (a count)") in reasons
    assert ("record 1", "metric_value is not a finite number 'many'") in reasons
    # a JSON array is a list of records: [1, 2] is records 2 and 3
    assert ("record 2", "not a JSON object (int)") in reasons and ("record 3", "not a JSON object (int)") in reasons
    assert ("record 4", "neither a report record with day_totals nor a day record with day") in reasons
    assert ("record 5", "bad timestamp 'not a day'") in reasons
    # what was good of record 1 is kept: its weekly users and acceptances
    assert sorted(frame["kind"]) == ["ai_acceptances", "ai_weekly_active_users"]


def test_the_apis_answer_is_refused_in_one_sentence_and_nothing_is_stored(tmp_path, capsys):
    path = tmp_path / "links.json"
    path.write_text(json.dumps({"download_links": ["https://example.com/r.ndjson"], "report_day": "2025-10-01"}), encoding="utf-8")
    assert main(["import", "--from", "copilot", "--name", "ai", str(path)]) == 2
    err = capsys.readouterr().err
    assert "links.json is the API's answer with download links, not a report" in err and "Traceback" not in err
    assert "ai" not in names()


def test_import_stores_the_events(tmp_path, capsys):
    path = tmp_path / "report.ndjson"
    path.write_text(ndjson(report(day("2025-10-01", 4, 5, 9, 6))), encoding="utf-8")
    assert main(["import", "--from", "copilot", "--name", "ai", "--service", "web-team", str(path)]) == 0
    frame = store.load("ai")
    assert len(frame) == 4 and set(frame["service"]) == {"web-team"}


JSON = st.recursive(st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=True) | st.text(max_size=10),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                        st.sampled_from(["day", "day_totals", "daily_active_users", "pull_requests", "user_login",
                                         "total_created_by_copilot", "download_links", "x"]), inner, max_size=4),
                    max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(JSON, max_size=4), st.booleans())
def test_fuzzed_reports_give_a_report_or_one_sentence_and_store_nothing_on_failure(tmp_path, capsys, records, broken):
    path = tmp_path / "fuzz.ndjson"
    text = "".join(json.dumps(r) + "\n" for r in records) + ("{oops\n" if broken else "")
    path.write_text(text, encoding="utf-8")
    before = names()
    code = main(["import", "--from", "copilot", "--name", "fuzz", "--strict", str(path)])
    err = capsys.readouterr().err
    assert code in (0, 2) and "Traceback" not in err
    if code == 2:
        assert err.strip() and names() == before
    try:
        frame, _ = load_events([path], reader=copilot_reader())
    except LoadError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert (frame["metric_value"] >= 0).all()


# -- the live sync ------------------------------------------------------------------------------------

NOW = datetime(2025, 10, 13, 9, 0, tzinfo=timezone.utc)


class FakeReportFiles(FakeApi):
    """The host of the signed report files: answers only requests WITHOUT a token."""

    def __init__(self):
        super().__init__("", "Authorization", None)
        self.files: dict[str, str] = {}

    def route(self, path, query):
        if path in self.files:
            return 200, {"Content-Type": "application/x-ndjson"}, self.files[path].encode()
        return 404, {}, {"message": "Not Found"}


class FakeCopilot(FakeApi):
    """``GET /orgs/ORG/copilot/metrics/reports/organization-1-day?day=DAY``: the day's download links
    (two files a day: the API may split a report), 404 for a day without a report."""

    def __init__(self, files: FakeReportFiles, org: str = "acme", token: str = "ghp_test"):
        super().__init__(token, "Authorization", f"Bearer {token}")
        self.org, self.files, self.days = org, files, {}

    def add_day(self, date, first: dict, second: dict):
        names = [f"/reports/{date}-{n}.ndjson" for n in (1, 2)]
        self.files.files[names[0]] = ndjson(report(first, start=date, end=date))
        self.files.files[names[1]] = "\n" + ndjson(report(second, start=date, end=date)) + "\n"
        self.days[date] = [self.files.url + n + "?sig=abc" for n in names]

    def route(self, path, query):
        if path == f"/orgs/{self.org}/copilot/metrics/reports/organization-1-day" and query.get("day") in self.days:
            return 200, {}, {"download_links": self.days[query["day"]], "report_day": query["day"]}
        return 404, {}, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(http, "BACKOFF_SECONDS", 0.0)


def copilot_source(api, since="2025-10-10"):
    return source_of({"type": "copilot", "org": "acme", "dataset": "ai", "api_url": api.url, "since": since}, "t")


def fill(api, *dates):
    for n, date in enumerate(dates):
        # two files a day: the users and activity in one, the PR fields in the other (a day's totals split)
        api.add_day(date, day(date, 10 + n, 20 + n, 30 + n, 15 + n), {"day": date, "pull_requests": {
            "total_created_by_copilot": n, "total_merged_created_by_copilot": 0, "total_reviewed_by_copilot": 2}})


def test_sync_asks_day_by_day_downloads_without_the_token_and_resumes():
    with FakeReportFiles() as files, FakeCopilot(files) as api:
        fill(api, "2025-10-10", "2025-10-11", "2025-10-12")
        first = sync(copilot_source(api), environ={"GITHUB_TOKEN": api.token}, now=NOW)
        asked = [q["day"] for p, q in api.requests]
        downloads = files.paths()
        fill(api, "2025-10-13")
        api.requests.clear()
        later = datetime(2025, 10, 14, 9, 0, tzinfo=timezone.utc)
        second = sync(copilot_source(api), environ={"GITHUB_TOKEN": api.token}, now=later)
        asked_again = [q["day"] for p, q in api.requests]
    assert asked == ["2025-10-10", "2025-10-11", "2025-10-12"]       # up to yesterday; today is not complete
    assert len(downloads) == 6                                       # two files a day, each answered (no token sent)
    # per day: active, weekly, suggestions, acceptances from one file, the three PR fields from the other
    assert first.added == 3 * 7 and second.added == 7
    assert asked_again == ["2025-10-13"]
    frame = store.load("ai")
    one = frame[frame["ts"] == "2025-10-11T00:00:00Z"].set_index("kind")["metric_value"].to_dict()
    assert one == {"ai_active_users": 11.0, "ai_weekly_active_users": 21.0, "ai_suggestions": 31.0, "ai_acceptances": 16.0,
                   "ai_prs_created": 1.0, "ai_prs_merged": 0.0, "ai_prs_reviewed": 2.0}
    assert set(frame["service"]) == {"team"}


def test_sync_waits_out_a_rate_limit_and_a_server_error():
    waits = []
    with FakeReportFiles() as files, FakeCopilot(files) as api:
        fill(api, "2025-10-12")
        api.fail_next = [(429, {"Retry-After": "7"}, {"message": "rate limited"}),
                         (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "0"}, {"message": "API rate limit exceeded"})]
        files.fail_next = [(503, {}, {"message": "unavailable"})]
        outcome = sync(copilot_source(api, since="2025-10-12"), environ={"GITHUB_TOKEN": api.token}, now=NOW,
                       sleep=waits.append)
    assert outcome.added == 7 and 7.0 in waits


def test_a_report_not_ready_ends_the_sync_there_and_is_asked_for_again():
    with FakeReportFiles() as files, FakeCopilot(files) as api:
        fill(api, "2025-10-10", "2025-10-12")                      # 11 October has no report yet: 404
        first = sync(copilot_source(api), environ={"GITHUB_TOKEN": api.token}, now=NOW)
        fill(api, "2025-10-11")
        api.requests.clear()
        second = sync(copilot_source(api), environ={"GITHUB_TOKEN": api.token}, now=NOW)
        asked = [q["day"] for p, q in api.requests]
    assert first.added == 7 and second.added == 14 and asked == ["2025-10-11", "2025-10-12"]


@pytest.mark.parametrize("status, says", [(403, "answered 403: the token is missing, wrong, expired or lacks access"),
                                          (404, "answered 404")])
def test_a_refused_first_day_is_one_sentence_and_nothing_is_stored(status, says):
    with FakeReportFiles() as files, FakeCopilot(files) as api:
        fill(api, "2025-10-10")
        api.fail_next = [(status, {}, {"message": "Copilot usage metrics are disabled"})]
        with pytest.raises(SyncError, match=says) as caught:
            sync(copilot_source(api), environ={"GITHUB_TOKEN": api.token}, now=NOW)
    assert api.token not in str(caught.value)
    assert "ai" not in names()


def test_the_command_line_sync_needs_the_token_and_the_org(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert main(["sync", "copilot", "--name", "ai"]) == 2
    assert "sync copilot needs --org ORG" in capsys.readouterr().err
    with FakeReportFiles() as files, FakeCopilot(files) as api:
        fill(api, "2025-10-12")
        assert main(["sync", "copilot", "--org", "acme", "--name", "ai", "--api-url", api.url]) == 2
        assert "set GITHUB_TOKEN in the environment to sync from copilot" in capsys.readouterr().err
        assert main(["sync", "copilot", "--org", "acme/shop", "--name", "ai", "--api-url", api.url]) == 2
        assert "org must be the organisation's name" in capsys.readouterr().err


def test_a_download_that_is_not_ndjson_is_one_sentence():
    with FakeReportFiles() as files, FakeCopilot(files) as api:
        fill(api, "2025-10-12")
        files.files["/reports/2025-10-12-1.ndjson"] = "{not json\n"
        with pytest.raises(SyncError, match="did not answer with JSON"):
            sync(copilot_source(api, since="2025-10-12"), environ={"GITHUB_TOKEN": api.token}, now=NOW)


def test_the_first_day_is_not_before_the_first_report_nor_a_year_back():
    from datetime import date
    from metrics.ingest.sources.copilot.sync import first_day
    assert first_day("2025-01-01T00:00:00Z", date(2025, 10, 13)) == date(2025, 10, 10)    # reports start 10 Oct 2025
    assert first_day("2025-10-11T00:00:00Z", date(2025, 10, 13)) == date(2025, 10, 11)
    assert first_day("2025-10-11T00:00:00Z", date(2026, 12, 7)) == date(2025, 12, 7)      # a year back, not more
    assert first_day(None, date(2025, 10, 13)) == date(2025, 10, 10)
