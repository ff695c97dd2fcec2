"""Parquet files of events (``python -m metrics export DATASET --parquet FILE``, or another engine's
with the same columns), read back through the validation every event file goes through."""
from ....registry.source import SourceSpec


def parquet_reader():
    """The Parquet files' reader (it takes no option); its module (pyarrow) is imported when a file
    is read, not when the source is declared."""
    from .reader import read_parquet_file
    return read_parquet_file


SOURCE = SourceSpec(
    name="parquet", title="Exported events (Parquet)", reader=parquet_reader,
    reads="a Parquet file of events: `.venv/bin/python -m metrics export DATASET --parquet FILE`'s, or any with the "
          "columns above (`ts` a timestamp, `metric_value` a number, the rest text)",
    describe="every row, validated as a canonical file's (a naive `ts` is read as UTC)",
)
