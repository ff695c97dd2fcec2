"""The argocd and jenkins syncs fuzzed (hypothesis): whatever JSON an API answers, a sync gives
batches whose objects map to events, or stops with one sentence (SyncError); never another
exception. The API is a stand-in client answering each request with the next drawn value."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings, strategies as st

from fake_cd_apis import configured
from metrics.ingest import normalize
from metrics.ingest.sync.http import Reply, SyncError
from metrics.registry.source import source

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=10), st.sampled_from(["2024-03-01T10:00:00Z", "SUCCESS", "deploy-api", 7,
                                                           1709280000000, "prod"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["items", "metadata", "name", "status", "history", "id", "deployedAt", "spec",
                                     "destination", "namespace", "jobs", "fullName", "allBuilds", "number",
                                     "result", "timestamp", "duration", "building", "url"]),
                    inner, max_size=6)), max_leaves=25)


class DrawnApi:
    """A client whose every GET answers the next value drawn from ``data`` (at most 30 requests)."""

    def __init__(self, data):
        self.data, self.requests = data, 0

    def url(self, path, params=None):
        return "https://tool.example.com/" + path

    def get(self, path, params=None):
        self.requests += 1
        if self.requests > 30:
            raise SyncError("enough requests")
        body = json.loads(json.dumps(self.data.draw(json_values), allow_nan=True))
        return Reply(200, {}, body, self.url(path))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["argocd", "jenkins"]), st.sampled_from(["", "checkout", "job/a/job/deploy"]),
       st.sampled_from(["", "2024-01-01T00:00:00Z"]), st.data())
def test_any_api_answer_gives_events_or_a_sentence(name, target, since, data):
    src = configured(name, "https://tool.example.com", "fuzz", target=target, since=since, production="prod")
    spec, state = source(name).sync, {}
    try:
        for batch in spec.batches(DrawnApi(data), src, state, "2024-03-20T00:00:00Z"):
            raw = spec.events(src, batch.objects)
            frame, report = normalize(raw.rows, raw.numbers, source="fuzz", unit=raw.unit, parse_errors=raw.bad)
            assert report.accepted == len(frame) and set(frame["kind"]) <= {"deploy"}
            json.dumps(batch.state)                      # the state is stored as JSON
    except SyncError as e:
        assert str(e) and "\n" not in str(e)
