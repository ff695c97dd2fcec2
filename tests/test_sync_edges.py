"""Exact boundaries of the live sync's resumable walks and watermarks (``metrics/ingest/sync/
providers.py``) and of PagerDuty's ranges: an item updated in the watermark's own second, in the
second a killed walk stopped at, or in the second a walk started; an unchanged list fetched again.
Nothing may be lost; fetching again is harmless (the store drops exact duplicates). Issue 26."""
import json

import pytest

from metrics.ingest.sync.config import Source
from metrics.ingest.sync.http import Reply
from metrics.ingest.sync.providers import NewestFirstWalk, later
from metrics.ingest.sources.pagerduty.sync import pagerduty

SINCE, NOW = "2024-01-01T00:00:00Z", "2024-01-05T00:00:00Z"


def item(ident, hms):
    """A list item updated on 2024-01-02 at ``hms``."""
    return {"id": ident, "updated_at": f"2024-01-02T{hms}Z"}


def replies(*pages):
    """The pages of a newest-first list, each but the last with a ``Link: rel="next"``."""
    return [Reply(200, {"link": f'<https://api.test/list?page={n + 2}>; rel="next"'} if n < len(pages) - 1 else {},
                  list(page), f"https://api.test/list?page={n + 1}") for n, page in enumerate(pages)]


def walk(state, pages, now=NOW, killed_after=None):
    """Walk ``pages`` from ``state`` as a sync does: the ids taken, and the state as stored with the
    last page yielded (``killed_after`` pages: the process is killed after storing them)."""
    w = NewestFirstWalk(state, "pulls", SINCE, now)
    taken, stored = [], json.loads(json.dumps(state))
    for n, objects in enumerate(w.pages(replies(*pages), lambda i: (i["updated_at"], i["id"]), lambda i: [i["id"]])):
        taken += objects
        stored = json.loads(json.dumps(state))
        if killed_after is not None and n + 1 == killed_after:
            break
    return taken, stored


def test_item_updated_in_the_watermarks_own_second_is_fetched():
    """The watermark is inclusive: 10:00:00 with id 5 taken from it. Y (id 7) updated at 10:00:00
    too is new: taken. Z (id 5) is the item the mark was taken from: skipped. W at 09:59:59 is older:
    the walk stops. X at 11:00 is newer: taken; it becomes the next watermark."""
    state = {"watermark": {"pulls": "2024-01-02T10:00:00Z"}, "watermark_ids": {"pulls": ["5"]}}
    taken, stored = walk(state, [[item(9, "11:00:00"), item(7, "10:00:00"), item(5, "10:00:00"), item(4, "09:59:59")]])
    assert taken == [9, 7]
    assert stored["watermark"]["pulls"] == "2024-01-02T11:00:00Z" and stored["watermark_ids"]["pulls"] == ["9"]


def test_a_killed_walk_resumes_without_losing_an_item_of_the_second_it_stopped_at():
    """Page 1 [A 10:00:05, B 10:00:03] is stored, then the sync is killed: stored down to 10:00:03.
    Page 2 starts with C, also 10:00:03, never stored. The resumed walk skips what lies strictly
    between where it stopped and where it started (A) and, in the boundary second, the ids stored
    there (B): C is fetched, then D. Every item is fetched exactly once."""
    pages = [[item("A", "10:00:05"), item("B", "10:00:03")], [item("C", "10:00:03"), item("D", "10:00:01")]]
    first, state = walk({}, pages, killed_after=1)
    assert first == ["A", "B"] and state["walk"]["pulls"]["stored_down_to"] == "2024-01-02T10:00:03Z"
    resumed, state = walk(state, pages)
    assert resumed == ["C", "D"]
    assert "walk" not in state or "pulls" not in state["walk"]                       # the walk is finished
    assert state["watermark"]["pulls"] == "2024-01-02T10:00:05Z"


