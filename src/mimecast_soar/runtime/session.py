"""One run of an action: connection → client → resolver → runner → sink.

`run_to_sink` is what the CLI, the demo and the platform entry share; `run_action` is the
library form that returns the output rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.actions.spec import ActionSpec, Row
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.paging import PullStart
from mimecast_soar.runtime.resolve import RowResolver, check_settings
from mimecast_soar.runtime.runner import ProgressSink, RowSink, RunSummary, TableRunner
from mimecast_soar.runtime.tables import InputRow
from mimecast_soar.runtime.templates import RenderLimits, TemplateRenderer

if TYPE_CHECKING:
    # Annotations only: anyio comes with the runner.
    import threading

    import anyio

    from mimecast_soar.api import MimecastClient


def as_input_rows(rows: Iterable[Mapping[str, Any] | InputRow]) -> Iterable[InputRow]:
    """Plain dict rows as `InputRow`s: `lhub_id` from the row, else numbered from 1."""
    for ordinal, row in enumerate(rows, start=1):
        if isinstance(row, InputRow):
            yield row
        else:
            yield InputRow(lhub_id=row.get("lhub_id", ordinal), values=dict(row))


async def run_to_sink(
    spec: ActionSpec,
    rows: Iterable[InputRow],
    sink: RowSink,
    *,
    connection: Connection,
    settings: Mapping[str, str | None],
    window: BatchWindow,
    concurrency: int = 8,
    client: MimecastClient | None = None,
    progress: ProgressSink | None = None,
    on_notice: Callable[[str], None] | None = None,
    stop: anyio.Event | None = None,
    on_row_start: Callable[[], None] | None = None,
    interrupt: threading.Event | None = None,
    files_dir: Path | None = None,
    first_pull: PullStart | None = None,
) -> RunSummary:
    """Run `spec` over `rows`, writing output rows to `sink`. Raises only before any call.

    Setting `stop` starts no further row (see `TableRunner`); cancelling the call after that
    still writes what finished. Setting `interrupt` (from a signal handler) stops a template
    while it renders; set `stop` with it. `files_dir` is where actions that download files
    write them (None: such an action gives each row an error saying no folder was given).
    `first_pull` is where the first row's record pull goes on (a resumed run, `runtime.paging`).
    """
    from mimecast_soar.api import MimecastClient

    check_settings(spec, settings)
    redactor = connection.redactor()
    notices: list[str] = []

    def notice(text: str) -> None:
        clean = redactor(text)
        notices.append(clean)
        if on_notice is not None:
            on_notice(clean)

    resolver = RowResolver.build(
        spec,
        settings,
        renderer=TemplateRenderer(
            limits=RenderLimits(connection.template_deadline_seconds, interrupt),
            secret_names=connection.secret_reference_names(),
        ),
        reference_values=connection.template_context(),
    )

    async def go(active: MimecastClient) -> RunSummary:
        context = spec.context(active, window, notice, files_dir)
        runner = TableRunner(
            spec,
            context,
            resolver,
            sink,
            concurrency=concurrency,
            redactor=redactor,
            progress=progress,
            stop=stop,
            on_row_start=on_row_start,
            first_pull=first_pull,
        )
        summary = await runner.run(rows)
        summary.notices = notices
        return summary

    if client is not None:
        return await go(client)
    async with MimecastClient(
        connection.client_settings(),
        redactor=redactor,
        on_notice=notice,
    ) as owned:
        return await go(owned)


class _ListSink:
    def __init__(self) -> None:
        self.rows: list[tuple[int | str | None, Row]] = []

    def write(self, lhub_id: int | str | None, row: dict[str, Any]) -> None:
        self.rows.append((lhub_id, row))


async def run_action(
    action: str | ActionSpec,
    rows: Iterable[Mapping[str, Any] | InputRow],
    *,
    connection: Connection,
    settings: Mapping[str, str | None] | None = None,
    window: BatchWindow | None = None,
    concurrency: int = 8,
    on_notice: Callable[[str], None] | None = None,
    files_dir: Path | None = None,
) -> list[tuple[int | str | None, Row]]:
    """Run an action over rows and return `(original_lhub_id, output row)` pairs in order."""
    spec = action if isinstance(action, ActionSpec) else get_action(action)
    sink = _ListSink()
    await run_to_sink(
        spec,
        as_input_rows(rows),
        sink,
        connection=connection,
        settings=settings or {},
        window=window or BatchWindow.last_hours(24, datetime.now(UTC)),
        concurrency=concurrency,
        on_notice=on_notice,
        files_dir=files_dir,
    )
    return sink.rows
