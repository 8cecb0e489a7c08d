"""What the generated bundle module calls: one row of an action, and the connection test.

The bundle (see `codegen`) declares every action to the platform SDK and delegates each call
here. The SDK's shim has already looked up the Column values and rendered the Jinja templates of
the row, so the arguments are final values: they are never rendered again (a subject holding
`{{` must stay text). Parameters and connection fields come from the environment by id.

`run_bundle_action` never raises and never returns an empty list (the shim drops falsy results):
errors become one clear error row, scrubbed of every secret. Its client lives in the process-wide
`ClientHost`, the single piece of module state, so HTTP connections are reused across rows; after
a fatal error (bad credentials) the remaining rows are answered without calling Mimecast again.

Nothing here imports `lhub_integ`: the generated module wraps the results in SDK types.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from mimecast_soar.actions import REGISTRY, ActionSpec, BatchWindow, run_row
from mimecast_soar.actions.spec import OutputShape, Row, describe_error, error_row
from mimecast_soar.api import MimecastClient
from mimecast_soar.devo.host import ClientHost
from mimecast_soar.devo.platform_env import (
    connection_from_env,
    connection_mapping,
    files_dir_from_env,
    param_values,
    throttle_seconds,
    window_from_env,
)
from mimecast_soar.devo.throttle import Throttle, ThrottledClient
from mimecast_soar.errors import MimecastSoarError
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.runner import redact_row
from mimecast_soar.safetext import printable
from mimecast_soar.secret import Redactor

#: The process-wide client host (the one sanctioned piece of module state, see `host`).
HOST = ClientHost()


def bundle_values(
    spec: ActionSpec, arguments: Mapping[str, Any], env: Mapping[str, str]
) -> dict[str, Any]:
    """One row's input values: the shim's arguments (final values) plus parameters from `env`."""
    values: dict[str, Any] = dict(param_values(spec, env))
    for item in spec.inputs:
        if item.id in arguments:
            values[item.id] = arguments[item.id]
    return values


def run_bundle_action(action_id: str, /, **arguments: Any) -> list[Row]:
    """Run one row of `action_id` with the shim's `arguments`; at least one row, never raises."""
    return run_bundle_row(action_id, arguments, os.environ)


def run_bundle_row(
    action_id: str, arguments: Mapping[str, Any], environ: Mapping[str, str]
) -> list[Row]:
    """`run_bundle_action` with the environment given: the variables the platform set."""
    spec = REGISTRY[action_id]
    redactor = Redactor()
    try:
        connection = connection_from_env(environ)
        redactor = connection.redactor()
        window = window_from_env(environ)
        values = bundle_values(spec, arguments, environ)
        rows = _run_in_host(spec, connection, window, values, environ)
    except MimecastSoarError as error:
        rows = [error_row(error.message)]
    except Exception as error:  # the shim would turn it into a traceback row
        rows = [error_row(describe_error(error))]
    if HOST.client is not None:
        # The client's redactor holds the connection's secrets plus its OAuth tokens.
        redactor = HOST.client.redactor
    deep = spec.output is not OutputShape.RECORDS
    return [redact_row(row, redactor, deep=deep) for row in rows] or [error_row("no output")]


def _run_in_host(
    spec: ActionSpec,
    connection: Connection,
    window: BatchWindow,
    values: Mapping[str, Any],
    env: Mapping[str, str],
) -> list[Row]:
    interval = throttle_seconds(env)
    key = (tuple(sorted(connection_mapping(env).items())), interval)

    def make_client() -> MimecastClient:
        return ThrottledClient(
            connection.client_settings(),
            throttle=Throttle(interval),
            redactor=connection.redactor(),
            on_notice=_notice,
        )

    async def work(client: MimecastClient) -> list[Row]:
        # As the TableRunner does: after a fatal error (bad credentials, expired binding, TLS),
        # the remaining rows are not sent; each gets a row naming the cause.
        if HOST.fatal is not None:
            return [
                error_row(
                    f"not processed: the run stopped after an earlier row failed: {HOST.fatal}"
                )
            ]
        context = spec.context(client, window, _notice, files_dir_from_env(env))
        rows: list[Row] = []
        try:
            async for row in run_row(spec, context, values):
                rows.append(row)
        except MimecastSoarError as error:  # run_row lets only fatal errors through
            HOST.fatal = error.message
            rows.append(error_row(error.message))
        return rows

    return HOST.run(key, make_client, work)


def _notice(text: str) -> None:
    # Under the shim's file IO, stderr is attached to the next result line.
    client = HOST.client
    print(printable(client.redactor(text) if client is not None else text), file=sys.stderr)
