"""Text columns as integer codes into their distinct texts (``Coded``), and validated events held
that way (``CodedEvents``): each text column is factorized once, from the reader (pyarrow's
dictionary, a categorical) to the tables, and every check, the duplicate search and the pairing
read the codes, never the strings of every row."""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import schema as s
from ..tables import EventTables, tables_from_codes

TEXT = np.dtypes.StringDType()
KEY_LIMIT = 1 << 62                  # a row key stays below this (int64, with room for one more step)
CODE = np.int32                      # a code: 4 bytes a row (a file has fewer than 2**31 rows)


class Coded(NamedTuple):
    """A text column: ``codes`` (one per row) index ``texts`` (distinct; unused ones may stay)."""

    codes: np.ndarray
    texts: np.ndarray

    def text(self) -> np.ndarray:
        """Each row's text (an object array)."""
        return self.texts[self.codes]

    def code(self, name: str) -> int:
        """The code of text ``name``; -1 (no row's) when the column has no such text."""
        found = np.flatnonzero(self.texts == name)
        return int(found[0]) if len(found) else -1

    def is_in(self, *names) -> np.ndarray:
        """Whether each row's text is one of ``names`` (the test runs once per distinct text)."""
        return np.isin(self.texts, np.asarray(names, dtype=object))[self.codes]

    def take(self, rows) -> "Coded":
        """The rows ``rows`` (a mask or positions) of the column."""
        return Coded(self.codes[rows], self.texts)

    def put(self, rows, values: "Coded") -> "Coded":
        """The column with ``rows`` (a mask) holding ``values`` (one per selected row)."""
        codes, texts = pd.factorize(np.concatenate([self.texts, values.texts]))
        out = codes.astype(CODE)[self.codes]
        out[rows] = codes[len(self.texts) + values.codes]
        return Coded(out, np.asarray(texts, dtype=object))

    def fill(self, rows, name: str) -> "Coded":
        """The column with ``rows`` (a mask) holding the text ``name``."""
        return self.put(rows, Coded(np.zeros(int(np.count_nonzero(rows)), dtype=np.intp), np.array([name], dtype=object)))


