"""The computations of the built-in metrics, pure functions of a window's tables: DORA
(``dora.py``), SPACE (``space.py``), platform value (``pvm.py``, and its ``Assumptions``) and the
extension patterns (``extensions.py``). Each metric is declared once in ``metrics/builtin/``,
which reads these through the shared ``metrics.builtin.Context``."""
