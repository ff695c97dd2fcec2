"""The computation core: raw events -> DORA, SPACE and platform value metrics (METRICS.md).

``from metrics import *`` gives the seed documents' functions; the engine underneath is
``metrics.synthetic.generate`` / ``metrics.ingest.load_events`` -> ``metrics.tables`` ->
``metrics.analysis.analyze``.

The names below are imported on first use (``from metrics import analyze`` imports
``metrics.analysis`` then), so ``python -m metrics --help`` and the other commands load only the
modules they need: importing this package imports neither pandas nor numpy.
"""
from .lazy import names_from

_WHERE = {
    "analysis": ("Analysis", "analyze"),
    "ingest": ("LoadError", "LoadReport", "load_events", "normalize"),
    "legacy": ("compute_activity_metrics", "compute_collaboration_metrics", "compute_deployments_per_day",
               "compute_efficiency_metrics", "compute_mttr", "compute_performance_metrics", "compute_pvm_dtr",
               "compute_pvm_iar", "compute_pvm_vcr", "compute_satisfaction_metrics", "generate_events",
               "to_dataframe"),
    "compute.pvm": ("Assumptions",),
    "synthetic": ("generate",),
    "tables": ("EventTables", "frame_from_tables", "tables_from_frame"),
    "window": ("Window",),
}

__all__ = [
    "generate_events", "to_dataframe", "compute_deployments_per_day", "compute_mttr", "compute_activity_metrics",
    "compute_collaboration_metrics", "compute_satisfaction_metrics", "compute_efficiency_metrics",
    "compute_performance_metrics", "compute_pvm_vcr", "compute_pvm_iar", "compute_pvm_dtr",
    "Analysis", "analyze", "Assumptions", "EventTables", "LoadError", "LoadReport", "Window", "frame_from_tables",
    "generate", "load_events", "normalize", "tables_from_frame",
]

__getattr__ = names_from(__name__, _WHERE)


def __dir__():
    return sorted(set(globals()) | set(__all__))
