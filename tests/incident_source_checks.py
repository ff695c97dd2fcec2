"""What the tests of the incident sources read from files (jira-service-management, incident-io)
share: events as tuples and fuzzing (files written for a test and rejections: ``api_exports``)."""
from hypothesis import HealthCheck, settings, strategies as st

from metrics.ingest import LoadError, load_events

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


def events(frame, order=("ts", "kind")) -> list:
    """The incident events as (incident_id, kind, ts as text, service), sorted by ``order``."""
    return [(r.incident_id, r.kind, str(r.ts), r.service) for r in frame.sort_values(list(order)).itertuples()]


def json_values(keys: list, texts: list):
    """Random JSON built from the ``keys`` and ``texts`` a source reads, and any other values."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                        st.text(max_size=12), st.sampled_from(texts + ["9999-12-31", ""]))
    return st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(keys), inner, max_size=6)), max_leaves=25)


def load_or_sentence(tmp_path, content: bytes, reader):
    """Load ``content``: a report whose counts agree, or one sentence naming the file (LoadError); any
    other exception fails the test."""
    path = tmp_path / "fuzz.json"
    path.write_bytes(content)
    try:
        frame, report = load_events([path], reader=reader)
    except LoadError as e:
        assert "fuzz.json: " in str(e) and "\n" not in str(e)
        return
    assert report.accepted == len(frame)
