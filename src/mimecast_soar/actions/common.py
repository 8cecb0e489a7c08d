"""Inputs and output shapes that several actions share, declared once.

The texts of Start Time, End Time, Oldest First and Page Size are the Devo page's. The helpers
turn a Mimecast response or a paginated pull into the output rows of docs/integration-spec.md §3.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from mimecast_soar.actions.spec import (
    ActionContext,
    InputKind,
    InputSpec,
    Row,
    no_results_row,
    record_row,
)

if TYPE_CHECKING:
    from mimecast_soar.api import MimecastResponse, Pagination
    from mimecast_soar.api.endpoints import Endpoint

#: The default of every Page Size input: "the number of results requested" across all pages.
DEFAULT_RECORD_CAP = 100_000
#: The largest Page Size we accept: a cap, not a page; a million-record pull streams.
MAX_RECORD_CAP = 100_000_000

START_TIME = InputSpec(
    id="start_time",
    label="Start Time",
    description=(
        "Jinja Template for the date and time of the earliest message to return (Default is "
        "Batch start time). Example: 2011-12-03T10:15:30+0000, {{start_time_column}}."
    ),
    kind=InputKind.JINJA,
    required=True,
    empty_means="the batch start time",
    value_type="time",
)
END_TIME = InputSpec(
    id="end_time",
    label="End Time",
    description=(
        "Jinja Template for the date and time of the latest message to return, (Default is "
        "Batch end time). Example: 2011-12-04T10:15:30+0000, {{end_time_column}}."
    ),
    kind=InputKind.JINJA,
    required=True,
    empty_means="the batch end time",
    value_type="time",
)
OLDEST_FIRST = InputSpec(
    id="oldest_first",
    label="Oldest First",
    # The Devo page's text has it backwards: true asks Mimecast for the oldest log first.
    description=(
        "Orders results with the oldest first when true, the most recent first when false. "
        "(Default is false)."
    ),
    page_description="Orders results with the most recent first. (Default is false).",
    kind=InputKind.PARAM,
    required=False,
    default="false",
    options=("true", "false"),
    value_type="bool",
)
PAGE_SIZE = InputSpec(
    id="page_size",
    label="Page Size",
    description=(
        "Jinja-template containing page size. The number of results requested. (Default is 100000)."
    ),
    kind=InputKind.JINJA,
    required=False,
    default=str(DEFAULT_RECORD_CAP),
    value_type="int",
    maximum=MAX_RECORD_CAP,
)


def response_error_text(response: MimecastResponse) -> str | None:
    """A sentence naming Mimecast's codes and messages, or None when the call succeeded."""
    if response.fail:
        details = "; ".join(failure.describe() for failure in response.fail)
        return f"Mimecast reported a failure: {details}"
    if response.status != 200:
        return f"Mimecast answered with status {response.status}"
    return None


def raw_row(response: MimecastResponse) -> Row:
    """The raw-response form: Mimecast's `meta`, `data`, `fail` after `has_error`/`error`."""
    error = response_error_text(response)
    row: Row = {"has_error": error is not None, "error": error}
    row["meta"] = response.raw.get("meta", response.meta)
    row["data"] = response.raw.get("data", response.data)
    row["fail"] = response.raw.get("fail", [])
    return row


async def record_rows(
    context: ActionContext, pull: Pagination, *, action_name: str, cap: int
) -> AsyncIterator[Row]:
    """One row per pulled record, `noResults` when none; says on stderr when the cap cut it."""
    count = 0
    async for record in pull:
        count += 1
        yield record_row(record)
    if count == 0:
        yield no_results_row()
    if pull.truncated:
        context.notice(
            f"{action_name}: stopped at the Page Size cap of {cap} records; more records exist"
        )


async def listed_rows(context: ActionContext, endpoint: Endpoint) -> AsyncIterator[Row]:
    """One row per object in ``data`` of an unpaged list endpoint called with no data; a
    ``fail[]`` entry raises. None at all becomes the `noResults` row in `run_row`."""
    response = await context.call(endpoint, [])
    response.raise_for_failures(endpoint.path)
    for item in response.data:
        if isinstance(item, dict):
            yield record_row(item)


def first_data(response: MimecastResponse) -> dict[str, Any]:
    """`data[0]` as an object (empty when Mimecast returned no data)."""
    if response.data and isinstance(response.data[0], dict):
        return response.data[0]
    return {}


def column_input(
    input_id: str, label: str, description: str, *, required: bool = False
) -> InputSpec:
    """A "Column Name" input: names a column of the parent table."""
    return InputSpec(
        id=input_id, label=label, description=description, kind=InputKind.COLUMN, required=required
    )
