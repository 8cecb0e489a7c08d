"""Managed URLs of URL Protect: block a URL, permit one, list them, delete one (the undo).

Mimecast pages create-managed-url, get-managed-url and delete-managed-url under
https://integrations.mimecast.com/documentation/endpoint-reference/targeted-threat-protection-url-protect/
(docs/mimecast-api.md §12.2). What the actions rely on:

- Create (H): `url` without a fragment, `action` block | permit, `matchType` explicit | domain,
  `comment`, and for a permit `disableRewrite`, `disableUserAwareness`, `disableLogClick` as JSON
  booleans. The answer's `data[0]` is the entry. An entry that exists (whatever its action)
  answers `err_managed_url_exists_code`; there is no update, so that is an error row saying to
  delete the entry first. Create changes state: the client never resends it after a failure
  that may have reached Mimecast.
- List (H/M): `[]` lists all, `{domainOrUrl, exactMatch}` filters; the answer is flat `data[]`
  and carries `meta.pagination.next` in a captured response, so `next` is followed.
- Delete (M): `{"id"}`; success is an empty `data`; an unknown id is a `fail[]` entry
  (`err_managed_url_not_found`). Given a URL, Delete first lists with an exact match and keeps
  only the entries whose domain, port, path and query are the URL's (how loosely Mimecast's
  exact match compares is not documented), so it never deletes an entry the URL does not name.
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
    error_row,
    no_results_row,
    record_row,
)
from mimecast_soar.actions.values import show_value
from mimecast_soar.api import endpoints
from mimecast_soar.api.envelope import MimecastResponse

EXISTS = "err_managed_url_exists_code"
MATCH_TYPES = ("explicit", "domain")

URL = InputSpec(
    id="url",
    label="URL",
    description=(
        "Jinja-templated text containing the URL (without a # part) or, with Match Type domain, "
        "the domain. Example: {{url}}."
    ),
    kind=InputKind.JINJA,
    required=True,
)
MATCH_TYPE = InputSpec(
    id="match_type",
    label="Match Type",
    description=(
        "explicit applies to this exact URL; domain applies to every URL on its domain. "
        "(Default is explicit)."
    ),
    kind=InputKind.PARAM,
    default="explicit",
    options=MATCH_TYPES,
    value_type="choice",
)
COMMENT = InputSpec(
    id="comment",
    label="Comment",
    description=(
        "Jinja-templated note kept with the entry, such as why it was made. Example: Phishing "
        "clicked by {{userEmailAddress}}."
    ),
    kind=InputKind.JINJA,
    empty_means="no comment",
)


def _flag(input_id: str, label: str, description: str) -> InputSpec:
    return InputSpec(
        id=input_id,
        label=label,
        description=description + " (Default is false).",
        kind=InputKind.PARAM,
        default="false",
        options=("true", "false"),
        value_type="bool",
    )


BLOCK_INPUTS = (URL, MATCH_TYPE, COMMENT)
PERMIT_INPUTS = (
    URL,
    MATCH_TYPE,
    COMMENT,
    _flag(
        "disable_rewrite", "Disable Rewrite", "true: links to this URL are not rewritten in emails"
    ),
    _flag(
        "disable_user_awareness",
        "Disable User Awareness",
        "true: users are not shown the awareness page for this URL",
    ),
    _flag("disable_log_click", "Disable Log Click", "true: clicks on this URL are not logged"),
)


def _exists_error(url: str, response: MimecastResponse) -> str | None:
    for failure in response.fail:
        if any(detail.code == EXISTS for detail in failure.errors):
            return (
                f"URL {show_value(url)} is already a managed URL (blocked or permitted); "
                "Mimecast does not change an entry: delete it first, then create it again"
            )
    return None


def _creator(action: str, inputs: tuple[InputSpec, ...]) -> Any:
    async def create(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
        given = Inputs(inputs, values)
        url = given.required_text("url")
        indicators.url_parts(url, label=given.spec("url").label, input_id="url")
        item: dict[str, Any] = {
            "url": url,
            "action": action,
            "matchType": given.choice("match_type"),
        }
        if given.text("comment"):
            item["comment"] = given.text("comment")
        if action == "permit":
            item["disableRewrite"] = given.flag("disable_rewrite")
            item["disableUserAwareness"] = given.flag("disable_user_awareness")
            item["disableLogClick"] = given.flag("disable_log_click")
        response = await context.call(endpoints.CREATE_MANAGED_URL, [item])
        exists = _exists_error(url, response)
        if exists is not None:
            yield error_row(exists)
            return
        response.raise_for_failures(endpoints.CREATE_MANAGED_URL.path)
        entry = first_data(response)
        yield record_row(entry) if entry else error_row("Mimecast answered without the entry")

    return create


BLOCK_URL = ActionSpec(
    id="block_url",
    name="Block URL",
    description=(
        "Block a URL (or every URL on a domain) for all users with URL Protect: clicks on it "
        "are refused. The row is the new managed-URL entry, with its id."
    ),
    endpoints=(endpoints.CREATE_MANAGED_URL,),
    output=OutputShape.RECORDS,
    inputs=BLOCK_INPUTS,
    execute=_creator("block", BLOCK_INPUTS),
    extra=True,
)

PERMIT_URL = ActionSpec(
    id="permit_url",
    name="Permit URL",
    description=(
        "Permit a URL (or every URL on a domain) for all users with URL Protect: clicks on it "
        "are allowed. The row is the new managed-URL entry, with its id."
    ),
    endpoints=(endpoints.CREATE_MANAGED_URL,),
    output=OutputShape.RECORDS,
    inputs=PERMIT_INPUTS,
    execute=_creator("permit", PERMIT_INPUTS),
    extra=True,
)

LIST_INPUTS = (
    InputSpec(
        id="url_filter",
        label="URL Filter",
        description=(
            "Jinja-templated text: only entries whose URL or domain contains it (or equals it, "
            "with Exact Match). Empty means every entry. Example: {{domain}}."
        ),
        kind=InputKind.JINJA,
        empty_means="every entry",
    ),
    InputSpec(
        id="exact_match",
        label="Exact Match",
        description="true: the URL Filter must match the whole URL or domain. (Default is false).",
        kind=InputKind.PARAM,
        default="false",
        options=("true", "false"),
        value_type="bool",
    ),
)


async def _list(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(LIST_INPUTS, values)
    wanted = given.text("url_filter")
    data = [{"domainOrUrl": wanted, "exactMatch": given.flag("exact_match")}] if wanted else []
    found = 0
    async for entry in context.paginate(endpoints.GET_ALL_MANAGED_URLS, data):
        found += 1
        yield record_row(entry)
    if not found:
        yield no_results_row()


LIST_MANAGED_URLS = ActionSpec(
    id="list_managed_urls",
    name="List Managed URLs",
    description=(
        "List the blocked and permitted URLs of URL Protect, optionally only those matching a "
        "URL or domain: one row per entry."
    ),
    endpoints=(endpoints.GET_ALL_MANAGED_URLS,),
    output=OutputShape.RECORDS,
    inputs=LIST_INPUTS,
    execute=_list,
    extra=True,
)

DELETE_INPUTS = (
    InputSpec(
        id="url_or_id",
        label="URL or Entry ID",
        description=(
            "Jinja-templated text containing the id of the managed-URL entry (as Block URL or "
            "List Managed URLs return it) or its URL, which must name exactly one entry. "
            "Example: {{id}}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


def _is_url(text: str) -> bool:
    # Entry ids are URL-safe base64 (no dot, slash or colon); a URL or domain has a dot.
    return any(mark in text for mark in "./:")


async def _entry_for(context: ActionContext, url: str) -> Mapping[str, Any] | str:
    """The one entry `url` names, or the sentence of an error row."""
    wanted = indicators.url_parts(url, label="URL or Entry ID", input_id="url_or_id").text()
    lookup = [{"domainOrUrl": url, "exactMatch": True}]
    matching = [
        entry
        async for entry in context.paginate(endpoints.GET_ALL_MANAGED_URLS, lookup)
        if indicators.entry_text(entry) == wanted
    ]
    if not matching:
        return f"No managed URL is exactly {show_value(url)}; nothing was deleted"
    if len(matching) > 1:
        ids = ", ".join(str(entry.get("id")) for entry in matching[:5])
        return (
            f"{len(matching)} managed URLs match {show_value(url)} ({ids}); nothing was "
            "deleted: give the id of the one to delete"
        )
    return matching[0]


async def _delete(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    target = Inputs(DELETE_INPUTS, values).required_text("url_or_id")
    entry: Mapping[str, Any] = {"id": target}
    if _is_url(target):
        found = await _entry_for(context, target)
        if isinstance(found, str):
            yield error_row(found)
            return
        entry = found
    response = await context.call(endpoints.DELETE_MANAGED_URL, [{"id": entry.get("id")}])
    response.raise_for_failures(endpoints.DELETE_MANAGED_URL.path)
    yield record_row({**entry, "deleted": True})


DELETE_MANAGED_URL = ActionSpec(
    id="delete_managed_url",
    name="Delete Managed URL",
    description=(
        "Delete a blocked or permitted URL entry, by its id or by its exact URL: the undo of "
        "Block URL and Permit URL."
    ),
    endpoints=(endpoints.GET_ALL_MANAGED_URLS, endpoints.DELETE_MANAGED_URL),
    output=OutputShape.RECORDS,
    inputs=DELETE_INPUTS,
    execute=_delete,
    extra=True,
)
