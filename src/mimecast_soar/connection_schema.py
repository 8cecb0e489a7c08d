"""The connection's fields, each declared once: what it is called, what it takes, who provides it.

Every reader of a connection reads this table: the file and environment parser
(`runtime/connection.py`), the client's own checks of what it is handed (`api/regions.py` for the
region and `base_url`, `api/transport.py` for the proxy), the Devo connection form
(`devo/codegen.py`, `devo/platform_env.py`), the manifest and the docs (`manifest.py`,
docs/actions.md). It lives at the top of the package, beside `errors.py` and `textrules.py`,
because all of those layers import it and imports point down: it imports nothing of ours but
those two, so `api/` may read it without knowing tables or the platform.

Each check raises a `ConfigurationError` whose `field` is the field's id and whose message names
it and never repeats a secret's value. Labels and descriptions of the Devo page's fields are the
page's own texts (docs/integration-spec.md §1, §6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mimecast_soar.errors import ConfigurationError
from mimecast_soar.textrules import BOOLEAN_WORDS, UrlParts, boolean_of, describe, number, parse_url


class ApiVersion(StrEnum):
    """A Mimecast API: 1.0 (HMAC-signed, regional hosts) or 2.0 (OAuth 2 client credentials)."""

    V1 = "1.0"
    V2 = "2.0"


BOTH = (ApiVersion.V1, ApiVersion.V2)


class Kind(StrEnum):
    """What a field takes, and so how it is checked."""

    TEXT = "text"
    BOOL = "bool"  # the vocabulary of `textrules.BOOLEAN_WORDS`
    SECONDS = "seconds"  # a positive, finite number
    BYTES = "bytes"  # a positive whole number
    URL = "url"  # one of the field's `schemes`, a host, no spaces or control characters
    REGION = "region"  # one of `options` (or an alias), any case
    PATH = "path"  # a file or folder on the machine that runs the integration
    REFERENCES = "references"  # a table of name -> text (or {value, secret})


class Source(StrEnum):
    """Who provides a field."""

    PLATFORM = "platform"  # the Devo platform's own field; not declared by the integration
    FORM = "form"  # declared by the integration on the Devo connection form
    FILE = "file"  # the connection file and `MIMECAST_<ID>` variables only


@dataclass(frozen=True)
class Field:
    """One field of the connection."""

    id: str
    label: str
    description: str
    kind: Kind = Kind.TEXT
    secret: bool = False
    #: The API versions the field serves.
    api: tuple[ApiVersion, ...] = BOTH
    #: The value an empty field takes, as text (as the Devo form shows it).
    default: str | None = None
    source: Source = Source.FORM
    #: URL schemes allowed (`Kind.URL`).
    schemes: tuple[str, ...] = ()
    #: True when the URL may carry a user name and password (a proxy's): kept as a `SecretUrl`.
    userinfo: bool = False
    #: The values of a select (`Kind.REGION`).
    options: tuple[str, ...] = ()
    #: True when the connection cannot be used without it (the others depend on the API version).
    required: bool = False
    #: False when no `MIMECAST_<ID>` variable overrides the field.
    env: bool = True

    @property
    def env_variable(self) -> str | None:
        """The environment variable that overrides the field, `MIMECAST_<ID>`, or None."""
        return ENV_PREFIX + self.id.upper() if self.env else None

    def fail(self, reason: str) -> ConfigurationError:
        """An error about this field: `<id> <reason>`, carrying the id."""
        return ConfigurationError(f"{self.id} {reason}", field=self.id)

    def value(self, raw: Any) -> Any:
        """The typed value of `raw` (None, text, a number, a bool): checked, or the default.

        Text kinds give the trimmed text or None; `Kind.URL` and `Kind.REGION` are also checked
        (`check`); `Kind.REFERENCES` is read by the connection parser.
        """
        if self.kind in (Kind.BOOL, Kind.SECONDS, Kind.BYTES):
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                raw = self.default
            if self.kind is Kind.BOOL:
                if (word := boolean_of(raw)) is not None:
                    return word
                raise self.fail(f"must be true or false ({BOOLEAN_WORDS}), got {describe(raw)}")
            whole = self.kind is Kind.BYTES
            amount = number(raw, whole=whole)
            if amount is None or not math.isfinite(amount) or amount <= 0:
                unit = "whole number of bytes" if whole else "number of seconds"
                raise self.fail(f"must be a positive {unit}, got {describe(raw)}")
            return int(amount) if whole else amount
        given = self.text(raw)
        return None if given is None else self.check(given)

    def text(self, raw: Any) -> str | None:
        """A text field's raw value trimmed; empty is None. Whole numbers are read as text."""
        if raw is None:
            return None
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise self.fail(f"must be text, got {describe(raw)}")
        return str(raw).strip() or None

    def check(self, text: str) -> str:
        """`text` checked for this field's kind: a URL's rules, a region's list (normalised)."""
        if self.kind is Kind.URL:
            self.url(text)
        elif self.kind is Kind.REGION:
            name = REGION_ALIASES.get(text.strip().lower(), text.strip().lower())
            if name not in self.options:
                raise self.fail(
                    f"{text.strip()!r} is not a Mimecast region: use one of "
                    f"{', '.join(self.options)}"
                )
            return name
        return text

    def url(self, text: str) -> UrlParts:
        """The parts of a URL for this field, or its error."""
        try:
            return parse_url(text, self.schemes, userinfo=self.userinfo)
        except ValueError as exc:
            raise self.fail(str(exc)) from None


