"""How an action is declared: its inputs, its Mimecast endpoints and the shape of its output rows.

An `ActionSpec` is data. The CLI, the platform bundle, the manifest and the docs all read it;
nothing else declares an action. `execute` turns one row's resolved input values into output rows
(an async iterator, so a log pull of a million records streams); `run_row` wraps it with the
error policy every caller shares: an input or API error becomes one error row, a fatal error
propagates so the runner can stop the run.

A spec names the endpoints it calls (`endpoints`) and its executor calls them only through the
context (`context.call`, `context.paginate`), which refuses any other endpoint and passes each
endpoint's own `mutating` to the client: what a call may retry follows from the declaration.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mimecast_soar.actions.values import BatchWindow
from mimecast_soar.api.credentials import api_version as credentials_version
from mimecast_soar.api.endpoints import Endpoint
from mimecast_soar.errors import InvalidInputError, MimecastError, MimecastSoarError

if TYPE_CHECKING:
    from mimecast_soar.api import MimecastClient, MimecastResponse, Pagination
    from mimecast_soar.api.download import Downloaded

Row = dict[str, Any]


class InputKind(StrEnum):
    """How the platform supplies an input: a column of the parent table, a template, a setting."""

    COLUMN = "column"
    JINJA = "jinja"
    PARAM = "param"


class OutputShape(StrEnum):
    """The three output forms of docs/integration-spec.md §3."""

    SINGLE = "single"  # one row: {"has_error", "error", "result": payload}
    RECORDS = "records"  # one row per record, fields merged; `noResults` when there are none
    RAW = "raw"  # the Mimecast response object merged after has_error/error


@dataclass(frozen=True)
class InputSpec:
    """One input of an action, as the Devo page shows it and as our runtime treats it."""

    id: str
    label: str
    description: str
    kind: InputKind
    #: What the Devo page's form marks as required (the platform's UI flag).
    required: bool = False
    #: The value used when the input is empty, as text (`"true"`, `"100"`, `"all"`).
    default: str | None = None
    #: Allowed values for a select.
    options: tuple[str, ...] = ()
    #: What an empty value means when there is no textual default ("the batch start").
    empty_means: str | None = None
    #: `bool`, `int`, `text`, `time`, `choice`, `json`: for the manifest and the platform types.
    value_type: str = "text"
    #: An input of our own on one of the Devo page's actions (docs/integration-spec.md §4,
    #: origin `ours`). Every input of an action of our own is ours anyway.
    extra: bool = False
    #: The Devo page's help text where `description` corrects it (docs/integration-spec.md §7).
    page_description: str | None = None
    #: Bounds of an `int` input (checked per row and, for a value fixed for the run, up front).
    minimum: int = 1
    maximum: int | None = None

    @property
    def needs_value(self) -> bool:
        """True when empty is not valid: no default and no meaning for empty."""
        return self.required and self.default is None and self.empty_means is None


class UndeclaredEndpointError(LookupError):
    """An executor called an endpoint its spec does not declare (a bug in the spec)."""


class ActionContext(Protocol):
    """What an action may use while it runs: its endpoints, the batch window, a notice line."""

    @property
    def window(self) -> BatchWindow: ...

    @property
    def api_version(self) -> str:
        """The connection's Mimecast API: `"1.0"` (HMAC keys) or `"2.0"` (OAuth client).

        Some request details are spelt differently per version (docs/mimecast-api.md §3).
        """
        ...

    async def call(self, endpoint: Endpoint, data: list[Any]) -> MimecastResponse:
        """One call of a declared endpoint, retried as its `mutating` flag allows."""

    def paginate(
        self,
        endpoint: Endpoint,
        data: list[Any],
        *,
        page_size: int | None = None,
        max_records: int | None = None,
    ) -> Pagination:
        """The records of a declared list endpoint, page by page (at most `max_records`)."""

    def notice(self, text: str) -> None:
        """Report something a person should know (a capped pull) on stderr, not in a row."""

    async def download(
        self, endpoint: Endpoint, data: list[Any], *, name: str, server_name: bool = True
    ) -> Downloaded:
        """The file a declared endpoint answers, written into the run's files folder.

        `name` is the file name when the server gives none (or `server_name` is False); the
        runtime chose the folder. Raises `InvalidInputError` when the run has no files folder.
        """


@dataclass
class SimpleContext:
    """A plain `ActionContext` over one client, allowing the `endpoints` of one spec."""

    client: MimecastClient
    window: BatchWindow
    endpoints: tuple[Endpoint, ...] = ()
    on_notice: Callable[[str], None] = field(default=lambda _text: None)
    #: Where downloaded files go (the runtime decides: `run --files-dir`, the platform's folder).
    files_dir: Path | None = None

    @property
    def api_version(self) -> str:
        """The API version of the client's credentials (read-only)."""
        return credentials_version(self.client.settings.credentials)

    def _declared(self, endpoint: Endpoint) -> Endpoint:
        if endpoint not in self.endpoints:
            raise UndeclaredEndpointError(
                f"{endpoint.path} is not among the endpoints the action declares"
            )
        return endpoint

    async def call(self, endpoint: Endpoint, data: list[Any]) -> MimecastResponse:
        """`MimecastClient.call` of a declared endpoint, with the endpoint's `mutating`."""
        declared = self._declared(endpoint)
        return await self.client.call(declared.path, data, mutating=declared.mutating)

    def paginate(
        self,
        endpoint: Endpoint,
        data: list[Any],
        *,
        page_size: int | None = None,
        max_records: int | None = None,
    ) -> Pagination:
        """`MimecastClient.paginate` of a declared list endpoint.

        Pages are the endpoint's page size, smaller when `page_size` or `max_records` asks for
        fewer records (a pull capped at 20 asks for 20, not 500).
        """
        declared = self._declared(endpoint)
        if declared.page_size is None:
            raise UndeclaredEndpointError(f"{declared.path} is not a paged list endpoint")
        size = declared.page_size
        for wanted in (page_size, max_records):
            if wanted is not None:
                size = min(size, max(wanted, 1))
        return self.client.paginate(
            declared.path,
            data,
            records_key=declared.records_key,
            page_size=size,
            max_records=max_records,
        )

    def notice(self, text: str) -> None:
        self.on_notice(text)

    async def download(
        self, endpoint: Endpoint, data: list[Any], *, name: str, server_name: bool = True
    ) -> Downloaded:
        """`MimecastClient.download` of a declared endpoint into `files_dir`."""
        declared = self._declared(endpoint)
        if self.files_dir is None:
            raise InvalidInputError(
                "this run has no folder for downloaded files (give run --files-dir DIR)"
            )
        return await self.client.download(
            declared.path, data, into=self.files_dir, name=name, server_name=server_name
        )


