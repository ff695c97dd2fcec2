"""``python -m metrics baselines``: the published DORA Quick Check averages the scores can be compared with."""
from __future__ import annotations

import sys

from ..benchmarks import BASELINES
from ..console import Parser


def run_baselines(argv, out=None) -> int:
    """``python -m metrics baselines``: every Quick Check baseline, its key, name and averages."""
    out = out or sys.stdout
    Parser(prog="python -m metrics baselines",
           description="The published DORA Quick Check averages the scores can be compared with (--baseline KEY, "
                       "METRICS_BASELINE).").parse_args(argv)
    print("key\tname\toverall\tlead time\tdeployment frequency\trecovery\tchange failure rate", file=out)
    for base in BASELINES.values():
        m = base.means
        print("\t".join([base.key, base.title] + [f"{m[k]:.2f}" for k in (
            "overall", "lead_time", "deployment_frequency", "failed_deployment_recovery_time", "change_failure_rate")]),
            file=out)
    return 0
