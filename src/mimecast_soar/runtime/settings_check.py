"""Checking the settings that are the same for every row once, before the first call.

`--set limit=-1` used to give one identical error row per input row. Everything a run's settings
fix for all rows is checked here instead, with the actions' own rules (`Inputs`: the spec's
options, bounds and value types), and a wrong one stops the run before any request with one line
naming the input id and what is allowed:

- a parameter (rendered once with the reference values);
- a Jinja input whose text has no markers, or whose template reads only reference values (no
  column of the table): it renders the same for every row;
- a Column input's column, which must be a column of the table: the CSV header, or for JSONL the
  first 100 rows (JSONL rows may differ; a column missing from one row stays that row's error).

A value rendered from a secret reference value is never quoted: the error says `CONCEALED`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime

from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import ActionSpec, InputKind, InputSpec
from mimecast_soar.actions.values import is_empty, parse_time, show_value
from mimecast_soar.errors import ConfigurationError, InvalidInputError
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.resolve import conceal_value
from mimecast_soar.runtime.tables import InputRow
from mimecast_soar.runtime.templates import TemplateRenderer

#: Rows read ahead whose columns (together) stand for the table's: JSONL rows often leave out a
#: key whose value is null, so a column is refused only when none of these rows has it.
_PEEK_ROWS = 100


class SettingError(ConfigurationError):
    """A setting that is the same for every row is wrong; nothing was sent."""

    def __init__(self, message: str, *, input_id: str) -> None:
        super().__init__(message)
        self.input_id = input_id


def peek_columns(rows: Iterator[InputRow]) -> tuple[Iterator[InputRow], list[str] | None]:
    """The rows (unchanged) and the columns of the first `_PEEK_ROWS` rows, in the order first
    seen (None: no readable row among them).

    An error while reading is not raised here: it is met again, where it was before, when the
    rows are read for the run.
    """
    seen: list[InputRow] = []
    try:
        seen.extend(itertools.islice(rows, _PEEK_ROWS))
    except Exception as error:
        return itertools.chain(seen, _raising(error)), _columns_of(seen)
    return itertools.chain(seen, rows), _columns_of(seen)


def _columns_of(rows: Sequence[InputRow]) -> list[str] | None:
    readable = [row.values for row in rows if row.values is not None]
    if not readable:
        return None
    return list(dict.fromkeys(name for values in readable for name in values))


def _raising(error: Exception) -> Iterator[InputRow]:
    raise error
    yield  # a generator: raises when the run reads past the rows seen


def check_run_settings(
    spec: ActionSpec,
    settings: Mapping[str, str | None],
    rows: Iterator[InputRow],
    *,
    connection: Connection,
    table_format: str,
) -> Iterator[InputRow]:
    """Check the run's settings against the table; returns the rows to run (none consumed).

    Raises `SettingError` for the first setting that is wrong for every row.
    """
    rows, columns = peek_columns(rows)
    check_columns_and_values(
        spec, settings, columns, connection=connection, table_format=table_format
    )
    return rows


def check_columns_and_values(
    spec: ActionSpec,
    settings: Mapping[str, str | None],
    columns: Sequence[str] | None,
    *,
    connection: Connection,
    table_format: str,
) -> None:
    """`validate_settings` with the connection's reference values."""
    validate_settings(
        spec,
        settings,
        columns=columns,
        table_format=table_format,
        reference_values=connection.template_context(),
        secret_names=connection.secret_reference_names(),
    )


def validate_settings(
    spec: ActionSpec,
    settings: Mapping[str, str | None],
    *,
    columns: Sequence[str] | None,
    table_format: str = "jsonl",
    reference_values: Mapping[str, str] | None = None,
    secret_names: frozenset[str] = frozenset(),
) -> None:
    """Raise `SettingError` when a setting that does not depend on a row is wrong.

    `columns` are the table's (its header, or its first row); None when the table has no row,
    and then nothing depends on it.
    """
    if columns is None:
        return
    references = dict(reference_values or {})
    renderer = TemplateRenderer(secret_names=secret_names)
    for item in spec.inputs:
        text = settings.get(item.id)
        if is_empty(text):
            continue
        assert text is not None
        if item.kind is InputKind.COLUMN:
            _check_column(item, text.strip(), columns, table_format)
            continue
        try:
            names = renderer.names(text, input_id=item.id, label=item.label)
        except InvalidInputError as error:
            raise SettingError(error.message, input_id=item.id) from None
        if item.kind is InputKind.JINJA and not _fixed(names, references, columns):
            continue  # it reads the row: checked for each row
        try:
            value = renderer.render(text, references, input_id=item.id, label=item.label)
        except InvalidInputError:
            continue  # a template that fails to render stays each row's error, as it was
        try:
            check_value(item, value)
        except InvalidInputError as error:
            message = error.message
            if not secret_names.isdisjoint(names):
                message = conceal_value(message, value)
            raise SettingError(_sentence(item, message), input_id=item.id) from None


def check_value(item: InputSpec, value: str) -> None:
    """Raise `InvalidInputError` when `value` breaks the rules the action applies to `item`."""
    inputs = Inputs((item,), {item.id: value})
    if item.value_type == "bool":
        inputs.flag(item.id)
    elif item.value_type == "int":
        inputs.number(item.id)
    elif item.value_type == "time":
        parse_time(value, label=item.label, default=datetime.now(UTC))
    elif item.options:
        inputs.choice(item.id)


def _fixed(names: frozenset[str], references: Mapping[str, str], columns: Sequence[str]) -> bool:
    """True when a template reading `names` renders the same for every row."""
    return all(name in references and name not in columns for name in names)


def _check_column(item: InputSpec, column: str, columns: Sequence[str], table_format: str) -> None:
    if column in columns:
        return
    shown = ", ".join(columns[:30]) + (", ..." if len(columns) > 30 else "") or "none"
    where = (
        "the CSV header"
        if table_format == "csv"
        else f"any of the first {_PEEK_ROWS} rows of the input"
    )
    raise SettingError(
        f"input {item.id} ({item.label}) names the column {show_value(column)}, which is not in "
        f"{where}; its columns are: {shown}",
        input_id=item.id,
    )


def _sentence(item: InputSpec, message: str) -> str:
    """The one line of a wrong setting: the input id first, then what is allowed."""
    text = f"input {item.id}: {message}"
    if item.value_type == "int" and "at least" not in message:
        upper = f" to {item.maximum}" if item.maximum is not None else " or more"
        text += f" (allowed: a whole number from {item.minimum}{upper})"
    return text