def test_pages_ending_in_one_second_keep_every_id_stored_in_it():
    """Pages 1 [A 10:00:05, B 10:00:03] and 2 [C 10:00:03, X 10:00:03] are stored, then the sync is
    killed: B, C and X are all stored at 10:00:03. The resumed walk over the same list and page 3
    [D 10:00:01] fetches D alone."""
    pages = [[item("A", "10:00:05"), item("B", "10:00:03")], [item("C", "10:00:03"), item("X", "10:00:03")],
             [item("D", "10:00:01")]]
    first, state = walk({}, pages, killed_after=2)
    assert first == ["A", "B", "C", "X"] and sorted(state["walk"]["pulls"]["bottom_ids"]) == ["B", "C", "X"]
    resumed, _ = walk(state, pages)
    assert resumed == ["D"]


def test_a_killed_walk_resumes_without_losing_an_item_of_the_second_it_started_in():
    """The first walk started at 2024-01-05 00:00:00 (its ``now``) and was killed after page 1. E was
    updated in that very second, after page 1 was read: the resumed list shows it first. It lies at
    the walk's start, not inside the stretch already stored, and is not one of the items stored at
    that second: fetched. A, B (stored) are not fetched again."""
    e = {"id": "E", "updated_at": NOW}
    pages = [[item("A", "10:00:05"), item("B", "10:00:03")], [item("C", "10:00:01")]]
    _, state = walk({}, pages, killed_after=1)
    resumed, _ = walk(state, [[e] + pages[0], pages[1]])
    assert resumed == ["E", "C"]


def test_a_resumed_walk_does_not_fetch_again_what_it_stored_in_the_second_it_started_in():
    """The killed walk stored S (updated at 2024-01-05 00:00:00, the very second it started) and B:
    resumed over [E, S, B], [C], E (same second, new) is fetched, S and B are not, C is."""
    pages = [[{"id": "S", "updated_at": NOW}, item("B", "10:00:03")], [item("C", "10:00:01")]]
    _, state = walk({}, pages, killed_after=1)
    resumed, _ = walk(state, [[{"id": "E", "updated_at": NOW}] + pages[0], pages[1]])
    assert resumed == ["E", "C"]


def test_an_unchanged_list_is_not_fetched_again():
    """A complete walk over [A t, B t], [C t, D t - 2 s] (t = 10:00:05, the newest second spread over
    two pages) takes all four (C, in the second page 1 ended in, is not skipped as stored) and keeps
    t and A, B, C as the watermark: the next sync of the same list takes nothing.
    A third sync after E appeared at t takes E alone, and a fourth takes nothing."""
    pages = [[item("A", "10:00:05"), item("B", "10:00:05")], [item("C", "10:00:05"), item("D", "10:00:03")]]
    taken, state = walk({}, pages)
    assert taken == ["A", "B", "C", "D"] and state["watermark_ids"]["pulls"] == ["A", "B", "C"]
    taken, state = walk(state, pages)
    assert taken == []
    grown = [[item("E", "10:00:05")] + pages[0], pages[1]]
    taken, state = walk(state, grown)
    assert taken == ["E"] and state["watermark_ids"]["pulls"] == ["A", "B", "C", "E"]
    taken, _ = walk(state, grown)
    assert taken == []


def test_later_of_two_times():
    """``later``: the later of two ISO times, either may be missing; equal times give the first."""
    assert later("2024-01-02T10:00:00Z", "2024-01-02T09:59:59Z") == "2024-01-02T10:00:00Z"
    assert later("2024-01-02T09:59:59Z", "2024-01-02T10:00:00Z") == "2024-01-02T10:00:00Z"
    assert later("2024-01-02T10:00:00Z", "2024-01-02T10:00:00+00:00") == "2024-01-02T10:00:00Z"
    assert later(None, "2024-01-02T10:00:00Z") == "2024-01-02T10:00:00Z"
    assert later("2024-01-02T10:00:00Z", None) == "2024-01-02T10:00:00Z" and later(None, None) is None


