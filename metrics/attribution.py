"""Incident attribution overrides: a TOML file that pins an incident to the deployment that caused
it, or marks it as not caused by any deployment, whatever its ``deploy_id`` or the attribution
window would say.

```toml
# attribution.toml (METRICS_ATTRIBUTION, default attribution.toml in the data directory;
# python -m metrics --attribution FILE)
not_caused = ["inc-17", "inc-18"]     # incidents no deployment caused

[pin]                                 # incident id = the deployment that caused it
"inc-12" = "deploy-40"
```

The change failure rate, the failed deployment recovery time and the unattributed count follow
(``metrics.compute.dora.attribute_incidents``). A pin names a deployment as an incident's own
``deploy_id`` does (``metrics.tables.EventTables.link_keys``): its id (``shop@v1.0``), or its id
in the incident's service (``v1.0``), or the one deployment of any service with that local id.
An id the data does not hold is ignored (a filtered view may not show it); a pin to a deployment
the data does not hold (or to a local id several services have) leaves the incident unattributed,
and its drill-down row says so.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .settings_files import file_token, read_settings
from .tables import NA, EventTables

FILE_NAME = "attribution.toml"
NO_OVERRIDE, PINNED, NOT_CAUSED = 0, 1, 2        # the incidents table's ``override`` codes


class AttributionError(Exception):
    """An overrides file that cannot be used: one sentence saying why (no final period)."""


@dataclass(frozen=True)
class Overrides:
    """Incident id -> deployment id pins, and the incident ids no deployment caused."""

    pins: dict = field(default_factory=dict)
    not_caused: frozenset = frozenset()

    def __bool__(self) -> bool:
        return bool(self.pins or self.not_caused)

    def key(self) -> tuple:
        """A hashable form (caches key on it)."""
        return tuple(sorted(self.pins.items())), tuple(sorted(self.not_caused))


def attribution_path(data_dir) -> Path:
    """The overrides file: ``METRICS_ATTRIBUTION``, else ``attribution.toml`` in the data directory."""
    return Path(os.environ.get("METRICS_ATTRIBUTION") or Path(data_dir) / FILE_NAME)


def read_overrides(path, required: bool = False) -> Overrides:
    """The overrides a file holds, checked; empty when it does not exist (unless ``required``)."""
    data = read_settings(path, "the attribution overrides file", AttributionError, required)
    if data is None:
        return Overrides()
    where = f"the attribution overrides file {path}"
    unknown = sorted(set(data) - {"pin", "not_caused"})
    if unknown:
        raise AttributionError(f"{where} has an unknown key {unknown[0]!r}: write [pin] \"INCIDENT\" = \"DEPLOY\" "
                               f"and not_caused = [\"INCIDENT\", ...]")
    pins = data.get("pin", {})
    if not isinstance(pins, dict) or not all(isinstance(v, str) and v.strip() for v in pins.values()):
        raise AttributionError(f"{where}: [pin] maps incident ids to deployment ids, \"INCIDENT\" = \"DEPLOY\"")
    not_caused = data.get("not_caused", [])
    if not isinstance(not_caused, list) or not all(isinstance(v, str) and v.strip() for v in not_caused):
        raise AttributionError(f"{where}: not_caused must be a list of incident ids, [\"INCIDENT\", ...]")
    pins = {k.strip(): v.strip() for k, v in pins.items()}
    not_caused = frozenset(v.strip() for v in not_caused)
    both = sorted(set(pins) & not_caused)
    if both:
        raise AttributionError(f"{where}: incident {both[0]!r} is both pinned and not_caused")
    return Overrides(pins, not_caused)


def overrides_token(path) -> tuple:
    """A token that changes when the overrides file changes (caches key on it)."""
    return file_token(path)


def apply_overrides(tables: EventTables, overrides: Overrides) -> EventTables:
    """``tables`` with the overrides written into the incidents table: ``deploy_key`` replaced
    (a pin, resolved as an incident's link is; ``NA`` for a deployment not in the data, or for not caused) and an ``override`` code
    column (``NO_OVERRIDE``, ``PINNED``, ``NOT_CAUSED``)."""
    inc = tables.incidents
    code = np.full(len(inc), NO_OVERRIDE, dtype=np.int8)
    deploy_key = inc["deploy_key"].to_numpy().copy()
    if overrides and len(inc):
        keys = inc["key"].to_numpy()
        pinned_ids = list(overrides.pins)
        row = _rows_of(keys, tables.incident_keys(pinned_ids))
        found = row >= 0
        pins = np.asarray([overrides.pins[i] for i in pinned_ids], dtype=object)[found]
        deploy_key[row[found]] = tables.link_keys(pins, inc["service"].to_numpy()[row[found]])
        code[row[found]] = PINNED
        row = _rows_of(keys, tables.incident_keys(sorted(overrides.not_caused)))
        deploy_key[row[row >= 0]] = NA
        code[row[row >= 0]] = NOT_CAUSED
    return replace(tables, incidents=inc.assign(deploy_key=deploy_key, override=code))


def _rows_of(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The row of each ``wanted`` key in ``keys`` (-1 where it is absent or ``NA``)."""
    if not len(wanted) or not len(keys):
        return np.full(len(wanted), -1, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    pos = np.searchsorted(keys[order], wanted).clip(0, len(keys) - 1)
    hit = (wanted != NA) & (keys[order][pos] == wanted)
    return np.where(hit, order[pos], -1)
