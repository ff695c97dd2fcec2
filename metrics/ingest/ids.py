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

TEXT = np.dtypes.StringDType()


def qualified(services: pd.Series, ids: pd.Series, marks: tuple, local_marks: tuple = ()) -> pd.Series:
    """Each of ``ids`` qualified with its service (two text Series of one index; "" stays ""):
    unchanged when it starts with its service and one of ``marks``; ``SERVICE`` + the id when it
    starts with one of ``local_marks``; else ``SERVICE`` + ``marks[0]`` + the id. The string work
    runs once per distinct (service, id) pair."""
    service_codes, service_names = pd.factorize(services)
    id_codes, id_names = pd.factorize(ids)
    width = max(len(id_names), 1)
    pairs, codes = np.unique(service_codes.astype(np.int64) * width + id_codes, return_inverse=True)
    service = np.asarray(service_names, dtype=object)[pairs // width].astype(TEXT)
    ident = np.asarray(id_names, dtype=object)[pairs % width].astype(TEXT)
    already = ident == ""
    for mark in marks:
        already |= np.strings.startswith(ident, np.strings.add(service, mark))
    local = np.zeros(len(ident), dtype=bool)
    for mark in local_marks:
        local |= np.strings.startswith(ident, mark)
    joiner = np.where(local, "", marks[0]).astype(TEXT)
    done = np.where(already, ident, np.strings.add(np.strings.add(service, joiner), ident)).astype(object)
    return pd.Series(pd.array(done, dtype=ids.dtype).take(codes.ravel()), index=ids.index, name=ids.name)


def qualify_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (the event columns as stripped text) with its PR and deployment ids qualified by
    the rule above: every non-empty ``pr_id``, and the ``deploy_id`` of every ``deploy``."""
    if not len(frame):
        return frame
    deploys = (frame["kind"] == s.DEPLOY).to_numpy()
    deploy_id = frame["deploy_id"].copy()
    if deploys.any():
        deploy_id[deploys] = qualified(frame["service"][deploys], frame["deploy_id"][deploys], (s.DEPLOY_MARK,))
    return frame.assign(pr_id=qualified(frame["service"], frame["pr_id"], s.PR_MARKS, s.PR_MARKS), deploy_id=deploy_id)
