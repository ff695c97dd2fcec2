"""Reading API exports saved page after page (the Azure DevOps and Bitbucket Cloud tests)."""
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


def pages(path) -> list:
    """The JSON documents of a file saved page after page."""
    decoder, text, at, out = json.JSONDecoder(), path.read_text(), 0, []
    while at < len(text):
        doc, at = decoder.raw_decode(text, at)
        out.append(doc)
        while at < len(text) and text[at].isspace():
            at += 1
    return out
