"""Reading the platform's environment: connection fields, inputs, the batch window and run settings.

Devo SOAR (docs/devo-runtime-contract.md §2) hands an action everything through environment
variables: connection fields and action parameters by their id, each row argument `x` as `___x`
(the column name of a Column input, the template text of a Jinja input), and its own variables
prefixed `__`. Both platform entries read them here: the generated bundle (under the SDK's shim)
and `mimecast-soar devo exec` (our native runner), which reads them once, into a `PlatformEnv`.
Empty counts as unset everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mimecast_soar.actions import ActionSpec, BatchWindow, InputKind, InputSpec
from mimecast_soar.connection_schema import FORM_FIELDS
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.runtime.window import batch_window

SSL_VERIFY = "__lh_ssl_verify"
MULTITHREAD_COUNT = "__lh_multithread_count"
THROTTLE_MS = "time_between_consecutive_requests_milliseconds"
SOCKS_PROXY = "socks_proxy"
INPUT_FOLDER = "__lh_integration_input_data_json_folder_path"
OUTPUT_FILE = "__lh_integration_output_data_json_file_path"
FILES_PATH = "INTEGRATIONS_FILES_PATH"
#: Where downloaded files go when the platform names no folder at all.
DEFAULT_FILES_DIR = "mimecast-files"
#: Row arguments arrive as `___<id>` (three underscores).
ROW_ARGUMENT_PREFIX = "___"

#: The connection fields the integration declares (the platform provides the others).
DECLARED_FIELDS: tuple[str, ...] = tuple(f.id for f in FORM_FIELDS)


def given(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value, or None when it is absent or blank."""
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value


def connection_mapping(env: Mapping[str, str]) -> dict[str, Any]:
    """The connection as `Connection.from_mapping` takes it, from the platform's variables.

    Only the exact text `False` in `__lh_ssl_verify` turns TLS verification off; `socks_proxy`
    (the Remote Agent) routes every call through the proxy, names resolved there.
    """
    data: dict[str, Any] = {}
    for field_id in DECLARED_FIELDS:
        value = given(env, field_id)
        if value is not None:
            data[field_id] = value.strip()
    proxy = given(env, SOCKS_PROXY)
    if proxy is not None:
        data["socks_proxy"] = proxy.strip()
    if env.get(SSL_VERIFY, "").strip() == "False":
        data["verify_ssl"] = False
    return data


def connection_from_env(env: Mapping[str, str]) -> Connection:
    """The validated connection; raises `ConfigurationError` naming the field at fault."""
    return Connection.from_mapping(connection_mapping(env))


def window_from_env(env: Mapping[str, str], now: datetime | None = None) -> BatchWindow:
    """The batch window from `__execution_*_time_ms`, else the last 24 hours (never 1970)."""
    return batch_window(None, None, env=env, now=now or datetime.now(UTC))


def setting_variable(item: InputSpec) -> str:
    """The environment variable the platform sets for an input: `___id`, or `id` (parameter)."""
    return item.id if item.kind is InputKind.PARAM else ROW_ARGUMENT_PREFIX + item.id


def action_settings(spec: ActionSpec, env: Mapping[str, str]) -> dict[str, str | None]:
    """The run's settings by input id: `___id` for Column and Jinja inputs, `id` for parameters.

    These are the texts the platform set (a column name, a template, a parameter value), in the
    form `runtime.resolve.RowResolver` takes them. Unset inputs are left out.
    """
    settings: dict[str, str | None] = {}
    for item in spec.inputs:
        value = given(env, setting_variable(item))
        if value is not None:
            settings[item.id] = value
    return settings


def param_values(spec: ActionSpec, env: Mapping[str, str]) -> dict[str, str]:
    """The action's parameters (ActionParams) as given, by id; unset ones are left out."""
    values: dict[str, str] = {}
    for item in spec.inputs_of(InputKind.PARAM):
        value = given(env, item.id)
        if value is not None:
            values[item.id] = value.strip()
    return values


def files_dir_from_env(env: Mapping[str, str]) -> Path:
    """Where downloads go: the platform's `INTEGRATIONS_FILES_PATH`, else a folder beside the
    result file (`<output>.files`), else `mimecast-files` in the working folder."""
    folder = given(env, FILES_PATH)
    if folder is not None:
        return Path(folder.strip())
    output = given(env, OUTPUT_FILE)
    if output is not None:
        return Path(output.strip() + ".files")
    return Path(DEFAULT_FILES_DIR)


def concurrency_from_env(env: Mapping[str, str], default: int = 8) -> int:
    """Rows in flight: `__lh_multithread_count` (at least 1), else `default`."""
    return _whole_number(env, MULTITHREAD_COUNT, default=default, minimum=1)


def throttle_seconds(env: Mapping[str, str]) -> float:
    """The pause between the starts of two calls, from the platform's throttle setting."""
    return _whole_number(env, THROTTLE_MS, default=0, minimum=0) / 1000


def _whole_number(env: Mapping[str, str], name: str, *, default: int, minimum: int) -> int:
    raw = given(env, name)
    if raw is None:
        return default
    try:
        number = int(float(raw.strip()))
    except (ValueError, OverflowError):
        shown = raw if len(raw) <= 40 else raw[:37] + "..."
        raise ConfigurationError(f"{name} must be a whole number, got {shown!r}") from None
    if number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {number}")
    return number


@dataclass(frozen=True)
class PlatformEnv:
    """Everything a native run takes from the platform's environment, read and checked once.

    `input_folder` is the part-file folder (`INPUT_FOLDER`), `output_file` the result file
    (`OUTPUT_FILE`); `settings` are the action's inputs by id (`action_settings`).
    """

    connection: Connection
    settings: Mapping[str, str | None]
    window: BatchWindow
    concurrency: int
    throttle_seconds: float
    input_folder: Path
    output_file: Path
    #: Where downloads go (`files_dir_from_env`).
    files_dir: Path

    @classmethod
    def read(
        cls, spec: ActionSpec, env: Mapping[str, str], now: datetime | None = None
    ) -> PlatformEnv:
        """Parse `env` for `spec`; raises `ConfigurationError` naming the variable at fault."""
        return cls(
            connection=connection_from_env(env),
            settings=action_settings(spec, env),
            window=window_from_env(env, now),
            concurrency=concurrency_from_env(env),
            throttle_seconds=throttle_seconds(env),
            input_folder=_required_path(
                env, INPUT_FOLDER, "devo exec reads the platform's file IO input folder"
            ),
            output_file=_required_path(env, OUTPUT_FILE, "devo exec writes file IO result lines"),
            files_dir=files_dir_from_env(env),
        )


def _required_path(env: Mapping[str, str], name: str, why: str) -> Path:
    value = given(env, name)
    if value is None:
        raise ConfigurationError(f"{name} is not set: {why}")
    return Path(value.strip())
