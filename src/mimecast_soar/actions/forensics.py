"""Archive forensics: Get archived message detail, Download attachment, Download email.

Mimecast pages: archive/get-message-detail
(https://www.mimecast.com/tech-connect/documentation/endpoint-reference/archive/get-message-detail/)
and archive/get-message-part
(https://integrations.mimecast.com/documentation/endpoint-reference/archive/get-message-part);
/api/archive/get-file; docs/mimecast-api.md §12.7. Only delivered mail is in the archive.

The detail is JSON: the row's result, with `headers` and `attachments` (id, filename, sha256,
size). A file endpoint answers the raw bytes, a failure the JSON envelope: the downloads stream
the file into the run's files folder (`run --files-dir`, chosen by the runtime) and the row holds
its path, size and SHA-256, never its bytes. The stream's content type is not documented (L):
JSON is read as the envelope, anything else as the file. An attachment keeps the name Mimecast
gives it (made safe); a whole email is named after its message id and context.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

from mimecast_soar.actions.common import first_data
from mimecast_soar.actions.inputs import Inputs
from mimecast_soar.actions.spec import (
    ActionContext,
    ActionSpec,
    InputKind,
    InputSpec,
    OutputShape,
    Row,
    result_row,
)
from mimecast_soar.actions.values import is_email, show_value
from mimecast_soar.api import endpoints
from mimecast_soar.api.download import Downloaded
from mimecast_soar.errors import InvalidInputError

CONTEXTS = ("RECEIVED", "DELIVERED")

MESSAGE_ID = InputSpec(
    id="message_id",
    label="Message ID",
    description=(
        "Jinja-templated text containing the Mimecast ID of a delivered (archived) message, "
        "such as Find Messages returns. Example: {{ id }}."
    ),
    kind=InputKind.JINJA,
    required=True,
)
DETAIL_INPUTS = (MESSAGE_ID,)
ATTACHMENT_INPUTS = (
    InputSpec(
        id="attachment_id",
        label="Attachment ID",
        description=(
            "Jinja-templated text containing the Mimecast ID of an attachment, from Get "
            "archived message detail's attachments. Example: {{ attachment_id }}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)
EMAIL_INPUTS = (
    MESSAGE_ID,
    InputSpec(
        id="context",
        label="Version",
        description=(
            "RECEIVED saves the email as it arrived; DELIVERED as the user got it, after "
            "Mimecast rewrote its links. (Default is RECEIVED)."
        ),
        kind=InputKind.PARAM,
        default="RECEIVED",
        options=CONTEXTS,
        value_type="choice",
    ),
    InputSpec(
        id="mailbox",
        label="Mailbox",
        description=(
            "Jinja-templated text containing the email address of the message's sender or "
            "recipient whose copy to save. Example: {{ recipient }}."
        ),
        kind=InputKind.JINJA,
        required=True,
    ),
)


def _short(identifier: str) -> str:
    """A short stable tag of a long Mimecast id, for a file name."""
    return hashlib.sha256(identifier.encode()).hexdigest()[:12]


def _file_row(downloaded: Downloaded) -> Row:
    return result_row(
        {
            "path": str(downloaded.path),
            "file_name": downloaded.path.name,
            "size": downloaded.size,
            "sha256": downloaded.sha256,
            "content_type": downloaded.content_type,
        }
    )


async def _detail(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    message_id = Inputs(DETAIL_INPUTS, values).required_text("message_id")
    response = await context.call(endpoints.GET_ARCHIVED_MESSAGE_DETAIL, [{"id": message_id}])
    response.raise_for_failures(endpoints.GET_ARCHIVED_MESSAGE_DETAIL.path)
    yield result_row(first_data(response))


async def _attachment(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    attachment_id = Inputs(ATTACHMENT_INPUTS, values).required_text("attachment_id")
    downloaded = await context.download(
        endpoints.GET_ARCHIVED_FILE,
        [{"id": attachment_id}],
        name=f"attachment-{_short(attachment_id)}.bin",
    )
    yield _file_row(downloaded)


async def _email(context: ActionContext, values: Mapping[str, Any]) -> AsyncIterator[Row]:
    given = Inputs(EMAIL_INPUTS, values)
    message_id = given.required_text("message_id")
    version = given.choice("context")
    mailbox = given.required_text("mailbox")
    if not is_email(mailbox):
        raise InvalidInputError(
            f"Mailbox {show_value(mailbox)} is not a valid email address", input_id="mailbox"
        )
    item = {"id": message_id, "type": "RFC822", "context": version, "mailbox": mailbox}
    downloaded = await context.download(
        endpoints.GET_ARCHIVED_MESSAGE_PART,
        [item],
        name=f"email-{_short(message_id)}-{version.lower()}.eml",
        server_name=False,  # Mimecast's name says nothing of which email it is
    )
    yield _file_row(downloaded)


GET_ARCHIVED_MESSAGE_DETAIL = ActionSpec(
    id="get_archived_message_detail",
    name="Get archived message detail",
    description=(
        "Look at a delivered message in the archive: its headers, sender and recipients, and "
        "its attachments (ID, file name, SHA-256, size) for Download attachment."
    ),
    endpoints=(endpoints.GET_ARCHIVED_MESSAGE_DETAIL,),
    output=OutputShape.SINGLE,
    inputs=DETAIL_INPUTS,
    execute=_detail,
    extra=True,
)
DOWNLOAD_ATTACHMENT = ActionSpec(
    id="download_attachment",
    name="Download attachment",
    description=(
        "Save an attachment of an archived message into the run's files folder; the result "
        "is the file's path, size and SHA-256 (never its content)."
    ),
    endpoints=(endpoints.GET_ARCHIVED_FILE,),
    output=OutputShape.SINGLE,
    inputs=ATTACHMENT_INPUTS,
    execute=_attachment,
    extra=True,
)
DOWNLOAD_EMAIL = ActionSpec(
    id="download_email",
    name="Download email",
    description=(
        "Save a whole archived email (.eml) into the run's files folder, as received or as "
        "delivered; the result is the file's path, size and SHA-256 (never its content)."
    ),
    endpoints=(endpoints.GET_ARCHIVED_MESSAGE_PART,),
    output=OutputShape.SINGLE,
    inputs=EMAIL_INPUTS,
    execute=_email,
    extra=True,
)
