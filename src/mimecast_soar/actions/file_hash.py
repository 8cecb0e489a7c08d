"""Search File Hash: has a file (by hash) been seen in the account's mail in the last year?

Mimecast page search-hash under
https://integrations.mimecast.com/documentation/endpoint-reference/threat-intel/
(docs/mimecast-api.md §12.1): `data[0].hashes` (at most 100, about 20 advised for the
2,048-byte request limit) answers
`data[0].hashStatus` `[{hash, detected}]` and `failedHashes` (H). How Mimecast reports a hash it
could not search beyond `failedHashes` is not captured (L), so a hash is failed when it is in
`failedHashes` or in a `fail[]` entry keyed `{"hash": ...}`; any other `fail[]` entry fails every
hash of that call. Invalid hashes are error rows and never sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions import indicators
from mimecast_soar.actions.common import first_data
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    describe_error,
    record_row,
)
from mimecast_soar.api import endpoints
from mimecast_soar.api.envelope import MimecastResponse
from mimecast_soar.errors import InvalidInputError, MimecastError
from mimecast_soar.safetext import safe_text

#: Hashes per call: Mimecast advises about 20 for its 2,048-byte request limit.
HASHES_PER_CALL = 20

INPUTS = (
    InputSpec(
        id="hashes",
        label="Hashes",
        description=(
            "Jinja-templated text containing one or more file hashes (MD5, SHA-1 or SHA-256), "
            "separated by commas. Each hash gives one row saying whether Mimecast has seen the "
            "file in the last year. Example: {{fileHash}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


def _hash_error(value: str, message: str) -> Row:
    return {"has_error": True, "error": message, "hash": value}


def _hashes(given: Inputs) -> list[str | Row]:
    """The hashes in order, de-duplicated; an invalid one is already its error row."""
    text = given.required_text("hashes")
    seen: set[str] = set()
    found: list[str | Row] = []
    for part in text.split(","):
        value = part.strip()
        if not value:
            continue
        try:
            checked = indicators.file_hash(value, label="Hash", input_id="hashes")
        except InvalidInputError as error:
            found.append(_hash_error(value, error.message + "; it was not searched"))
            continue
        if checked not in seen:
            seen.add(checked)
            found.append(checked)
    if not found:
        raise InvalidInputError("Hashes has no hash in it", input_id="hashes")
    return found


def _failures(response: MimecastResponse) -> tuple[dict[str, str], str | None]:
    """Per-hash failure texts, and a failure of the whole call (or None)."""
    per_hash = {
        str(value).lower(): "Mimecast could not search it"
        for value in first_data(response).get("failedHashes") or []
    }
    whole: list[str] = []
    for failure in response.fail:
        key = failure.key
        if isinstance(key, dict) and isinstance(key.get("hash"), str):
            per_hash[key["hash"].strip().lower()] = safe_text(failure.describe())
        else:
            whole.append(safe_text(failure.describe()))
    if not whole and response.status != 200:
        whole.append(f"status {response.status}")
    return per_hash, "; ".join(whole) or None


def _rows(chunk: list[str], response: MimecastResponse) -> list[Row]:
    per_hash, whole = _failures(response)
    statuses = {
        str(status.get("hash", "")).strip().lower(): status
        for status in first_data(response).get("hashStatus") or []
        if isinstance(status, dict)
    }
    rows: list[Row] = []
    for value in chunk:
        if whole is not None:
            rows.append(
                _hash_error(value, f"Mimecast reported a failure for hash {value}: {whole}")
            )
        elif value in per_hash:
            rows.append(_hash_error(value, f"Hash {value} failed: {per_hash[value]}"))
        elif value in statuses:
            rows.append(record_row({"hash": value, "detected": statuses[value].get("detected")}))
        else:
            rows.append(_hash_error(value, f"Mimecast's answer did not mention hash {value}"))
    return rows


async def _search(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    items = _hashes(Inputs(INPUTS, values))
    valid = [item for item in items if isinstance(item, str)]
    answered: dict[str, Row] = {}
    for start in range(0, len(valid), HASHES_PER_CALL):
        chunk = valid[start : start + HASHES_PER_CALL]
        try:
            response = await context.call(endpoints.SEARCH_FILE_HASH, [{"hashes": chunk}])
        except MimecastError as error:
            if error.fatal:
                raise
            reason = describe_error(error)
            answered.update(
                {
                    value: _hash_error(value, f"Hash {value} not searched: {reason}")
                    for value in chunk
                }
            )
            continue
        answered.update(zip(chunk, _rows(chunk, response), strict=True))
    for item in items:
        yield answered[item] if isinstance(item, str) else item


SEARCH_FILE_HASH = ActionSpec(
    id="search_file_hash",
    name="Search File Hash",
    description=(
        "Check whether files, by their MD5, SHA-1 or SHA-256 hash, were seen in the account's "
        "email in the last year: one row per hash with detected true or false."
    ),
    endpoints=(endpoints.SEARCH_FILE_HASH,),
    output=OutputShape.RECORDS,
    inputs=INPUTS,
    execute=_search,
    extra=True,
)
