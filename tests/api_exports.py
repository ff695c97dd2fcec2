"""Reading API exports saved page after page: what the tests of the sources that read a tool's API
JSON from a file share (Azure DevOps, Bitbucket Cloud, Jira Service Management, incident.io)."""
from __future__ import annotations

import json

from metrics.ingest import load_events
from metrics.registry.source import source


def loader(name: str):
    """``load(*paths, service=None, **options)``: the files read with source ``name``'s reader."""
    def load(*paths, service=None, **options):
        return load_events(list(paths), reader=source(name).make_reader(**options), service=service)
    return load


def events(frame) -> list:
    """(kind, id, time as MM-DD HH:MM, status, author) of every event, sorted."""
    return sorted((r.kind, r.pr_id or r.deploy_id, str(r.ts)[5:16], r.status, r.author) for r in frame.itertuples())


def write(tmp_path, name: str, value):
    """A file ``name`` holding ``value`` (text as is, anything else as JSON)."""
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return path


def rejections(report) -> list:
    """(row, reason) of every rejected record, in the report's order."""
    return [(r["row"], r["reason"]) for r in report.rejected.to_dict("records")]


def pages(path) -> list:
    """The JSON documents of a file saved page after page."""
    decoder, text, at, out = json.JSONDecoder(), path.read_text(), 0, []
    while at < len(text):
        doc, at = decoder.raw_decode(text, at)
        out.append(doc)
        while at < len(text) and text[at].isspace():
            at += 1
    return out
