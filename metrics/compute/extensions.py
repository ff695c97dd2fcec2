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


def deploys_per_developer(successful_deployments: int, team_size: int) -> float | None:
    """Successful deployments in the window / team size (the PVM assumption)."""
    return ratio(successful_deployments, team_size)


def success_rate(deployments, successful) -> np.ndarray:
    """Per day (or per week or month of ``series.bucketed`` counts): successful / production
    deployments x 100 (NaN where there were none). The DORA tab's success-rate chart draws it."""
    deployments = np.asarray(deployments, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(deployments > 0, 100.0 * np.asarray(successful, dtype=float) / deployments, np.nan)


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
