"""Parsing a connection: reading the file, the key list, value coercion, reference values.

Every error is a `ConfigurationError` that names the field by its id and never shows the value of
a secret field (the caller also scrubs messages with a redactor, as a second line of defence).
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.secret import Secret

TEXT_FIELDS = (
    "label",
    "region",
    "base_url",
    "application_id",
    "application_key",
    "access_key",
    "secret_key",
    "client_id",
    "client_secret",
    "socks_proxy",
    "https_proxy",
    "ca_bundle",
)
SECRET_FIELDS = frozenset({"application_key", "access_key", "secret_key", "client_secret"})
FIELDS = (
    *TEXT_FIELDS,
    "verify_ssl",
    "timeout_seconds",
    "template_deadline_seconds",
    "max_body_bytes",
    "max_file_bytes",
    "reference_values",
)
#: `max_body_bytes` when the connection does not say (the client's own default is the same).
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
#: `max_file_bytes` when the connection does not say: the largest downloaded file (100 MiB).
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
API1_FIELDS = ("application_id", "application_key", "access_key", "secret_key")
API2_FIELDS = ("client_id", "client_secret")
ENV_PREFIX = "MIMECAST_"

_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})
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
        if key not in FIELDS:
            raise unknown_key_error(str(key), FIELDS, "the connection")


def apply_env(data: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    """`data` with each field overridden by a non-empty `MIMECAST_<FIELD>` variable.

    `reference_values` (a table) and `label` (which `MIMECAST_LABEL` selects, not renames) are
    not overridden.
    """
    merged = dict(data)
    for name in FIELDS:
        if name in ("reference_values", "label"):
            continue
        value = env.get(ENV_PREFIX + name.upper(), "")
        if value.strip():
            merged[name] = value
    return merged


def text(value: Any, name: str) -> str | None:
    """A text field: trimmed; empty counts as not given. Whole numbers are accepted as text."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigurationError(f"{name} must be text, got {_kind(value)}")
    trimmed = str(value).strip()
    return trimmed or None


def boolean(value: Any, name: str, *, default: bool) -> bool:
    """A bool, or the text true/false (also yes/no/1/0/on/off), any case."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return default
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise ConfigurationError(f"{name} must be true or false, got {_short(value)}")
    raise ConfigurationError(f"{name} must be true or false, got {_kind(value)}")


def seconds(value: Any, name: str, *, default: float) -> float:
    """A positive, finite number of seconds (number or numeric text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number) or number <= 0:
        shown = _short(value) if isinstance(value, str | int | float) else _kind(value)
        raise ConfigurationError(f"{name} must be a positive number of seconds, got {shown}")
    return number


def byte_count(value: Any, name: str, *, default: int) -> int:
    """A positive whole number of bytes (number or numeric text)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number <= 0:
        shown = _short(value) if isinstance(value, str | int | float) else _kind(value)
        raise ConfigurationError(f"{name} must be a positive whole number of bytes, got {shown}")
    return number


def reference_values(value: Any) -> dict[str, str | Secret]:
    """`name -> text` or `name -> {value = "...", secret = true}`; secrets become `Secret`."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"reference_values must be a table, got {_kind(value)}")
    parsed: dict[str, str | Secret] = {}
    for name, entry in value.items():
        where = f"reference value {name!r}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ConfigurationError(
                f"{where} is not a usable name: use letters, digits and _ (not first a digit)"
            )
        secret = False
        raw = entry
        if isinstance(entry, Mapping):
            for key in entry:
                if key not in _REFERENCE_KEYS:
                    raise unknown_key_error(str(key), _REFERENCE_KEYS, where)
            secret = boolean(entry.get("secret"), f"{where}: secret", default=False)
            raw = entry.get("value")
        if raw is None:
            raw = ""
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise ConfigurationError(f"{where} must be text, got {_kind(raw)}")
        parsed[name] = Secret(str(raw)) if secret else str(raw)
    return parsed


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


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def _short(value: Any, limit: int = 40) -> str:
    shown = repr(value)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"