class FakePagerDuty:
    """``GET /incidents`` answering ``page`` to every range; more than ``limit`` requests is an
    endless loop."""

    def __init__(self, page, limit=10):
        self.page, self.limit, self.asked = page, limit, []

    def get(self, path, params=None):
        self.asked.append((path, dict(params or {})))
        if len(self.asked) > self.limit:
            raise AssertionError("endless paging")
        return Reply(200, {}, self.page, f"https://api.test/{path}")


def test_pagerduty_page_saying_more_without_incidents_ends_the_range():
    """A page with ``more: true`` and no incident (PagerDuty's offset paging past the end) ends the
    range: one request for 2024-01-01 .. 01-05 (under 179 days: one range), the watermark the
    range's end."""
    client = FakePagerDuty({"incidents": [], "more": True})
    state: dict = {}
    batches = list(pagerduty(client, Source("pagerduty", "pd", since=SINCE), state, NOW))
    assert len(client.asked) == 1 and len(batches) == 1
    assert (client.asked[0][1]["since"], client.asked[0][1]["until"]) == (SINCE, NOW)
    assert state["watermark"]["incidents"] == NOW


def test_pagerduty_watermark_at_now_asks_nothing():
    """The watermark is the last range's end: a sync whose ``now`` is that instant has no range left
    to ask (``start < end``), and one a second later asks [watermark, now)."""
    client = FakePagerDuty({"incidents": [], "more": False})
    state = {"watermark": {"incidents": NOW}}
    assert list(pagerduty(client, Source("pagerduty", "pd", since=SINCE), state, NOW)) == [] and client.asked == []
    list(pagerduty(client, Source("pagerduty", "pd", since=SINCE), state, "2024-01-05T00:00:01Z"))
    assert [(p["since"], p["until"]) for _, p in client.asked] == [(NOW, "2024-01-05T00:00:01Z")]


@pytest.mark.parametrize("days, ranges", [(179, 1), (180, 2)])
def test_pagerduty_ranges_are_at_most_179_days(days, ranges):
    """PagerDuty's list spans at most 6 months per query: 179 days from the watermark is one range,
    180 days two (179 + 1)."""
    client = FakePagerDuty({"incidents": [], "more": False})
    start = "2024-01-01T00:00:00Z"
    end = {179: "2024-06-28T00:00:00Z", 180: "2024-06-29T00:00:00Z"}[days]      # 2024 is a leap year
    list(pagerduty(client, Source("pagerduty", "pd", since=start), {}, end))
    assert len(client.asked) == ranges
    assert client.asked[-1][1]["until"] == end and client.asked[0][1]["since"] == start


def test_jenkins_build_started_exactly_at_since_is_collected():
    """``since`` 2024-01-01 00:00:00 is inclusive: deploy-x #2 started exactly then is collected;
    #1 started 1 ms before it ends the walk (not collected); #3 (2024-01-02) is collected. Jenkins
    builds' ``timestamp`` is in milliseconds, so 1 ms is its smallest step."""
    from fake_cd_apis import FakeJenkins, configured, sync_once
    with FakeJenkins() as jenkins:
        jenkins.add_job("deploy-x")
        jenkins.add_build("deploy-x", 1, "SUCCESS", "2023-12-31T23:59:59.999Z", 60)
        jenkins.add_build("deploy-x", 2, "SUCCESS", "2024-01-01T00:00:00Z", 60)
        jenkins.add_build("deploy-x", 3, "SUCCESS", "2024-01-02T00:00:00Z", 60)
        run = sync_once(configured("jenkins", jenkins.root, "ci", target="deploy-x"), {}, jenkins.environ)
    assert sorted(run.frame["deploy_id"]) == ["deploy-x@deploy-x#2", "deploy-x@deploy-x#3"]


