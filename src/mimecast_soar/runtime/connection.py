"""The connection: credentials, where to reach Mimecast, TLS and proxy settings, reference values.

A connection file (docs/architecture.md §5) is TOML or JSON: one flat connection, or
several under `connections` keyed by label. Its keys are the fields of
`mimecast_soar.connection_schema`, which says what each takes and checks it; `reference_values`
holds `name = "text"` or `name = { value = "...", secret = true }`.

`template_deadline_seconds` (default 2) is how long one template may take to render one value;
past it the row gets an error naming the input.

`ca_bundle` is the path of a PEM file (or a directory of them) of the certificate authorities
to trust instead of the default ones, for a gateway or proxy with a private CA; it applies
while `verify_ssl` is true. Only `verify_ssl = false` turns verification off.
`max_body_bytes` bounds a decoded response body (default 67108864, 64 MiB); a larger answer is
an error on its row, never read whole. `max_file_bytes` bounds one downloaded file (default
104857600, 100 MiB); a larger one is refused on its row and nothing is kept.

An unknown key is an error naming it. A non-empty environment variable `MIMECAST_<KEY>` (upper
case) overrides the file's field; `MIMECAST_LABEL` instead selects the connection when no label is
passed. Reference values are rendered (`{{name}}`, sandboxed) into every other text field; a
field naming a value that does not exist is an error, not an empty text. API 1.0 needs its four
keys, API 2.0 its two; mixing the sets or completing neither is an error naming the fields.

Secret fields and secret reference values are `Secret`s, and the proxy URLs `SecretUrl`s (their
password is masked); `repr`, `str` and every error message are scrubbed of them, and
`dataclasses.asdict` refuses (a `Secret` cannot be copied out by pickling).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

from mimecast_soar import connection_schema as schema
from mimecast_soar.connection_schema import ApiVersion, Kind
from mimecast_soar.errors import ConfigurationError, InvalidInputError
from mimecast_soar.runtime import connection_file
from mimecast_soar.runtime.templates import (
    DEFAULT_DEADLINE_SECONDS,
    RenderLimits,
    TemplateRenderer,
)
from mimecast_soar.secret import Redactor, Secret, SecretUrl

if TYPE_CHECKING:
    from mimecast_soar.api import ClientSettings

_T = TypeVar("_T")
_NO_ENV: Mapping[str, str] = MappingProxyType({})
#: The warning line of a connection that does not verify TLS certificates.
TLS_OFF_WARNING = (
    "warning: TLS certificate verification is off for this connection (verify_ssl = false)"
)


@dataclass(frozen=True, repr=False)
class Connection:
    """One validated connection. Build it with `load_connection` or `Connection.from_mapping`."""

    label: str | None = None
    region: str | None = None
    base_url: str | None = None
    application_id: str | None = None
    application_key: Secret | None = None
    access_key: Secret | None = None
    secret_key: Secret | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    verify_ssl: bool = True
    socks_proxy: SecretUrl | None = None
    https_proxy: SecretUrl | None = None
    ca_bundle: str | None = None
    timeout_seconds: float = 30.0
    template_deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    max_body_bytes: int = schema.DEFAULT_MAX_BODY_BYTES
    max_file_bytes: int = schema.DEFAULT_MAX_FILE_BYTES
    reference_values: dict[str, str | Secret] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        api1 = [name for name in schema.API1_FIELDS if getattr(self, name)]
        api2 = [name for name in schema.API2_FIELDS if getattr(self, name)]
        if api1 and api2:
            # Named at an API 2.0 field: API 1.0 accepts no new applications, so the 1.0 keys
            # are more likely the ones meant.
            raise ConfigurationError(
                f"the connection mixes API 1.0 credentials ({', '.join(api1)}) with API 2.0 "
                f"credentials ({', '.join(api2)}): give one set only",
                field=api2[0],
            )
        for given, needed, version in (
            (api1, schema.API1_FIELDS, ApiVersion.V1),
            (api2, schema.API2_FIELDS, ApiVersion.V2),
        ):
            missing = [name for name in needed if name not in given]
            if given and missing:
                raise ConfigurationError(
                    f"the API {version} credentials are incomplete: {', '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} missing",
                    field=missing[0],
                )
        if not api1 and not api2:
            raise ConfigurationError(
                "the connection has no credentials: give application_id, application_key, "
                "access_key and secret_key (API 1.0) or client_id and client_secret (API 2.0)",
                field=schema.API1_FIELDS[0],
            )
        if not self.base_url:  # the same check as the client's, so the file fails first
            schema.api_region(self.region, self.api_version)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, env: Mapping[str, str] = _NO_ENV
    ) -> Connection:
        """Validate one connection given as a mapping (a file's table, the platform's fields)."""
        merged = connection_file.apply_env(data, env)
        scrub = Redactor(connection_file.raw_secrets(merged))
        for item in schema.FIELDS:
            if item.userinfo and isinstance(merged.get(item.id), str):
                scrub.add(SecretUrl(merged[item.id]))
        try:
            connection_file.check_keys(data)
            return _build(cls, merged)
        except ConfigurationError as exc:
            raise ConfigurationError(scrub(exc.message), field=exc.field) from None

    @property
    def api_version(self) -> ApiVersion:
        """`ApiVersion.V1` ("1.0") for the four API 1.0 keys, `V2` ("2.0") for an OAuth client."""
        return ApiVersion.V2 if self.client_id else ApiVersion.V1

    @property
    def proxy(self) -> str | None:
        """The proxy URL to route through: the Remote Agent (socks) wins over an HTTPS proxy."""
        chosen = self.socks_proxy or self.https_proxy
        return chosen.get() if chosen else None

    @property
    def tls_warning(self) -> str | None:
        """`TLS_OFF_WARNING` when the connection turns certificate verification off, else None."""
        return None if self.verify_ssl else TLS_OFF_WARNING

    def client_settings(self) -> ClientSettings:
        """The API client's settings for this connection."""
        from mimecast_soar.api import Api1Credentials, Api2Credentials, ClientSettings

        credentials: Api1Credentials | Api2Credentials
        if self.api_version is ApiVersion.V2:
            credentials = Api2Credentials(
                client_id=_given(self.client_id), client_secret=_given(self.client_secret)
            )
        else:
            credentials = Api1Credentials(
                application_id=_given(self.application_id),
                application_key=_given(self.application_key),
                access_key=_given(self.access_key),
                secret_key=_given(self.secret_key),
            )
        return ClientSettings(
            credentials=credentials,
            region=self.region,
            base_url=self.base_url,
            verify_ssl=(self.ca_bundle or True) if self.verify_ssl else False,
            proxy=self.proxy,
            timeout_seconds=self.timeout_seconds,
            max_body_bytes=self.max_body_bytes,
            max_file_bytes=self.max_file_bytes,
        )

    def redactor(self) -> Redactor:
        """A redactor of every secret of the connection, secret reference values included."""
        secrets: list[Secret] = [
            value for name in schema.SECRET_FIELDS if (value := getattr(self, name)) is not None
        ]
        secrets.extend(v for v in self.reference_values.values() if isinstance(v, Secret))
        secrets.extend(url for url in (self.socks_proxy, self.https_proxy) if url is not None)
        return Redactor(secrets)

    def secret_reference_names(self) -> frozenset[str]:
        """The names of the reference values marked secret."""
        return frozenset(k for k, v in self.reference_values.items() if isinstance(v, Secret))

    def template_context(self) -> dict[str, str]:
        """Reference values as plain text, for rendering; outputs are scrubbed by `redactor()`."""
        return {
            name: value.get() if isinstance(value, Secret) else value
            for name, value in self.reference_values.items()
        }

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self))
        return self.redactor()(f"Connection({shown})")

    __str__ = __repr__


