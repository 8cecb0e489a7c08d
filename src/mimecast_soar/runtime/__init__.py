"""The table runtime: tables in and out, the connection, sandboxed templates, the batch window.

This layer knows tables, templates and files, and nothing about Mimecast paths or payloads:

- `tables`: `read_table` / `read_table_stream` stream `InputRow`s from JSONL, CSV or a part folder;
- `writers`: `open_writer` gives a `RowWriter` for `jsonl`, `devo` result lines or `csv`;
- `connection`: `load_connection` / `Connection.from_mapping` read and validate a connection;
- `templates`: `TemplateRenderer` renders Jinja inputs in a bounded sandbox;
- `window`: `batch_window` decides the default time window of a run;
- `progress`: `make_progress` gives a live display on a terminal, silence elsewhere.
"""

from mimecast_soar.runtime.connection import Connection, load_connection
from mimecast_soar.runtime.progress import (
    NullProgress,
    ProgressReporter,
    RichProgress,
    count_rows,
    make_progress,
)
from mimecast_soar.runtime.tables import (
    InputRow,
    LhubId,
    read_table,
    read_table_stream,
    table_source,
)
from mimecast_soar.runtime.templates import CompiledTemplate, TemplateRenderer, build_context
from mimecast_soar.runtime.window import batch_window
from mimecast_soar.runtime.writers import RowWriter, open_writer

__all__ = [
    "CompiledTemplate",
    "Connection",
    "InputRow",
    "LhubId",
    "NullProgress",
    "ProgressReporter",
    "RichProgress",
    "RowWriter",
    "TemplateRenderer",
    "batch_window",
    "build_context",
    "count_rows",
    "load_connection",
    "make_progress",
    "open_writer",
    "read_table",
    "read_table_stream",
    "table_source",
]
