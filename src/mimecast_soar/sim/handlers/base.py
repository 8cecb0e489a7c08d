"""What every endpoint handler gets (`Call`) and the helpers they share.

A handler is a plain function `(SimState, Call) -> Envelope`. API 1.0 treats several `data`
items like several calls [concepts], so write endpoints run once per item with `per_item`: an
`ItemError` becomes that item's `fail[]` entry and the other items still run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mimecast_soar.sim.state import SimState
from mimecast_soar.sim.wire import Envelope, FileBody, ItemError, JsonDict, validation_error

EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
DOMAIN = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class Call:
    """One API call as the handler sees it."""

    path: str
    meta: JsonDict
    data: list[Any]
    auth: str  # "api1", "api2" or "none"
    base_url: str


Handler = Callable[[SimState, Call], Envelope | FileBody]


def per_item(call: Call, run: Callable[[JsonDict], list[JsonDict]]) -> Envelope:
    """Run `run` on every data item; failures go to `fail[]` with the item as `key`."""
    envelope = Envelope()
    for item in call.data:
        if not isinstance(item, dict):
            envelope.fail.append(
                ItemError("err_validation_invalid_value", "data items must be objects").entry(item)
            )
            continue
        try:
            envelope.data.extend(run(item))
        except ItemError as error:
            envelope.fail.append(error.entry(item))
    return envelope


def required_text(item: JsonDict, key: str) -> str:
    """`item[key]` as non-empty text, else a validation error naming the field."""
    value = item.get(key)
    if value is None:
        raise validation_error(key, f"{key} is required", "err_validation_null")
    if not isinstance(value, str) or not value.strip():
        raise validation_error(key, f"{key} must not be blank", "err_validation_blank")
    return value.strip()


def valid_email(value: str, field_name: str) -> str:
    """`value` if it looks like an email address, else Mimecast's validation error."""
    if not EMAIL.match(value):
        raise validation_error(
            field_name, "Email address is not valid", "err_validation_invalid_email_address"
        )
    return value.lower()
