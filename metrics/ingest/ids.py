"""Ids unique per service: the one rule that qualifies pull-request and deployment ids with the
event's service (a repository is one service unless mapped otherwise), so PR #12 of one repository
and PR #12 of another are two PRs, and the same PR seen through an export, a sync and a webhook is one.

``normalize`` applies it to every validated frame, once the event's service is final; the store's
migration applies it to datasets stored before it. The rule:

- ``pr_id``: ``SERVICE#...`` or ``SERVICE!...`` stays; ``#N`` or ``!N`` (the sources' local forms)
  becomes ``SERVICE#N`` / ``SERVICE!N``; any other text X becomes ``SERVICE#X``;
- ``deploy_id`` of a ``deploy``: ``SERVICE@...`` stays; any other text ID becomes ``SERVICE@ID``;
- the ``deploy_id`` of an incident or a merged PR is a link that may cross services: it stays as
  written and is resolved when the tables are built (``metrics.tables.EventTables.link_keys``);
  incident ids are not touched (incident tools' ids are global).

Qualifying twice is qualifying once.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import schema as s
from .coded import CODE, Coded, plain

TEXT = np.dtypes.StringDType()


def qualified(service: Coded, ident: Coded, marks: tuple, local_marks: tuple = ()) -> Coded:
    """Each of the ids ``ident`` qualified with its ``service`` (two coded columns of one length;
    "" stays ""): unchanged when it starts with its service and one of ``marks``; ``SERVICE`` + the
    id when it starts with one of ``local_marks``; else ``SERVICE`` + ``marks[0]`` + the id. The
    string work runs once per distinct (service, id) pair."""
    width = max(len(ident.texts), 1)
    codes, pairs = pd.factorize(service.codes.astype(np.int64) * width + ident.codes)
    service_text = service.texts[pairs // width].astype(TEXT)
    ident_text = ident.texts[pairs % width].astype(TEXT)
    already = ident_text == ""
    for mark in marks:
        already |= np.strings.startswith(ident_text, np.strings.add(service_text, mark))
    local = np.zeros(len(ident_text), dtype=bool)
    for mark in local_marks:
        local |= np.strings.startswith(ident_text, mark)
    joiner = np.where(local, "", marks[0]).astype(TEXT)
    done = np.where(already, ident_text, np.strings.add(np.strings.add(service_text, joiner), ident_text)).astype(object)
    distinct, texts = pd.factorize(done)
    return Coded(distinct.astype(CODE)[codes], np.asarray(texts, dtype=object))


def qualify_coded(text: dict) -> dict:
    """The coded text columns ``text`` (``coded.Coded`` by column) with their PR and deployment
    ids qualified by the rule above: every non-empty ``pr_id``, and the ``deploy_id`` of every
    ``deploy``."""
    deploys = text["kind"].is_in(s.DEPLOY)
    deploy_id = text["deploy_id"]
    if deploys.any():
        deploy_id = deploy_id.put(deploys, qualified(text["service"].take(deploys), deploy_id.take(deploys),
                                                     (s.DEPLOY_MARK,)))
    return dict(text, pr_id=qualified(text["service"], text["pr_id"], s.PR_MARKS, s.PR_MARKS), deploy_id=deploy_id)


def qualify_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the event columns as stripped text) with its PR and deployment ids qualified by
    the rule above (``qualify_coded``)."""
    if not len(frame):
        return frame
    columns = ("kind", "service", "deploy_id", "pr_id")
    done = qualify_coded({c: plain(frame[c]) for c in columns})
    return frame.assign(pr_id=pd.Series(pd.array(done["pr_id"].text(), dtype=frame["pr_id"].dtype), index=frame.index),
                        deploy_id=pd.Series(done["deploy_id"].text(), dtype=frame["deploy_id"].dtype, index=frame.index))
