"""Reading and fuzzing API exports saved page after page (the Azure DevOps and Bitbucket tests)."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, settings, strategies as st

from metrics.ingest import LoadError, load_events
from metrics.registry.source import source

FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


def loader(name: str):
    """``load(*paths, service=None, **options)``: the files read with source ``name``'s reader."""
    def load(*paths, service=None, **options):
        return load_events(list(paths), reader=source(name).make_reader(**options), service=service)
    return load


def events(frame) -> list:
    """(kind, id, time as MM-DD HH:MM, status, author) of every event, sorted."""
    return sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status, r.author) for r in frame.itertuples())


def pages(path) -> list:
    """The JSON documents of a file saved page after page."""
    decoder, text, at, out = json.JSONDecoder(), path.read_text(), 0, []
    while at < len(text):
        doc, at = decoder.raw_decode(text, at)
        out.append(doc)
        while at < len(text) and text[at].isspace():
            at += 1
    return out


def json_values(keys: list, words: list):
    """Random JSON values whose objects use ``keys`` and whose texts are often ``words``."""
    scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                        st.text(max_size=12), st.sampled_from(words + ["2024-06-03T08:00:00Z", "9999-12-31T00:00:00Z"]))
    return scalars, st.recursive(scalars, lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(keys), inner, max_size=6)), max_leaves=25)


def slots(value):
    """Every (container, key) of a JSON value, depth first."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, inner in items:
        yield value, key
        yield from slots(inner)


def with_one_value_changed(path, pick: int, replacement):
    """The pages of ``path`` with the ``pick``-th field (modulo their number) set to ``replacement``."""
    docs = pages(path)
    every = list(slots(docs))
    parent, key = every[pick % len(every)]
    parent[key] = replacement
    return docs


def report_or_sentence(load, path) -> None:
    """Loading ``path`` gives a consistent report, or one LoadError sentence naming the file."""
    try:
        frame, report = load(path)
    except LoadError as e:
        assert path.name in str(e) and "\n" not in str(e)
        return
    assert report.accepted == len(frame) and report.rows_read >= report.accepted
