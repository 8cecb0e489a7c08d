"""Which id each output row carries, and which input columns travel with it (`run --id-column`,
`run --carry`).

Every output row names its input row in `original_lhub_id`. By default that is the row's
`lhub_id` when it has one (the platform sets it on every row) and otherwise its position (from 1,
blank lines counted, see `runtime.tables`). `--id-column NAME` takes the id from the column NAME
instead, as the table gives it (CSV cells are text; a JSON number stays a number; any other JSON
value becomes its JSON text). A row with no value in that column (absent, null or blank text)
cannot be correlated by the caller's id: it gets an error row saying so, correlated by its
position.

`--carry COL,...` copies those input columns into every output row of their input row, named
`input.COL` so that a carried column can never be taken for, or overwrite, a column of the
action's output (`input.subject` beside a record's own `subject`). A carried column a row does not
have is null (an empty CSV cell), and so are the carried columns of a row that could not be read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.tables import InputRow, LhubId

#: Carried columns are written as this prefix + the input column's name.
CARRY_PREFIX = "input."


@dataclass(frozen=True)
class Correlation:
    """How output rows are tied to input rows: the id column (None: the default) and the input
    columns carried into each output row."""

    id_column: str | None = None
    carry: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        """True when rows pass through as the table reader numbered them."""
        return self.id_column is None and not self.carry

    def describe(self) -> dict[str, Any] | None:
        """What a resume journal records, so a resumed run cannot switch ids half-way; None for
        the default."""
        if self.is_default:
            return None
        return {"id_column": self.id_column, "carry": list(self.carry)}

    def apply(self, rows: Iterable[InputRow]) -> Iterator[InputRow]:
        """`rows` with their ids and carried columns set (unchanged for the default)."""
        if self.is_default:
            yield from rows
            return
        for row in rows:
            yield self._one(row)

    def _one(self, row: InputRow) -> InputRow:
        carried = (
            {CARRY_PREFIX + name: (row.values or {}).get(name) for name in self.carry}
            if self.carry
            else None
        )
        if self.id_column is None or row.values is None:
            lhub_id = row.lhub_id if self.id_column is None else row.position
            return dataclasses.replace(row, lhub_id=lhub_id, carried=carried)
        given = id_value(row.values.get(self.id_column))
        if given is None:
            return dataclasses.replace(
                row,
                lhub_id=row.position,
                values=None,
                error=(
                    f"the id column {self.id_column!r} has no value in this row (row "
                    f"{row.position} of the table): its output is correlated by that position"
                ),
                carried=carried,
            )
        return dataclasses.replace(row, lhub_id=given, carried=carried)


def id_value(value: object) -> LhubId:
    """An id cell as `original_lhub_id` holds it; None when the cell holds no id."""
    if value is None or isinstance(value, bool):
        return None if value is None else orjson.dumps(value).decode()
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return orjson.dumps(value).decode()


def parse_carry(values: Sequence[str]) -> tuple[str, ...]:
    """The carried column names from `--carry` options (each one name or a comma list).

    Raises `ConfigurationError` for an empty name or a name given twice.
    """
    names: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip()
            if not name:
                raise ConfigurationError(f"--carry takes COLUMN[,COLUMN...], got {value!r}")
            if name in names:
                raise ConfigurationError(f"--carry names the column {name!r} twice")
            names.append(name)
    return tuple(names)


def parse_id_column(value: str | None) -> str | None:
    """The `--id-column` name; raises `ConfigurationError` for a blank one."""
    if value is None:
        return None
    if not value.strip():
        raise ConfigurationError("--id-column takes a column name")
    return value
