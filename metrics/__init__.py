"""The computation core: raw events -> DORA, SPACE and platform value metrics (METRICS.md).

``from metrics import *`` gives the seed documents' functions; the engine underneath is
``metrics.synthetic.generate`` / ``metrics.ingest.load_events`` -> ``metrics.tables`` ->
``metrics.analysis.analyze``.
"""
from .analysis import Analysis, analyze
from .ingest import LoadError, LoadReport, load_events, normalize
from .legacy import (compute_activity_metrics, compute_collaboration_metrics, compute_deployments_per_day,
                     compute_efficiency_metrics, compute_mttr, compute_performance_metrics, compute_pvm_dtr,
                     compute_pvm_iar, compute_pvm_vcr, compute_satisfaction_metrics, generate_events, to_dataframe)
from .compute.pvm import Assumptions
from .synthetic import generate
from .tables import EventTables, frame_from_tables, tables_from_frame
from .window import Window

__all__ = [
    "generate_events", "to_dataframe", "compute_deployments_per_day", "compute_mttr", "compute_activity_metrics",
    "compute_collaboration_metrics", "compute_satisfaction_metrics", "compute_efficiency_metrics",
    "compute_performance_metrics", "compute_pvm_vcr", "compute_pvm_iar", "compute_pvm_dtr",
    "Analysis", "analyze", "Assumptions", "EventTables", "LoadError", "LoadReport", "Window", "frame_from_tables",
    "generate", "load_events", "normalize", "tables_from_frame",
]
