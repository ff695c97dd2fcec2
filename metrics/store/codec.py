"""Events <-> bytes: every column of an event frame as one BLOB (times int64 ns, values float64,
each text column int32 codes plus its distinct texts), and a 64-bit hash of each event."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from .. import schema as s
from ..schema import TEXT_COLUMNS
from ..tables import ts_ns


def encode(frame: pd.DataFrame) -> dict[str, bytes]:
    """Column name -> bytes: ``ts`` int64 ns, ``metric_value`` float64, each text column int32
    codes (``c``) and its distinct texts as a JSON list (``c.texts``)."""
    out = {"ts": ts_ns(frame["ts"]).astype("<i8").tobytes(),
           "metric_value": frame["metric_value"].to_numpy(dtype="<f8").tobytes()}
    for c in TEXT_COLUMNS:
        codes, texts = pd.factorize(frame[c].astype(str), use_na_sentinel=False)
        out[c] = codes.astype("<i4").tobytes()
        out[c + ".texts"] = json.dumps([str(t) for t in texts]).encode("utf-8")
    return out


def to_columns(blobs: dict[str, bytes], count: int) -> dict:
    """``encode``'s bytes as arrays: ``ts`` int64 ns, ``metric_value`` float64, and each text
    column as (int32 codes, its distinct texts as an object array)."""
    columns = {"ts": np.frombuffer(blobs["ts"], dtype="<i8"),
               "metric_value": np.frombuffer(blobs["metric_value"], dtype="<f8").copy()}
    for c in TEXT_COLUMNS:
        texts = np.asarray(json.loads(blobs[c + ".texts"].decode("utf-8")) or [""], dtype=object)
        codes = np.frombuffer(blobs[c], dtype="<i4") if count else np.array([], dtype=np.int32)
        columns[c] = (codes, texts)
    return columns


def to_frame(columns: dict) -> pd.DataFrame:
    """The event frame of ``to_columns``' arrays."""
    out = {"ts": pd.to_datetime(columns["ts"], utc=True, unit="ns"), "metric_value": columns["metric_value"]}
    for c in TEXT_COLUMNS:
        codes, texts = columns[c]
        out[c] = texts[codes]
    return pd.DataFrame(out)[list(s.COLUMNS)]


def decode(blobs: dict[str, bytes], count: int) -> pd.DataFrame:
    """The event frame from ``encode``'s bytes."""
    return to_frame(to_columns(blobs, count))


def joined(segments: list[dict]) -> dict:
    """Several segments' ``to_columns`` as one: times and values concatenated, each text column's
    codes renumbered onto the distinct texts of all segments."""
    if len(segments) == 1:
        return segments[0]
    out = {c: np.concatenate([seg[c] for seg in segments]) for c in ("ts", "metric_value")}
    for c in TEXT_COLUMNS:
        texts = pd.unique(np.concatenate([seg[c][1] for seg in segments]))
        index = pd.Index(texts)
        out[c] = (np.concatenate([index.get_indexer(seg[c][1]).astype(np.int32)[seg[c][0]] for seg in segments]),
                  np.asarray(texts, dtype=object))
    return out


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each event (every column), as signed int64 for SQLite."""
    return pd.util.hash_pandas_object(frame[list(s.COLUMNS)], index=False).to_numpy().view(np.int64)