ENV_PREFIX = "MIMECAST_"
API1_REGIONS: tuple[str, ...] = ("eu", "de", "us", "usb", "ca", "za", "au", "je")
API2_REGIONS: tuple[str, ...] = ("global", "uk", "us")
#: Other spellings of a region: the offshore region is `jer` in one of Mimecast's guides.
REGION_ALIASES: dict[str, str] = {"jer": "je"}
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
#: `max_file_bytes` when the connection does not say: the largest downloaded file (100 MiB).
DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024


V1_ONLY = (ApiVersion.V1,)
V2_ONLY = (ApiVersion.V2,)

#: `MIMECAST_LABEL` selects the connection of a file by its label rather than renaming one.
LABEL = Field(
    "label", "Label", "Enter a connection name.", source=Source.PLATFORM, required=True, env=False
)
REFERENCE_VALUES = Field(
    "reference_values",
    "Reference Values",
    "Define variables here to templatize integration connections and actions. For example, "
    "you can use https://www.{{hostname}}.com where, hostname is a variable defined in this "
    "input.",
    kind=Kind.REFERENCES,
    source=Source.PLATFORM,
    env=False,
)
VERIFY_SSL = Field(
    "verify_ssl",
    "Verify SSL",
    "Select option to verify connecting server's SSL certificate (Default is Verify SSL "
    "Certificate).",
    kind=Kind.BOOL,
    default="true",
    source=Source.PLATFORM,
)
SOCKS_PROXY = Field(
    "socks_proxy",
    "Remote Agent",
    "Run this integration using the Devo SOAR Remote Agent.",
    kind=Kind.URL,
    source=Source.PLATFORM,
    schemes=("socks5", "socks5h"),
    userinfo=True,
)
REGION = Field(
    "region",
    "Region",
    "Region where your Mimecast account is hosted. API 1.0: eu, de, us, usb, ca, za, au, je. "
    "API 2.0: global (default), uk, us.",
    kind=Kind.REGION,
    options=tuple(dict.fromkeys(API1_REGIONS + API2_REGIONS)),
)
APPLICATION_ID = Field(
    "application_id",
    "Application ID",
    "Application ID of the registered application.",
    api=V1_ONLY,
)
APPLICATION_KEY = Field(
    "application_key",
    "Application Key",
    "Application key of registered application.",
    secret=True,
    api=V1_ONLY,
)
ACCESS_KEY = Field(
    "access_key", "Access Key", "Access key of registered application.", secret=True, api=V1_ONLY
)
SECRET_KEY = Field(
    "secret_key", "Secret Key", "Secret key of registered application.", secret=True, api=V1_ONLY
)
CLIENT_ID = Field(
    "client_id",
    "Client ID",
    "API 2.0 client ID (OAuth 2 client credentials); set instead of the four API 1.0 keys.",
    api=V2_ONLY,
)
CLIENT_SECRET = Field(
    "client_secret", "Client Secret", "API 2.0 client secret.", secret=True, api=V2_ONLY
)
BASE_URL = Field(
    "base_url",
    "Base URL override",
    "Replaces the region's host: an API gateway, a proxy or the simulator (http or https).",
    kind=Kind.URL,
    schemes=("http", "https"),
)
HTTPS_PROXY = Field(
    "https_proxy",
    "HTTPS proxy",
    "An HTTP proxy every call goes through (http or https URL, credentials allowed); "
    "the Remote Agent wins when both are set.",
    kind=Kind.URL,
    source=Source.FILE,
    schemes=("http", "https"),
    userinfo=True,
)
CA_BUNDLE = Field(
    "ca_bundle",
    "CA bundle",
    "A PEM file (or a folder of them) of the certificate authorities to trust instead of the "
    "default ones, for a gateway or proxy with a private CA; used while Verify SSL is on.",
    kind=Kind.PATH,
    source=Source.FILE,
)
TIMEOUT_SECONDS = Field(
    "timeout_seconds",
    "Timeout (seconds)",
    "How long to wait to connect and for each read of an answer.",
    kind=Kind.SECONDS,
    default="30",
    source=Source.FILE,
)
TEMPLATE_DEADLINE_SECONDS = Field(
    "template_deadline_seconds",
    "Template deadline (seconds)",
    "How long one template may take to render one value; past it the row gets an error naming "
    "the input.",
    kind=Kind.SECONDS,
    default="2",
    source=Source.FILE,
)
MAX_BODY_BYTES = Field(
    "max_body_bytes",
    "Largest answer (bytes)",
    "The largest decoded answer read; a larger one is an error on its row, never read whole.",
    kind=Kind.BYTES,
    default=str(DEFAULT_MAX_BODY_BYTES),
    source=Source.FILE,
)
MAX_FILE_BYTES = Field(
    "max_file_bytes",
    "Largest downloaded file (bytes)",
    "The largest file an action downloads (an attachment, an email); a larger one is an error "
    "on its row and nothing is kept.",
    kind=Kind.BYTES,
    default=str(DEFAULT_MAX_FILE_BYTES),
    source=Source.FILE,
)

