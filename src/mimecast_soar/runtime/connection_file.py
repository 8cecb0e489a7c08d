"""Reading a connection file: its format, the connection a label picks, the environment's overrides.

What each field takes is `mimecast_soar.connection_schema`'s business; this module finds the raw
values (the file's table, `MIMECAST_<ID>` variables) and reads the one field the schema leaves to
the runtime, `reference_values`. Every error is a `ConfigurationError` of one line that names the
file, the key or the reference value, and never shows a secret's value.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mimecast_soar.connection_schema import (
    ENV_PREFIX,
    FIELD_IDS,
    FIELDS,
    LABEL,
    REFERENCE_VALUES,
    SECRET_FIELDS,
)
from mimecast_soar.errors import ConfigurationError
from mimecast_soar.secret import Secret
from mimecast_soar.textrules import BOOLEAN_WORDS, boolean_of, describe

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE_KEYS = ("value", "secret")


def unknown_key_error(key: str, valid: tuple[str, ...], where: str) -> ConfigurationError:
    """An error naming an unknown key, with the closest valid one when there is one."""
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; valid keys: {', '.join(valid)}"
    return ConfigurationError(f"unknown key {key!r} in {where}{hint}")


def check_keys(data: Mapping[str, Any]) -> None:
    """Every key must be a connection field."""
    for key in data:
        if key not in FIELD_IDS:
            raise unknown_key_error(str(key), FIELD_IDS, "the connection")


def apply_env(data: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """`data` with each field overridden by a non-empty `MIMECAST_<ID>` variable.

    `reference_values` (a table) and `label` (which `MIMECAST_LABEL` selects, not renames) are
    not overridden.
    """
    merged = dict(data)
    for item in FIELDS:
        value = env.get(item.env_variable, "") if item.env_variable else ""
        if value.strip():
            merged[item.id] = value
    return merged


def label_from_env(env: Mapping[str, str]) -> str | None:
    """The label `MIMECAST_LABEL` selects, if it is set."""
    return env.get(ENV_PREFIX + LABEL.id.upper(), "").strip() or None


def reference_values(value: Any) -> dict[str, str | Secret]:
    """`name -> text` or `name -> {value = "...", secret = true}`; secrets become `Secret`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise REFERENCE_VALUES.fail(f"must be a table, got {describe(value)}")
    parsed: dict[str, str | Secret] = {}
    for name, entry in value.items():
        where = f"reference value {name!r}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigurationError(
                f"{where} is not a usable name: use letters, digits and _ (not first a digit)",
                field=REFERENCE_VALUES.id,
            )
        secret = False
        raw = entry
        if isinstance(entry, Mapping):
            for key in entry:
                if key not in _REFERENCE_KEYS:
                    error = unknown_key_error(str(key), _REFERENCE_KEYS, where)
                    raise ConfigurationError(error.message, field=REFERENCE_VALUES.id)
            secret = _secret_flag(entry.get("secret"), where)
            raw = entry.get("value")
        if raw is None:
            raw = ""
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise ConfigurationError(
                f"{where} must be text, got {describe(raw)}", field=REFERENCE_VALUES.id
            )
        parsed[name] = Secret(str(raw)) if secret else str(raw)
    return parsed


def _secret_flag(raw: Any, where: str) -> bool:
    """A reference value's `secret` flag, read by the one boolean vocabulary; empty is false."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return False
    flag = boolean_of(raw)
    if flag is not None:
        return flag
    raise ConfigurationError(
        f"{where}: secret must be true or false ({BOOLEAN_WORDS}), got {describe(raw)}",
        field=REFERENCE_VALUES.id,
    )


def raw_secrets(data: Mapping[str, Any]) -> list[str]:
    """The texts that will be secrets, read before parsing, to scrub parsing errors."""
    found = [str(data[name]) for name in SECRET_FIELDS if isinstance(data.get(name), str | int)]
    refs = data.get("reference_values")
    if isinstance(refs, Mapping):
        for entry in refs.values():
            if isinstance(entry, Mapping) and entry.get("secret") not in (None, False, "false"):
                found.append(str(entry.get("value", "")))
    return found


def read_file(source: Path) -> dict[str, Any]:
    """The top-level table of a TOML or JSON file (by extension; else JSON, then TOML)."""
    try:
        text = source.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ConfigurationError(f"the connection file {source} does not exist") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigurationError(
            f"the connection file {source} could not be read: {reason}"
        ) from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"the connection file {source.name} is not UTF-8 text") from None
    suffix = source.suffix.lower()
    parsers = [_json] if suffix == ".json" else [_toml] if suffix == ".toml" else [_json, _toml]
    reasons: list[str] = []
    for parser in parsers:
        try:
            data = parser(text)
        except ValueError as exc:
            reasons.append(str(exc))
            continue
        if not isinstance(data, dict):
            raise ConfigurationError(f"{source.name} must hold a table (an object) at the top")
        return data
    raise ConfigurationError(f"{source.name} is not valid {' nor '.join(reasons)}")


def select(data: dict[str, Any], label: str | None, name: str) -> tuple[Mapping[str, Any], str]:
    """The connection `label` picks in a file's table `data`, and how errors name it."""
    if "connections" not in data:
        given = data.get("label")
        if label is not None and given is None:
            raise ConfigurationError(
                f"{name} has no connection labelled {label!r}: its one connection has no label"
            )
        if label is not None and str(given) != label:
            raise ConfigurationError(
                f"{name} has no connection labelled {label!r}; it holds only {str(given)!r}"
            )
        return data, name
    others = [key for key in data if key != "connections"]
    if others:
        raise ConfigurationError(
            f"{name}: with `connections`, fields belong inside each connection, not at the top "
            f"(found {', '.join(others)})"
        )
    table = data["connections"]
    if not isinstance(table, dict) or not table:
        raise ConfigurationError(f"{name}: `connections` must be a non-empty table of connections")
    labels = ", ".join(sorted(table))
    if label is None:
        if len(table) > 1:
            raise ConfigurationError(
                f"{name} holds several connections; choose one with --label: {labels}"
            )
        label = next(iter(table))
    if label not in table:
        raise ConfigurationError(f"{name} has no connection labelled {label!r}; labels: {labels}")
    chosen = table[label]
    if not isinstance(chosen, dict):
        raise ConfigurationError(f"{name}: connection {label!r} must be a table")
    inner = chosen.get("label")
    if inner is not None and str(inner) != label:
        raise ConfigurationError(
            f"{name}: connection {label!r} has a different label {str(inner)!r}"
        )
    return {**chosen, "label": label}, f"{name} [{label}]"


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None


def _toml(text: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"TOML ({exc})") from None