def coded(column: pd.Series, lower: bool = False) -> Coded:
    """A raw column as stripped text ("" for missing), lower-cased when asked, in codes: a
    categorical's own codes, else one factorization; the string work runs once per distinct value."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        raw, uniques = column.cat.codes.to_numpy(), column.cat.categories.to_numpy(dtype=object)
    else:
        raw, uniques = pd.factorize(column, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object)
    given = pd.Series(uniques, dtype=object).astype(str)          # pandas' text: the string work runs in pyarrow
    texts = given.str.strip()
    if lower:
        texts = texts.str.lower()
    if pd.api.types.infer_dtype(uniques, skipna=False) == "string" and (texts == given).all():
        return _with_empty(raw, uniques)                          # clean already: the texts are distinct
    texts = texts.to_numpy(dtype=object)
    codes, distinct = pd.factorize(np.append(texts, ""))         # code -1 (missing) takes the last: ""
    return Coded(codes.astype(CODE)[raw], np.asarray(distinct, dtype=object))


def _with_empty(raw: np.ndarray, texts: np.ndarray) -> Coded:
    """Codes ``raw`` into distinct ``texts``, the missing ones (-1) made the code of ""."""
    empty = np.flatnonzero(texts == "")
    if not len(empty):
        texts, empty = np.append(texts, ""), [len(texts)]
    return Coded(np.where(raw >= 0, raw, empty[0]).astype(CODE), texts)


def plain(column) -> Coded:
    """A column (texts, times or numbers) as it is in codes: no clean-up; a missing value is a
    value of its own."""
    codes, values = pd.factorize(column, use_na_sentinel=False)
    return Coded(codes.astype(CODE), np.asarray(values, dtype=object))


def concat(columns: list[Coded]) -> Coded:
    """Columns one after the other, their texts merged (still distinct)."""
    if not columns:
        return Coded(np.zeros(0, dtype=CODE), np.array([""], dtype=object))
    codes, texts = pd.factorize(np.concatenate([c.texts for c in columns]))
    codes = codes.astype(CODE)
    offsets = np.cumsum([0] + [len(c.texts) for c in columns[:-1]])
    return Coded(np.concatenate([codes[o + c.codes] for o, c in zip(offsets, columns)]), np.asarray(texts, dtype=object))


def row_keys(columns: list[Coded]) -> np.ndarray:
    """One int64 per row, equal for two rows exactly when all ``columns`` are: the codes in mixed
    radix, renumbered (one hash of int64s) whenever the next column would overflow."""
    n = len(columns[0].codes) if columns else 0
    key, size = np.zeros(n, dtype=np.int64), 1
    for column in columns:
        width = max(len(column.texts), 1)
        if size > KEY_LIMIT // width:
            key, uniques = pd.factorize(key)
            key, size = key.astype(np.int64), max(len(uniques), 1)
        key = key * width + column.codes
        size *= width
    return key


def duplicated(columns: list[Coded]) -> np.ndarray:
    """Whether each row repeats an earlier row in every one of ``columns``."""
    return pd.Index(row_keys(columns)).duplicated(keep="first")


def hash_rows(columns: list) -> np.ndarray:
    """A 64-bit hash of each row of ``columns`` (``Coded``, each distinct text hashed once, or
    arrays of numbers; pandas' ``hash_array``), the columns combined in their order."""
    hashed = np.full(len(columns[0].codes) if isinstance(columns[0], Coded) else len(columns[0]), 0x345678, dtype=np.uint64)
    for column in columns:
        if isinstance(column, Coded):
            one = pd.util.hash_array(np.asarray(column.texts, dtype=object), categorize=False)[column.codes]
        else:
            one = pd.util.hash_array(np.asarray(column))
        hashed = (hashed ^ one) * np.uint64(1000003)
    return hashed


def repeated(columns: list) -> np.ndarray:
    """``duplicated`` of ``columns`` (``Coded``, or arrays of numbers) without a hash table of every
    row: the rows' 64-bit hashes (``row_hashes``) sorted, and only the rows whose hash occurs twice
    compared exactly, on their codes (a row and its repeat hash alike, so both are compared)."""
    hashed = hash_rows(columns)
    ordered = np.sort(hashed)
    twice = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    out = np.zeros(len(hashed), dtype=bool)
    if len(twice):
        rows = np.flatnonzero(np.isin(hashed, twice))
        out[rows] = duplicated([c.take(rows) if isinstance(c, Coded) else plain(c[rows]) for c in columns])
    return out


@dataclass
class CodedEvents:
    """Validated events (``normalize``'s frame) held as columns: ``ts`` int64 ns UTC,
    ``value`` float (the metric_value), ``text[column]`` a ``Coded`` for every text column; and
    where each came from, for the report: its record ``numbers`` and ``origin`` (an index into
    ``origins``, the (source, unit) of each file: ("events.csv", "line"))."""

    ts: np.ndarray
    value: np.ndarray
    text: dict
    numbers: np.ndarray
    origin: np.ndarray
    origins: list

    def __len__(self) -> int:
        return len(self.ts)

    def take(self, rows) -> "CodedEvents":
        """The events ``rows`` (a mask or positions)."""
        return CodedEvents(self.ts[rows], self.value[rows], {c: t.take(rows) for c, t in self.text.items()},
                           self.numbers[rows], self.origin[rows], self.origins)

    def keep(self, rows) -> "CodedEvents":
        """Only the events ``rows`` (a mask or positions), in place and a column at a time (two
        copies of the events are never alive): the events themselves."""
        self.ts, self.value = self.ts[rows], self.value[rows]
        for c in list(self.text):
            self.text[c] = self.text[c].take(rows)
        self.numbers, self.origin = self.numbers[rows], self.origin[rows]
        return self

    def labels(self, rows=slice(None)) -> np.ndarray:
        """The report's label of events ``rows``: "line 7", "record 3"."""
        units = np.asarray([f"{unit} " for _, unit in self.origins], dtype=TEXT)
        numbers = np.asarray(self.numbers[rows]).astype(TEXT)
        return np.strings.add(units[self.origin[rows]], numbers).astype(object)

    def sources(self, rows=slice(None)) -> np.ndarray:
        """The source (file name) of events ``rows``."""
        return np.asarray([name for name, _ in self.origins], dtype=object)[self.origin[rows]]

    def frame(self) -> pd.DataFrame:
        """The events as the canonical event frame (METRICS.md section 1)."""
        columns = {"ts": pd.Series(self.ts.view("datetime64[ns]")).dt.tz_localize("UTC"), "metric_value": self.value}
        columns.update({c: pd.Series(self.text[c].text(), dtype=object) for c in s.TEXT_COLUMNS})
        return pd.DataFrame(columns)[list(s.COLUMNS)]

    def tables(self) -> EventTables:
        """``tables_from_frame(self.frame())``, from the codes: the strings of the built-in kinds'
        events are never made (those of other kinds are kept as the frame's rows)."""
        tables = tables_from_codes(self.ts, self.value, {c: tuple(self.text[c]) for c in s.TEXT_COLUMNS})
        if tables.other is not None:
            tables.other = self.take(~self.text["kind"].is_in(*s.BUILTIN_KINDS)).frame()
        return tables

    @classmethod
    def concat(cls, parts: list["CodedEvents"], drain: bool = False) -> "CodedEvents":
        """Events of several files one after the other (origins kept apart). ``drain``: each
        column of the parts is let go once joined (the parts are left empty), so the events are
        not held twice."""
        origins, shifted = [], []
        for part in parts:
            shifted.append(part.origin + len(origins))
            origins += part.origins

        def joined(name: str, join=np.concatenate):
            """The parts' column ``name`` (an attribute, or a text column) one after the other."""
            columns = [p.text[name] if name in s.TEXT_COLUMNS else getattr(p, name) for p in parts]
            for p in parts if drain else ():
                if name in s.TEXT_COLUMNS:
                    p.text[name] = None
                else:
                    setattr(p, name, None)
            return join(columns)

        text = {c: joined(c, concat) for c in s.TEXT_COLUMNS}
        return cls(joined("ts"), joined("value"), text, joined("numbers"), np.concatenate(shifted), origins)
