"""Automatic annotations: the moments in a window's data that often explain a change in its
numbers, computed from the data and never stored (the manual ones are: ``metrics.store.annotations``).

- each incident, at its start;
- the first production deployment after none for ``defaults.ANNOTATION_GAP_DAYS`` days or more
  (a freeze, a holiday, a broken pipeline), among the view's services; the previous period's
  deployments count as the ones before (the first deployment of the data has none before it);
- a deployment that shipped ``defaults.ANNOTATION_MANY_PRS`` or more of the window's PRs (lead
  time's per-PR table: PRs created in the window, each with the deployment that shipped it).

``automatic_annotations`` returns them as one frame (columnar: no loop over the events), beside
which ``as_frame`` puts the stored ones, so that the charts and the drill-down draw one list.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import defaults
from .schema import NS_PER_DAY

KINDS = {"note": "note", "incident": "incident", "gap": "deployment after a gap", "batch": "deployment of many PRs"}
COLUMNS = ("at_ns", "kind", "service", "text", "author")


def empty() -> pd.DataFrame:
    """An annotations frame without rows."""
    return pd.DataFrame({"at_ns": np.array([], dtype=np.int64), **{c: np.array([], dtype=object) for c in COLUMNS[1:]}})


def _frame(at_ns, kind: str, service, text) -> pd.DataFrame:
    n = len(at_ns)
    return pd.DataFrame({"at_ns": np.asarray(at_ns, dtype=np.int64), "kind": np.full(n, kind, dtype=object),
                         "service": np.asarray(service, dtype=object), "text": np.asarray(text, dtype=object),
                         "author": np.full(n, "", dtype=object)})


def gap_deployments(ts: np.ndarray, before: np.ndarray, gap_days: int = defaults.ANNOTATION_GAP_DAYS) -> tuple:
    """Which of the deployment times ``ts`` (ns) come ``gap_days`` days or more after the deployment
    before them (among ``ts`` and the earlier times ``before``): (a boolean mask over ``ts`` in its
    order, the whole days since the one before)."""
    ts = np.asarray(ts, dtype=np.int64)
    every = np.sort(np.concatenate([np.asarray(before, dtype=np.int64), ts]))
    at = np.searchsorted(every, ts, side="left")          # the first of equal times has the one before it
    has_before = at > 0
    previous = np.where(has_before, every[np.maximum(at - 1, 0)], ts)
    since = ts - previous
    return has_before & (since >= gap_days * NS_PER_DAY), since // NS_PER_DAY


def automatic_annotations(current, previous=None) -> pd.DataFrame:
    """The automatic annotations of the analysis ``current`` (``metrics.Analysis``), its deployments
    after a gap judged with ``previous`` (the period before) too: columns ``COLUMNS`` (``author`` "")."""
    services = np.asarray(current.services, dtype=object)
    inc = current.incident_marks()
    names = services[inc["service"].to_numpy()] if len(inc) else np.array([], dtype=object)
    parts = [_frame(inc["start"].to_numpy(), "incident", names, "incident started (" + pd.Series(names, dtype=object)
                    + ")")]
    deploys = current.deployment_marks()
    before = previous.deployment_marks()["ts"].to_numpy() if previous is not None else np.array([], dtype=np.int64)
    after, days = gap_deployments(deploys["ts"].to_numpy(), before)
    late = deploys[after]
    names = services[late["service"].to_numpy()] if len(late) else np.array([], dtype=object)
    parts.append(_frame(late["ts"].to_numpy(), "gap", names,
                        "first deployment after " + pd.Series(days[after], dtype=np.int64).astype(str)
                        + " days without one (" + pd.Series(names, dtype=object) + ")"))
    batches = current.prs_per_deployment()
    many = batches[batches["prs"] >= defaults.ANNOTATION_MANY_PRS]
    names = services[many["service"].to_numpy()] if len(many) else np.array([], dtype=object)
    parts.append(_frame(many["ts"].to_numpy(), "batch", names,
                        "deployment of " + many["prs"].astype(str).reset_index(drop=True) + " PRs ("
                        + pd.Series(names, dtype=object) + ")"))
    return pd.concat(parts, ignore_index=True).sort_values("at_ns", kind="stable", ignore_index=True)


def as_frame(stored) -> pd.DataFrame:
    """Stored annotations (``metrics.store.annotations.Annotation``) as an annotations frame (kind "note")."""
    if not stored:
        return empty()
    return pd.DataFrame({"at_ns": np.array([a.at_ns for a in stored], dtype=np.int64),
                         "kind": np.full(len(stored), "note", dtype=object),
                         "service": np.array([a.service for a in stored], dtype=object),
                         "text": np.array([a.text for a in stored], dtype=object),
                         "author": np.array([a.author for a in stored], dtype=object)})


def shown_annotations(stored, automatic: pd.DataFrame, services=None) -> pd.DataFrame:
    """The annotations a view shows, oldest first: the stored ones (``stored``) of every service or of
    one in ``services`` (None: the view is not narrowed, every one), and the automatic ones."""
    notes = as_frame(stored)
    if services is not None:
        notes = notes[(notes["service"] == "") | notes["service"].isin(list(services))]
    both = pd.concat([notes, automatic], ignore_index=True) if len(notes) else automatic
    return both.sort_values("at_ns", kind="stable", ignore_index=True)
