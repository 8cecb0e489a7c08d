"""The three TTP log feeds (URL clicks, impersonation, attachments) and Decode URL.

Mimecast pages: get-ttp-url-logs, get-ttp-impersonation-protect-logs and
get-ttp-attachment-protection-logs under .../endpoint-reference/logs-and-statistics/
(docs/mimecast-api.md §7.5–7.7). Records are wrapped one level down (`data[0].clickLogs`,
`data[0].impersonationLogs`, `data[0].attachmentLogs`); the window keys are `from`/`to`.
Ours, not the Devo page's: the impersonation filters `taggedMalicious`, `identifiers` and `actions`
(§7.6), and Decode URL, POST /api/ttp/url/decode-url with `data[0].url`, answered with
`{url, success}` (§11).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

from mimecast_soar.actions.common import (
    END_TIME,
    OLDEST_FIRST,
    PAGE_SIZE,
    START_TIME,
    first_data,
    record_rows,
)
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    Executor,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    error_row,
    result_row,
)
from mimecast_soar.actions.values import format_mimecast_time, show_value
from mimecast_soar.api import endpoints
from mimecast_soar.api.endpoints import Endpoint
from mimecast_soar.errors import InvalidInputError

ROUTES = ("inbound", "outbound", "internal", "all")


def _select(input_id: str, label: str, description: str, options: tuple[str, ...]) -> InputSpec:
    return InputSpec(
        id=input_id,
        label=label,
        description=description,
        kind=InputKind.PARAM,
        default=options[-1],
        options=options,
        value_type="choice",
    )


def _logs_action(
    *,
    action_id: str,
    name: str,
    description: str,
    endpoint: Endpoint,
    filters: tuple[InputSpec, ...],
    build: Any,
    extras: tuple[InputSpec, ...] = (),
) -> ActionSpec:
    """A TTP log action: window, order, filters; one row per record, capped by Page Size.

    `extras` are filters of our own, declared after the Devo page's inputs; `build` reads them.
    """
    inputs = (OLDEST_FIRST, *filters, START_TIME, END_TIME, PAGE_SIZE, *extras)

    async def execute(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
        given = Inputs(inputs, values)
        start, end = given.window(context.window)
        cap = given.number("page_size")
        item: dict[str, Any] = {
            "oldestFirst": given.flag("oldest_first"),
            "from": format_mimecast_time(start),
            "to": format_mimecast_time(end),
        }
        item.update(build(given))
        pull = context.paginate(endpoint, [item], max_records=cap)
        async for row in record_rows(context, pull, action_name=name, cap=cap):
            yield row

    executor: Executor = execute
    return ActionSpec(
        id=action_id,
        name=name,
        description=description,
        endpoints=(endpoint,),
        output=OutputShape.RECORDS,
        inputs=inputs,
        execute=executor,
    )


GET_TTP_URL_LOGS = _logs_action(
    action_id="get_ttp_url_logs",
    name="Get TTP URL Logs",
    description="This action will bring TTP URL logs.",
    endpoint=endpoints.TTP_URL_LOGS,
    filters=(
        _select(
            "route",
            "Route",
            "Filters logs by route, must be one of inbound, outbound, internal, or all. "
            "(Defaults is all).",
            ROUTES,
        ),
        _select(
            "scan_result",
            "Scan Result",
            "Filters logs by scan result, must be one of clean, malicious, or all. "
            "(Defaults is all).",
            ("clean", "malicious", "all"),
        ),
    ),
    build=lambda given: {"route": given.choice("route"), "scanResult": given.choice("scan_result")},
)

SEARCH_FIELDS = ("senderAddress", "recipientAddress", "subject", "definition", "all")
# The Devo page's `definition` is the API's `policy` search field (docs/mimecast-api.md §7.6).
_SEARCH_FIELD_WIRE = {"definition": "policy"}


# Identifiers as the impersonation page documents them, then those seen in its responses
# (docs/mimecast-api.md §7.6).
IDENTIFIERS = (
    "newly_observed_domain",
    "internal_user_name",
    "reply_address_mismatch",
    "targeted_threat_dictionary",
    "similar_internal_domain",
    "custom_external_domain",
    "mimecast_external_domain",
    "custom_name_list",
)
_ACTION_WORD = re.compile(r"^[a-z][a-z_]*$")


def _word_list(given: Inputs, input_id: str, allowed: tuple[str, ...] | None) -> list[str]:
    """A comma-separated list of lower-case words, de-duplicated; checked against `allowed`."""
    label = given.spec(input_id).label
    words: list[str] = []
    for part in given.text(input_id).split(","):
        word = part.strip().lower()
        if not word:
            continue
        if (allowed is not None and word not in allowed) or not _ACTION_WORD.match(word):
            hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
            raise InvalidInputError(
                f"{label}: {show_value(part.strip())} is not a valid value{hint}",
                input_id=input_id,
            )
        if word not in words:
            words.append(word)
    return words


def _impersonation_filters(given: Inputs) -> dict[str, Any]:
    query = given.text("query")
    field = given.choice("search_field") if given.given("search_field") else "all"
    item: dict[str, Any] = {}
    if given.given("tagged_malicious"):
        item["taggedMalicious"] = given.flag("tagged_malicious")
    if identifiers := _word_list(given, "identifiers", IDENTIFIERS):
        item["identifiers"] = identifiers
    if actions := _word_list(given, "actions", None):
        item["actions"] = actions
    if not query:
        if field != "all":
            raise InvalidInputError(
                f"Query is required when Search Field is {field}", input_id="query"
            )
        return item
    return {"searchField": _SEARCH_FIELD_WIRE.get(field, field), "query": query, **item}


GET_TTP_IMPERSONATION_LOGS = _logs_action(
    action_id="get_ttp_impersonation_logs",
    name="Get TTP Impersonation Protection Logs",
    description="This action will bring TTP impersonation protection logs.",
    endpoint=endpoints.TTP_IMPERSONATION_LOGS,
    filters=(
        InputSpec(
            id="search_field",
            label="Search Field",
            description=(
                "The field to search, must be one of: senderAddress, recipientAddress, subject, "
                "definition or all (meaning all of the preceding fields). (Defaults is all if a "
                "search string(query) is provided)."
            ),
            kind=InputKind.PARAM,
            options=SEARCH_FIELDS,
            empty_means="all, when a query is given",
            value_type="choice",
        ),
        InputSpec(
            id="query",
            label="Query",
            description=(
                "Jinja-template containing query. Required if searchField is not null. A "
                "character string to search for in the logs."
            ),
            kind=InputKind.JINJA,
            empty_means="no search",
        ),
    ),
    build=_impersonation_filters,
    extras=(
        InputSpec(
            id="tagged_malicious",
            label="Tagged Malicious",
            description=(
                "Only logs Mimecast tagged malicious (true) or not (false); empty means both."
            ),
            kind=InputKind.PARAM,
            extra=True,
            options=("true", "false"),
            empty_means="no filter",
            value_type="bool",
        ),
        InputSpec(
            id="identifiers",
            label="Identifiers",
            description=(
                "Comma-separated identifiers a log must have triggered (any of them): "
                + ", ".join(IDENTIFIERS)
                + ". Empty means no filter."
            ),
            kind=InputKind.PARAM,
            extra=True,
            empty_means="no filter",
        ),
        InputSpec(
            id="actions",
            label="Actions",
            description=(
                "Comma-separated actions taken on the message, such as hold, bounce, none. "
                "Empty means no filter."
            ),
            kind=InputKind.PARAM,
            extra=True,
            empty_means="no filter",
        ),
    ),
)

GET_TTP_ATTACHMENT_LOGS = _logs_action(
    action_id="get_ttp_attachment_logs",
    name="Get TTP Attachment Protection Logs",
    description="This action will bring TTP attachment protection logs.",
    endpoint=endpoints.TTP_ATTACHMENT_LOGS,
    filters=(
        # The Devo page labels this input "Route" but it filters by the scan result
        # (docs/integration-spec.md §4.7).
        _select(
            "result",
            "Route",
            "Filters logs by result, must be one of safe, malicious, timeout, error, unsafe, or "
            "all. (Defaults is all).",
            ("safe", "malicious", "timeout", "error", "unsafe", "all"),
        ),
        replace(
            _select(
                "route",
                "Route direction",
                "Filters logs by route, must be one of inbound, outbound, internal, or all. "
                "(Default is all).",
                ROUTES,
            ),
            extra=True,
        ),
    ),
    build=lambda given: {"result": given.choice("result"), "route": given.choice("route")},
)


DECODE_URL_INPUTS = (
    InputSpec(
        id="url",
        label="URL",
        description=(
            "Jinja-templated text containing a URL rewritten by Mimecast URL Protect, such as "
            "https://protect-us.mimecast.com/s/.... Example: {{url}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


async def _decode_url(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    url = Inputs(DECODE_URL_INPUTS, values).required_text("url")
    if not url.lower().startswith(("http://", "https://")):
        raise InvalidInputError(
            f"URL {show_value(url)} is not an http or https URL", input_id="url"
        )
    response = await context.call(endpoints.DECODE_URL, [{"url": url}])
    response.raise_for_failures(endpoints.DECODE_URL.path)
    decoded = first_data(response)
    original = decoded.get("url")
    if decoded.get("success") is True and isinstance(original, str) and original:
        yield result_row(original)
        return
    yield error_row(f"Mimecast could not decode URL {show_value(url)}")


DECODE_URL = ActionSpec(
    id="decode_url",
    name="Decode URL",
    description=(
        "Turn a URL rewritten by Mimecast URL Protect back into the original URL; the result "
        "is the original URL."
    ),
    endpoints=(endpoints.DECODE_URL,),
    output=OutputShape.SINGLE,
    inputs=DECODE_URL_INPUTS,
    execute=_decode_url,
    extra=True,
)
