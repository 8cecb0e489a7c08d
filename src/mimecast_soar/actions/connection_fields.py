"""The connection's fields, as the seed labels them and as docs/integration-spec.md §1 decides.

Label, Reference Values, Verify SSL and Remote Agent are the platform's own fields; the rest are
declared by the integration (the ids are the platform SDK's `ConnectionParam` ids).
"""

from __future__ import annotations

from dataclasses import dataclass

API1_REGIONS = ("eu", "de", "us", "usb", "ca", "za", "au", "je")
API2_REGIONS = ("global", "uk", "us")


@dataclass(frozen=True)
class ConnectionField:
    """One field of the connection form."""

    id: str
    label: str
    description: str
    secret: bool = False
    optional: bool = False
    default: str | None = None
    options: tuple[str, ...] = ()
    #: True for the fields the platform itself provides (not declared by the integration).
    platform: bool = False


CONNECTION_FIELDS: tuple[ConnectionField, ...] = (
    ConnectionField("label", "Label", "Enter a connection name.", platform=True),
    ConnectionField(
        "reference_values",
        "Reference Values",
        "Define variables here to templatize integration connections and actions. For example, "
        "you can use https://www.{{hostname}}.com where, hostname is a variable defined in this "
        "input.",
        optional=True,
        platform=True,
    ),
    ConnectionField(
        "verify_ssl",
        "Verify SSL",
        "Select option to verify connecting server's SSL certificate (Default is Verify SSL "
        "Certificate).",
        optional=True,
        default="true",
        platform=True,
    ),
    ConnectionField(
        "socks_proxy",
        "Remote Agent",
        "Run this integration using the Devo SOAR Remote Agent.",
        optional=True,
        platform=True,
    ),
    ConnectionField(
        "region",
        "Region",
        "Region where your Mimecast account is hosted. API 1.0: eu, de, us, usb, ca, za, au, je. "
        "API 2.0: global (default), uk, us.",
        optional=True,
        options=tuple(dict.fromkeys(API1_REGIONS + API2_REGIONS)),
    ),
    ConnectionField(
        "application_id",
        "Application ID",
        "Application ID of the registered application.",
        optional=True,
    ),
    ConnectionField(
        "application_key",
        "Application Key",
        "Application key of registered application.",
        secret=True,
        optional=True,
    ),
    ConnectionField(
        "access_key",
        "Access Key",
        "Access key of registered application.",
        secret=True,
        optional=True,
    ),
    ConnectionField(
        "secret_key",
        "Secret Key",
        "Secret key of registered application.",
        secret=True,
        optional=True,
    ),
    ConnectionField(
        "client_id",
        "Client ID",
        "API 2.0 client ID (OAuth 2 client credentials); set instead of the four API 1.0 keys.",
        optional=True,
    ),
    ConnectionField(
        "client_secret", "Client Secret", "API 2.0 client secret.", secret=True, optional=True
    ),
    ConnectionField(
        "base_url",
        "Base URL override",
        "Replaces the region's host: an API gateway, a proxy or the simulator (http or https).",
        optional=True,
    ),
)
