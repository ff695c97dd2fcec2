"""The seed documents' "Common Extension Patterns", built in (docs/metrics.md, "Extension
patterns"): deployments per developer, the daily deployment success rate and SLA compliance.
On-call burden and infrastructure cost are part of DTR and VCR (``metrics.compute.pvm``)."""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .. import defaults
from ..schema import NS_PER_MINUTE
from ..series import pct, ratio
from ..tables import NA


def developers(window_tables, team_size: int) -> dict:
    """Who a per-developer figure divides by: the distinct authors of the window's PRs (those
    created in it: ``window_tables`` is ``tables.clip``'s) when the data names any
    (``developers_from`` "authors"), else ``team_size``, the PVM assumption (``developers_from``
    "assumption"): real data without PR authors is not divided by a synthetic default team unsaid."""
    author = window_tables.prs["author"].to_numpy()
    named = np.unique(author[author >= 0])
    if len(named):
        return {"developers": int(len(named)), "developers_from": "authors"}
    return {"developers": int(team_size), "developers_from": "assumption"}


def deploys_per_developer(successful_deployments: int, developers: int) -> float | None:
    """Successful deployments in the window / developers (``developers``: the window's PR authors,
    else the team size assumed)."""
    return ratio(successful_deployments, developers)


def success_rate(deployments, successful) -> np.ndarray:
    """Per day (or per week or month of ``series.bucketed`` counts): successful / production
    deployments x 100 (NaN where there were none). The DORA tab's success-rate chart draws it."""
    deployments = np.asarray(deployments, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(deployments > 0, 100.0 * np.asarray(successful, dtype=float) / deployments, np.nan)


def sla_is_set() -> bool:
    """Whether ``METRICS_SLA_MINUTES`` sets the targets (otherwise every service has the default)."""
    return bool(os.environ.get(defaults.SLA_SETTING, "").strip())


def sla_setting() -> tuple[dict[str, float] | None, str | None]:
    """(service -> target minutes, None) from ``METRICS_SLA_MINUTES``, or (None, the sentence
    saying why the setting cannot be used)."""
    try:
        return defaults.sla_targets(os.environ.get(defaults.SLA_SETTING)), None
    except defaults.CheckError as e:
        return None, defaults.sentence(e)


def sla_compliance(incidents: pd.DataFrame, services: np.ndarray, end_ns: int, targets: dict[str, float]) -> dict:
    """SLA compliance = incidents resolved within their service's target / incidents judged x 100.

    ``incidents``: the window's incidents (``start``, ``resolved`` in ns, NA while open,
    ``service`` codes into ``services``). Judged: every resolved incident, and every open one
    whose target had passed by ``end_ns`` (a breach); an open incident still inside its target
    is not judged yet."""
    names = pd.Series(np.asarray(services, dtype=object))
    codes = incidents["service"].to_numpy()
    target = names.map(targets).fillna(targets["*"]).to_numpy(dtype=float)[codes] if len(codes) else np.array([])
    start, resolved = incidents["start"].to_numpy(), incidents["resolved"].to_numpy()
    done = resolved != NA
    minutes = np.where(done, (resolved - start) / NS_PER_MINUTE, (end_ns - start) / NS_PER_MINUTE)
    met = done & (minutes <= target)
    judged = done | (minutes > target)
    return {"sla_compliance_pct": pct(int(met.sum()), int(judged.sum())), "sla_met": int(met.sum()),
            "sla_judged": int(judged.sum()), "sla_open_breaches": int((~done & judged).sum())}