def test_argocd_sync_deployed_exactly_at_since_is_collected():
    """``since`` 2024-01-01 00:00:00 is inclusive: an Argo CD history entry deployed exactly then is
    collected (history id 1); one deployed 1 s before it is not (id 0); the next (id 2) is."""
    from fake_cd_apis import FakeArgoCD, configured, sync_once
    with FakeArgoCD() as argo:
        argo.add_app("shop", "prod")
        argo.synced("shop", "2023-12-31T23:58:00Z", "2023-12-31T23:59:59Z")
        argo.synced("shop", "2023-12-31T23:59:00Z", "2024-01-01T00:00:00Z")
        argo.synced("shop", "2024-01-02T00:00:00Z", "2024-01-02T00:01:00Z")
        run = sync_once(configured("argocd", argo.url, "shop", production="prod"), {}, argo.environ)
    assert sorted(run.frame["deploy_id"]) == ["shop@1", "shop@2"]


def test_argocd_history_dropped_only_when_an_id_is_missing_between():
    """Argo CD numbers an application's syncs one after another and keeps the last 10. Collected up to
    id 2: a history of ids 3-12 follows on (nothing lost, no warning); 4-13 has lost id 3 (the first
    and last id lost: 3, 3); 5-14 has lost 3 and 4."""
    from metrics.ingest.sources.argocd.sync import dropped
    mark = {"at": "2024-03-07T09:15:00+00:00", "ids": ["2"]}
    history = lambda first: [{"id": i, "deployedAt": "2024-03-08T00:00:00Z"} for i in range(first, first + 10)]  # noqa: E731
    assert dropped(history(3), mark) is None
    assert dropped(history(4), mark) == (3, 3)
    assert dropped(history(5), mark) == (3, 4)


# --- the API client's retries and pauses at their limits ------------------------------------------

def scripted_client(*answers):
    """A ``Client`` whose requests get ``answers`` in turn ((status, headers, body bytes)), its waits
    recorded, its clock stopped at 1000 s."""
    from metrics.ingest.sync.http import Client
    waits: list = []
    client = Client("https://api.test/", {}, sleep=waits.append, clock=lambda: 1000.0)
    replies = iter(answers)
    client._send = lambda url: next(replies)
    return client, waits


def test_five_server_errors_are_retried_and_a_sixth_stops_the_sync():
    """docs/sync.md: a 5xx is retried 5 times with exponential backoff (1, 2, 4, 8, 16 s), then the
    sync stops with one sentence. A 500 itself is a 5xx. Five 500s then 200: the body, after waits
    1 + 2 + 4 + 8 + 16 = 31 s; six 500s: SyncError after the same waits."""
    from metrics.ingest.sync import http
    from metrics.ingest.sync.http import SyncError
    assert (http.RETRIES, http.BACKOFF_SECONDS) == (5, 1.0)
    client, waits = scripted_client(*[(500, {}, b"")] * 5, (200, {}, b'{"ok": 1}'))
    assert client.get("x").body == {"ok": 1} and waits == [1.0, 2.0, 4.0, 8.0, 16.0] and client.requests == 6
    client, waits = scripted_client(*[(500, {}, b"")] * 6)
    with pytest.raises(SyncError, match="after 5 retries"):
        client.get("x")
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_a_reply_that_uses_up_the_limit_pauses_even_a_second():
    """docs/sync.md: a reply that uses up the limit pauses before the next request. Remaining 0,
    reset at the clock's own second (1000): wait until the reset + 1 s = 1 s before the next one."""
    client, waits = scripted_client((200, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000"}, b"[]"),
                                    (200, {}, b"[]"))
    client.get("a")
    assert waits == []
    client.get("b")
    assert waits == [1.0]


def test_every_is_at_least_a_minute():
    """``--every``: at least 1m; 60s is a minute, 59s is refused."""
    from metrics.ingest.sync.config import ConfigError, parse_every
    assert parse_every("60s") == 60.0 and parse_every("1m") == 60.0
    with pytest.raises(ConfigError, match="at least 1m"):
        parse_every("59s")
