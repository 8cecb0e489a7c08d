"""`mimecast-soar devo exec ACTION`: an action run natively from the platform's variables and files.

The SDK shim's contract (docs/devo-runtime-contract.md §2): the same environment variables, the
same part-file input folder, the same result lines correlated by `original_lhub_id`. This module
is the platform adapter: the environment is read once (`PlatformEnv`), the calls go through the
platform's throttle, and the run itself is the CLI's (`runtime.job.run_job`, the `TableRunner`),
which repairs the shim's defects:

- every input row keeps its correlation (a missing column is a correlated error row);
- templates (`___x` texts) are rendered here, in the runtime's sandbox, once per row;
- errors are one sentence, never a traceback or the row's secrets;
- rows run concurrently (`__lh_multithread_count`) with output in input order;
- calls are spaced by `time_between_consecutive_requests_milliseconds`;
- `__lh_ssl_verify` and `socks_proxy` are honoured; the batch window never falls back to 1970.

The exit status is 0 whenever every input row got its rows (the platform reads errors from the
rows), 1 only when some row got none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import IO

from mimecast_soar.actions import get_action
from mimecast_soar.actions.spec import error_row
from mimecast_soar.devo.platform_env import INPUT_FOLDER, PlatformEnv, setting_variable
from mimecast_soar.devo.throttle import Throttle, ThrottledClient
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.files import open_private_text
from mimecast_soar.runtime.job import Job, run_job
from mimecast_soar.runtime.resolve import check_settings
from mimecast_soar.runtime.settings_check import (
    SettingError,
    check_columns_and_values,
    peek_columns,
)
from mimecast_soar.runtime.tables import InputRow, read_table
from mimecast_soar.runtime.writers import open_writer
from mimecast_soar.safetext import printable


def input_rows(folder: Path) -> Iterator[InputRow]:
    """The rows of the part file in `folder`; none when the folder has no part file."""
    if not folder.is_dir():
        raise ConfigurationError(f"{INPUT_FOLDER} names {folder}, which is not a folder")
    if not any(p.name.startswith("part") and p.is_file() for p in folder.iterdir()):
        return iter(())  # the shim too outputs nothing for a folder without a part file
    return read_table(folder)


def exec_action(action: str, env: Mapping[str, str], stderr: IO[str]) -> int:
    """Run `action` as the platform would, from `env`; returns the exit status.

    Raises `ConfigurationError` (one line, before any call) for a wrong variable or a missing
    required input. Returns 0 whenever every input row got its output rows, errors included (the
    platform reads them from the rows; a fatal stop, e.g. bad credentials, still writes an error
    row for every row), and 1 only when some input row got none.
    """
    try:
        spec = get_action(action)
    except KeyError as error:
        raise ConfigurationError(str(error.args[0])) from None
    platform = PlatformEnv.read(spec, env)
    check_settings(
        spec, platform.settings, how_to_give=lambda item: f"the variable {setting_variable(item)}"
    )
    rows, columns = peek_columns(input_rows(platform.input_folder))
    connection = platform.connection
    try:
        check_columns_and_values(
            spec, platform.settings, columns, connection=connection, table_format="jsonl"
        )
    except SettingError as error:
        # The platform reads errors from rows: one per input row, nothing sent, status 0.
        return _refuse_rows(rows, platform.output_file, error.message, stderr)
    redactor = connection.redactor()

    def say(text: str) -> None:
        print(printable(redactor(text)), file=stderr)

    if connection.tls_warning:
        say(connection.tls_warning)

    def client() -> AbstractAsyncContextManager[ThrottledClient]:
        return ThrottledClient(
            connection.client_settings(),
            throttle=Throttle(platform.throttle_seconds),
            redactor=redactor,
            on_notice=say,
        )

    job = Job(
        spec,
        connection,
        platform.settings,
        platform.window,
        output=str(platform.output_file),
        fmt="devo",
        concurrency=platform.concurrency,
        keep_journal=False,
        files_dir=platform.files_dir,
    )
    outcome = run_job(job, rows, say=say, client=client)
    for line in outcome.report(spec.name):
        say(line)
    return outcome.platform_exit_status()


def _refuse_rows(rows: Iterator[InputRow], target: Path, message: str, stderr: IO[str]) -> int:
    """Answer every input row with the error of a setting wrong for all rows (nothing sent)."""
    count = 0
    with open_private_text(target, "the output file") as stream:
        writer = open_writer("devo", stream)
        try:
            for row in rows:
                writer.write(row.lhub_id, error_row(message))
                count += 1
        finally:
            writer.close()
    print(printable(f"error: {message} ({count} error rows written, nothing sent)"), file=stderr)
    return 0