def _given(value: _T | None) -> _T:
    if value is None:  # excluded by __post_init__; kept for the type checker
        raise ConfigurationError("the connection's credentials are incomplete")
    return value


def _build(cls: type[Connection], data: Mapping[str, Any]) -> Connection:
    references = connection_file.reference_values(data.get(schema.REFERENCE_VALUES.id))
    context = {k: v.get() if isinstance(v, Secret) else v for k, v in references.items()}
    deadline = schema.TEMPLATE_DEADLINE_SECONDS.value(data.get("template_deadline_seconds"))
    renderer = TemplateRenderer(
        limits=RenderLimits(deadline),
        secret_names=frozenset(k for k, v in references.items() if isinstance(v, Secret)),
    )
    values: dict[str, Any] = {"reference_values": references}
    for item in schema.FIELDS:
        if item.kind is Kind.REFERENCES:
            continue
        if item.kind in (Kind.BOOL, Kind.SECONDS, Kind.BYTES):
            values[item.id] = item.value(data.get(item.id))
            continue
        # A text kind: reference values are rendered into it before it is checked.
        text = item.text(data.get(item.id))
        if text is not None:
            text = item.check(_render(renderer, text, item.id, context)) or None
        if text is not None and item.secret:
            values[item.id] = Secret(text)
        elif text is not None and item.userinfo:
            values[item.id] = SecretUrl(text)  # a proxy URL may carry a password
        else:
            values[item.id] = text
    return cls(**values)


def _render(renderer: TemplateRenderer, text: str, name: str, context: Mapping[str, str]) -> str:
    try:
        unknown = sorted(renderer.names(text, input_id=name, label=name) - set(context))
        if unknown:
            known = ", ".join(sorted(context)) or "none"
            raise ConfigurationError(
                f"{name} uses {', '.join(unknown)}, which is not a reference value "
                f"(reference values: {known})",
                field=name,
            )
        return renderer.render(text, context, input_id=name, label=name).strip()
    except InvalidInputError as exc:
        raise ConfigurationError(exc.message, field=name) from None


def load_connection(
    path: str | Path, *, label: str | None = None, env: Mapping[str, str] = _NO_ENV
) -> Connection:
    """Read a connection file and return the connection `label` picks (or its only one).

    Every problem is a `ConfigurationError` of one line naming the file (and the line, for a
    syntax error); `MIMECAST_<KEY>` variables in `env` override the file's fields.
    """
    source = Path(path)
    data = connection_file.read_file(source)
    wanted = label or connection_file.label_from_env(env)
    chosen, where = connection_file.select(data, wanted, source.name)
    try:
        return Connection.from_mapping(chosen, env=env)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc.message}", field=exc.field) from None
