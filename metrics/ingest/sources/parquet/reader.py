"""A Parquet file of events as raw rows: its texts as an event CSV's are (categoricals of pyarrow's
dictionary encoding), its metric_value a float column with NaN for missing (``metrics.parquet_file``),
numbered by row from 1, for the validation every event file goes through."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ....parquet_file import ParquetError, read_cells
from ...files import read_bytes
from ...report import LoadError, RawRows
from ..events.reader import categorical


def read_parquet_file(text: None, path: Path) -> RawRows:
    """Raw rows of a Parquet file of events (row N is the file's Nth); a LoadError of one sentence
    for a file that is not Parquet, is damaged, or has other columns or types."""
    path = Path(path)
    try:
        table = read_cells(read_bytes(path), str(path))
    except ParquetError as e:
        raise LoadError(str(e)) from None
    rows = pd.DataFrame({c: table.column(c).to_pandas() if c == "metric_value" else categorical(table.column(c))
                         for c in table.column_names}, index=pd.RangeIndex(table.num_rows))
    return RawRows(rows, np.arange(1, table.num_rows + 1), [], "row")


read_parquet_file.reads_path = True              # the file's bytes, read here: Parquet is not text
