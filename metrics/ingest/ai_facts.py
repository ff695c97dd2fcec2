"""Which pull requests a source read were AI-assisted (issue 29): the facts a reader gathers per PR,
and the ``pr_ai_assisted`` rows ``metrics.ai_rules`` makes of them under the data directory's rules.

A reader that reads PRs puts one ``pr_fact`` per PR in its result (``RawRows.facts``): the record's
number, the PR's creation time (the time its verdict takes), service, id, and what its source says
of it (commit messages, labels, author login, source branch; docs/metrics.md, "AI-assisted
delivery: the facts", says which each source gives). The reader knows no rules: whoever stores the
rows (``import``, the upload, a sync, a webhook) reads them once from the data directory
(``rules_of_data``) and calls ``with_ai_events``, so every entry path decides by the same file.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .report import RawRows

if TYPE_CHECKING:                        # the rules (numpy, pandas) are imported where they are used:
    import pandas as pd                  # the sources' declarations import this module and need neither

    from ..ai_rules import AiRules

KEYS = ("number", "ts", "service", "pr_id")        # then ``ai_rules.FACT_COLUMNS``: a PR's facts' columns


def fact_columns() -> tuple:
    """The columns of a reader's facts: ``KEYS``, then ``ai_rules.FACT_COLUMNS``."""
    from ..ai_rules import FACT_COLUMNS
    return KEYS + FACT_COLUMNS


def _lines(values) -> str:
    """The texts among ``values`` (a list or tuple; anything else holds none), one after another on
    their own lines ("" for none)."""
    if not isinstance(values, (list, tuple)):
        return ""
    return "\n".join(v for v in values if isinstance(v, str))


def pr_fact(number: int, ts, service, pr_id: str, messages=(), labels=(), author="", branch="") -> dict:
    """One PR's facts as a reader found them: ``messages`` its commit messages and ``labels`` its
    label names (lists; what is not a text is left out), ``author`` its author's login, ``branch``
    its source branch ("" where the source does not say). A label is one line (a line break in one
    becomes a space)."""
    text = lambda v: v.strip() if isinstance(v, str) else ""  # noqa: E731
    return {"number": number, "ts": ts if isinstance(ts, str) else "", "service": text(service), "pr_id": pr_id,
            "messages": _lines(messages),
            "labels": _lines([" ".join(v.split()) for v in labels if isinstance(v, str)]
                             if isinstance(labels, (list, tuple)) else ()),
            "author": text(author), "branch": text(branch)}


def facts_frame(facts: list) -> pd.DataFrame:
    """The facts of a reader's PRs (``pr_fact`` dicts) as a frame of the ``fact_columns``."""
    import pandas as pd
    columns = fact_columns()
    return pd.DataFrame(facts, columns=list(columns)) if facts else pd.DataFrame({c: [] for c in columns}, dtype=object)


def with_ai_events(raw: RawRows, rules: AiRules | None) -> RawRows:
    """``raw`` with one ``pr_ai_assisted`` row per PR of its facts that has a known fact
    (``ai_rules.ai_events`` under ``rules``), numbered by the PR's record, its facts used up (None:
    a second call adds nothing); ``raw`` as it is when ``rules`` is None."""
    if rules is None or raw.facts is None or not len(raw.facts):
        return raw if rules is None else raw._replace(facts=None)
    import numpy as np
    import pandas as pd
    from ..ai_rules import ai_events
    facts = raw.facts.reset_index(drop=True)
    events = ai_events(facts, rules)
    if not len(events):
        return raw._replace(facts=None)
    numbers = facts["number"].to_numpy()[events.index.to_numpy()]
    rows = pd.concat([raw.rows, events.reset_index(drop=True)], ignore_index=True) if len(raw.rows) else events
    return raw._replace(rows=rows.reset_index(drop=True), facts=None,
                        numbers=np.concatenate([np.asarray(raw.numbers, dtype=np.int64), numbers.astype(np.int64)]))


def rules_of_data(data_dir) -> AiRules:
    """The AI rules in force for the data directory ``data_dir``: its ``ai.toml`` (or the file
    ``METRICS_AI_RULES`` names), the defaults when there is none; ``ai_rules.AiRulesError`` of one
    sentence for a file that cannot be used."""
    from ..ai_rules import ai_settings_path, read_ai_settings
    return read_ai_settings(ai_settings_path(data_dir))