Executor = Callable[[ActionContext, Mapping[str, Any]], AsyncIterator[Row]]


@dataclass(frozen=True)
class ActionSpec:
    """One action: identity, the Mimecast endpoints it calls, inputs and how rows are produced."""

    id: str
    name: str
    description: str
    #: Every endpoint `execute` calls (through its context, which refuses any other).
    endpoints: tuple[Endpoint, ...]
    output: OutputShape
    inputs: tuple[InputSpec, ...]
    execute: Executor = field(repr=False, compare=False)
    #: An action of our own: not on the Devo page.
    extra: bool = False
    #: The Devo page's summary where `description` corrects it (docs/integration-spec.md §7).
    page_description: str | None = None

    def __post_init__(self) -> None:
        if not self.endpoints:
            raise ValueError(f"action {self.id} declares no endpoint")

    @property
    def mutating(self) -> bool:
        """True when the action changes state: any of its endpoints does."""
        return any(endpoint.mutating for endpoint in self.endpoints)

    def context(
        self,
        client: MimecastClient,
        window: BatchWindow,
        on_notice: Callable[[str], None] | None = None,
        files_dir: Path | None = None,
    ) -> SimpleContext:
        """A context over `client` that allows exactly this action's endpoints."""
        if on_notice is None:
            return SimpleContext(
                client=client, window=window, endpoints=self.endpoints, files_dir=files_dir
            )
        return SimpleContext(
            client=client,
            window=window,
            endpoints=self.endpoints,
            on_notice=on_notice,
            files_dir=files_dir,
        )

    def input(self, input_id: str) -> InputSpec:
        """The input with this id."""
        for spec in self.inputs:
            if spec.id == input_id:
                return spec
        raise KeyError(input_id)

    def inputs_of(self, kind: InputKind) -> tuple[InputSpec, ...]:
        """The inputs of one kind, in declaration order."""
        return tuple(spec for spec in self.inputs if spec.kind is kind)


def error_row(message: str) -> Row:
    """A failure row: one clear sentence, no traceback."""
    return {"has_error": True, "error": message}


def result_row(result: Any) -> Row:
    """A success row of a single-result action."""
    return {"has_error": False, "error": None, "result": result}


def record_row(record: Mapping[str, Any]) -> Row:
    """A success row carrying one record's fields after has_error/error."""
    if "has_error" not in record and "error" not in record:
        return {"has_error": False, "error": None, **record}  # the fast path of log pulls
    row: Row = {"has_error": False, "error": None}
    for key, value in record.items():
        if key not in ("has_error", "error"):
            row[key] = value
    return row


def no_results_row() -> Row:
    """The row of a records action that found nothing."""
    return {"has_error": False, "error": None, "noResults": "no results returned"}


def describe_error(error: BaseException) -> str:
    """One sentence for an error row: ours verbatim, anything unexpected by its type only."""
    if isinstance(error, MimecastSoarError):
        return error.message
    return f"internal error ({type(error).__name__}); the row was not processed"


async def run_row(
    spec: ActionSpec, context: ActionContext, values: Mapping[str, Any]
) -> AsyncIterator[Row]:
    """Run one input row through `spec`, always yielding at least one row.

    Input and API errors become an error row (after any rows already produced, so a pull that
    fails on page five keeps its first four pages). Fatal errors (`error.fatal`) propagate: the
    runner stops the run and gives every remaining row an error row naming the cause.
    """
    produced = False
    try:
        async for row in spec.execute(context, values):
            produced = True
            yield row
    except (InvalidInputError, MimecastError) as error:
        if error.fatal:
            raise
        produced = True
        yield error_row(describe_error(error))
    except MimecastSoarError:
        raise
    except Exception as error:
        produced = True
        yield error_row(describe_error(error))
    if not produced:
        yield no_results_row() if spec.output is OutputShape.RECORDS else result_row(None)