#: Every field: the platform's, the Devo form's (in the form's order), then the file-only ones.
FIELDS: tuple[Field, ...] = (
    LABEL,
    REFERENCE_VALUES,
    VERIFY_SSL,
    SOCKS_PROXY,
    REGION,
    APPLICATION_ID,
    APPLICATION_KEY,
    ACCESS_KEY,
    SECRET_KEY,
    CLIENT_ID,
    CLIENT_SECRET,
    BASE_URL,
    HTTPS_PROXY,
    CA_BUNDLE,
    TIMEOUT_SECONDS,
    TEMPLATE_DEADLINE_SECONDS,
    MAX_BODY_BYTES,
    MAX_FILE_BYTES,
)
BY_ID: dict[str, Field] = {item.id: item for item in FIELDS}
FIELD_IDS: tuple[str, ...] = tuple(BY_ID)
SECRET_FIELDS: frozenset[str] = frozenset(item.id for item in FIELDS if item.secret)
#: The credentials of each API version, in the form's order.
API1_FIELDS: tuple[str, ...] = tuple(item.id for item in FIELDS if item.api == V1_ONLY)
API2_FIELDS: tuple[str, ...] = tuple(item.id for item in FIELDS if item.api == V2_ONLY)
#: The fields the integration declares on the Devo connection form.
FORM_FIELDS: tuple[Field, ...] = tuple(item for item in FIELDS if item.source is Source.FORM)


def api_region(region: str | None, version: ApiVersion) -> str | None:
    """The region as API `version` uses it, for a connection without `base_url`.

    API 1.0 needs one of `API1_REGIONS` (its hosts are regional); API 2.0 takes any region of
    the list or none, and only `uk` and `us` pin a host (the others use the global one).
    """
    name: str | None = REGION.value(region)
    if version is ApiVersion.V1 and name not in API1_REGIONS:
        shown = f"region {str(region).strip()!r}" if name else "no region"
        raise ConfigurationError(
            f"API 1.0 connection has {shown}: the region must be one of "
            f"{', '.join(API1_REGIONS)} (or give base_url).",
            field=REGION.id,
        )
    return name


def proxy_url(url: str) -> UrlParts:
    """A proxy URL checked by the rules of its field: `socks_proxy` or `https_proxy`.

    The client takes one proxy; its scheme tells which field it came from (a `socks*` scheme the
    Remote Agent's), so the error names that field.
    """
    scheme = url.strip().partition("://")[0].lower()
    return (SOCKS_PROXY if scheme.startswith("socks") else HTTPS_PROXY).url(url)


#: The schemes a proxy URL may have, whichever field gives it.
PROXY_SCHEMES: tuple[str, ...] = SOCKS_PROXY.schemes + HTTPS_PROXY.schemes
