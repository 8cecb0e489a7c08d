"""`mimecast-soar devo exec ACTION`: an action run natively from the platform's variables and files.

The SDK shim's contract (docs/devo-runtime-contract.md §2): the same environment variables, the
same part-file input folder, the same result lines correlated by `original_lhub_id`. It runs on
our runtime (`runtime.session.run_to_sink`, the `TableRunner`), which repairs the shim's defects:

- every input row keeps its correlation (a missing column is a correlated error row);
- templates (`___x` texts) are rendered here, in the runtime's sandbox, once per row;
- errors are one sentence, never a traceback or the row's secrets;
- rows run concurrently (`__lh_multithread_count`) with output in input order;
- calls are spaced by `time_between_consecutive_requests_milliseconds`;
- `__lh_ssl_verify` and `socks_proxy` are honoured; the batch window never falls back to 1970.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import anyio

from mimecast_soar.actions import get_action
from mimecast_soar.devo.platform_env import (
    INPUT_FOLDER,
    OUTPUT_FILE,
    action_settings,
    concurrency_from_env,
    connection_from_env,
    files_dir_from_env,
    given,
    setting_variable,
    throttle_seconds,
    window_from_env,
)
from mimecast_soar.devo.throttle import Throttle, ThrottledClient
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.resolve import check_settings
from mimecast_soar.runtime.runner import RunSummary
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.runtime.tables import InputRow, read_table
from mimecast_soar.runtime.writers import RUN_FLUSH_INTERVAL_SECONDS, open_writer
from mimecast_soar.safetext import printable

EXIT_OK = 0
EXIT_FATAL = 1


def input_rows(env: Mapping[str, str]) -> Iterator[InputRow]:
    """The rows of the part file in the input folder; none when the folder has no part file."""
    folder = given(env, INPUT_FOLDER)
    if folder is None:
        raise ConfigurationError(
            f"{INPUT_FOLDER} is not set: devo exec reads the platform's file IO input folder"
        )
    path = Path(folder.strip())
    if not path.is_dir():
        raise ConfigurationError(f"{INPUT_FOLDER} names {path}, which is not a folder")
    if not any(p.name.startswith("part") and p.is_file() for p in path.iterdir()):
        return iter(())  # the shim too outputs nothing for a folder without a part file
    return read_table(path)


def output_path(env: Mapping[str, str]) -> Path:
    """The result file the platform reads."""
    target = given(env, OUTPUT_FILE)
    if target is None:
        raise ConfigurationError(f"{OUTPUT_FILE} is not set: devo exec writes file IO result lines")
    return Path(target.strip())


def exec_action(action: str, env: Mapping[str, str], stderr: IO[str]) -> int:
    """Run `action` as the platform would, from `env`; returns the exit status.

    Raises `ConfigurationError` (one line, before any call) for a wrong variable or a missing
    required input; a run stopped by a fatal error (bad credentials...) returns `EXIT_FATAL`
    after writing an error row for every input row.
    """
    try:
        spec = get_action(action)
    except KeyError as error:
        raise ConfigurationError(str(error.args[0])) from None
    settings = action_settings(spec, env)
    check_settings(
        spec, settings, how_to_give=lambda item: f"the variable {setting_variable(item)}"
    )
    connection = connection_from_env(env)
    window = window_from_env(env)
    concurrency = concurrency_from_env(env)
    interval = throttle_seconds(env)
    rows = input_rows(env)
    target = output_path(env)
    redactor = connection.redactor()
    if connection.tls_warning:
        print(connection.tls_warning, file=stderr)

    def notice(text: str) -> None:
        print(printable(redactor(text)), file=stderr)

    async def go() -> RunSummary:
        async with ThrottledClient(
            connection.client_settings(),
            throttle=Throttle(interval),
            redactor=redactor,
            on_notice=notice,
        ) as client:
            return await run_to_sink(
                spec,
                rows,
                writer,
                connection=connection,
                settings=settings,
                window=window,
                concurrency=concurrency,
                client=client,
                on_notice=notice,
                files_dir=files_dir_from_env(env),
            )

    with target.open("w", encoding="utf-8") as stream:
        writer = open_writer("devo", stream, flush_interval_seconds=RUN_FLUSH_INTERVAL_SECONDS)
        try:
            summary = anyio.run(go)
        finally:
            writer.close()
    print(
        f"{spec.name}: {summary.input_rows} input rows, {summary.output_rows} output rows, "
        f"{summary.error_rows} error rows",
        file=stderr,
    )
    if summary.fatal:
        print(printable(f"error: the run stopped: {summary.fatal}"), file=stderr)
        return EXIT_FATAL
    return EXIT_OK
