"""`MimecastClient`: one connection's calls to the Mimecast API, with auth, retries and rate limits.

A call is ``POST {base_url}{path}`` with the JSON envelope (`envelope`), signed by `HmacAuth`
(API 1.0) or `OAuthAuth` (API 2.0), retried by `RetryLoop` according to the caller's `mutating`
flag, and paced by the client's shared `RateGate`. HTTP and transport failures become the
typed errors of `mimecast_soar.errors`; ``fail[]`` entries do not raise here (the caller decides,
see `MimecastResponse.raise_for_failures`). Every error message passes through `redactor`, which
knows every secret of the credentials and every OAuth token obtained.

Usage::

    from mimecast_soar.api.endpoints import ACCOUNT, GET_HOLD_MESSAGE_LIST as HELD

    async with MimecastClient(ClientSettings(credentials, region="eu")) as client:
        response = await client.call(ACCOUNT.path, [], mutating=ACCOUNT.mutating)
        async for message in client.paginate(
            HELD.path, [{"admin": True}], records_key=HELD.records_key, page_size=HELD.page_size
        ):
            ...
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import anyio

from mimecast_soar.api.answer import DEFAULT_MAX_BODY_BYTES, Answer
from mimecast_soar.api.auth_hmac import HmacAuth
from mimecast_soar.api.auth_oauth import TOKEN_FORM_TYPE, OAuthAuth
from mimecast_soar.api.credentials import Api1Credentials, Credentials, api_version, secrets_of
from mimecast_soar.api.download import DEFAULT_MAX_FILE_BYTES, Downloaded, FileSink
from mimecast_soar.api.envelope import MimecastResponse, encode_request, parse_envelope
from mimecast_soar.api.http_errors import (
    error_for_exception,
    error_for_status,
    reset_ms_of,
    transport_failures,
)
from mimecast_soar.api.pagination import Pagination
from mimecast_soar.api.rate_gate import RateGate
from mimecast_soar.api.regions import resolve_base_url
from mimecast_soar.api.retry import RetryLoop, RetryPolicy
from mimecast_soar.errors import MimecastError, ResponseFormatError
from mimecast_soar.secret import Redactor

if TYPE_CHECKING:
    from mimecast_soar.api.transport import HttpSender

__all__ = ["ClientSettings", "MimecastClient"]

_API1_HINT = "Check the application key, access key and secret key, and the machine's clock."
_API2_HINT = (
    "Check the client id and client secret, and the API 2.0 application's role and products; "
    "a freshly fetched OAuth token was refused as well."
)


@dataclass(frozen=True)
class ClientSettings:
    """Everything that decides how one connection reaches Mimecast.

    `verify_ssl` is True, False, or the path of a CA bundle; `proxy` an ``http://``,
    ``https://``, ``socks5://`` or ``socks5h://`` URL (SOCKS names are resolved at the proxy);
    `max_body_bytes` bounds a decoded response body (a larger one is a `ResponseFormatError`);
    `max_file_bytes` bounds one downloaded file (`MimecastClient.download`).
    """

    credentials: Credentials
    region: str | None = None
    base_url: str | None = None
    verify_ssl: bool | str = True
    proxy: str | None = field(default=None, repr=False)
    timeout_seconds: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_connections: int = 64
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES


class MimecastClient:
    """Async client for the Mimecast API; use as ``async with`` or call `aclose()`.

    `clock` (monotonic seconds) and `sleep` drive
    retries, the rate gate and the OAuth token lifetime; `redactor` is shared with the caller if
    given (the client adds the credentials' secrets to it); `on_notice` receives human notices
    such as ``rate limited on /api/ttp/url/get-logs, waiting 1.2 s``.

    Raises `ConfigurationError` at construction for a bad region, base URL, proxy, CA bundle or
    API 1.0 secret key.
    """

    def __init__(
        self,
        settings: ClientSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        redactor: Redactor | None = None,
        on_notice: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        credentials = settings.credentials
        self._redactor = redactor if redactor is not None else Redactor()
        for secret in secrets_of(credentials):
            self._redactor.add(secret)
        self._base_url = resolve_base_url(settings.region, credentials, settings.base_url)
        # A base URL override may carry a path prefix; the signature covers the whole path.
        self._base_path = urlsplit(self._base_url).path.rstrip("/")
        self._host = urlsplit(self._base_url).hostname or "the server"
        self._oauth: OAuthAuth | None = None
        self._token_path: str | None = None
        self._signer: HmacAuth | None = None
        if isinstance(credentials, Api1Credentials):
            self._signer = HmacAuth(credentials)
            self._credentials_hint = _API1_HINT
        else:
            self._oauth = OAuthAuth(
                credentials, f"{self._base_url}/oauth/token", clock=clock, redactor=self._redactor
            )
            self._token_path = self._oauth.token_path
            self._credentials_hint = _API2_HINT
        # aiohttp is imported here, when a client is built: `--version` and `actions` never do.
        from mimecast_soar.api.transport import build_sender, proxy_passwords

        for password in proxy_passwords(settings.proxy):
            self._redactor.add(password)
        self._http: HttpSender = build_sender(
            verify_ssl=settings.verify_ssl,
            proxy=settings.proxy,
            timeout_seconds=settings.timeout_seconds,
            max_connections=settings.max_connections,
            max_body_bytes=settings.max_body_bytes,
        )
        self._failures = transport_failures()
        self._notice = on_notice or (lambda _text: None)
        self._gate = RateGate(clock=clock, sleep=sleep)
        self._retry = RetryLoop(
            settings.retry, gate=self._gate, clock=clock, sleep=sleep, on_notice=self._notice
        )

    def __repr__(self) -> str:
        return (
            f"MimecastClient(base_url={self._base_url!r}, "
            f"api_version={api_version(self.settings.credentials)!r})"
        )

    @property
    def base_url(self) -> str:
        """Scheme and host (plus any path prefix of a base URL override), no trailing slash."""
        return self._base_url

    @property
    def redactor(self) -> Redactor:
        """Masks every secret of the credentials, the proxy password and every OAuth token."""
        return self._redactor

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def call(
        self,
        path: str,
        data: list[Any],
        *,
        mutating: bool,
        meta: dict[str, Any] | None = None,
    ) -> MimecastResponse:
        """One logical call of `path` (e.g. ``/api/gateway/hold-release``), with retries.

        `mutating` says whether the call changes state; it decides what may be retried (see
        `mimecast_soar.api.retry`). Raises typed errors for HTTP, transport and format failures;
        does not raise for ``fail[]`` entries or a non-200 ``meta.status``.
        """
        if not path.startswith("/"):
            raise ValueError(f"API path must start with '/': {path!r}")
        body = encode_request(data, meta)
        return await self._retry.run(
            lambda: self._send_once(path, body),
            path=path,
            mutating=mutating,
            request_sent=self._request_sent,
        )

    def paginate(
        self,
        path: str,
        data: list[Any],
        *,
        records_key: str | None,
        page_size: int,
        max_records: int | None = None,
    ) -> Pagination:
        """Iterate the records of a list endpoint page by page (see `Pagination`)."""
        return Pagination(
            self,
            path,
            data,
            records_key=records_key,
            page_size=page_size,
            max_records=max_records,
        )

    async def download(
        self,
        path: str,
        data: list[Any],
        *,
        into: Path,
        name: str,
        server_name: bool = True,
        max_bytes: int | None = None,
    ) -> Downloaded:
        """Post the envelope to a file endpoint and stream the file it answers into `into`.

        The body goes to disk as it arrives, hashed on the way, never held whole in memory; past
        `max_bytes` (default `settings.max_file_bytes`) it is refused. The file is named by the
        server's ``Content-Disposition`` (unless `server_name` is False), else `name`, made safe
        and unique in the folder (see `mimecast_soar.api.download`). A JSON answer is the
        envelope: its ``fail[]`` is raised as `RequestFailedError`. A download is a read, so it
        is retried like one; a failed or cancelled attempt leaves no file behind.
        """
        if not path.startswith("/"):
            raise ValueError(f"API path must start with '/': {path!r}")
        body = encode_request(data, None)
        limit = self.settings.max_file_bytes if max_bytes is None else max_bytes
        sink = FileSink(into, max_bytes=limit, path=path)
        try:
            await self._retry.run(
                lambda: self._download_once(path, body, sink),
                path=path,
                mutating=False,
                request_sent=self._request_sent,
            )
            return sink.finish(name, server_name=server_name)
        finally:
            sink.discard()

    async def _download_once(self, path: str, body: bytes, sink: FileSink) -> None:
        sink.discard()
        answer = await self._exchange(path, body, sink)
        if sink.temporary is not None:
            return
        response = parse_envelope(
            answer.body, path=path, http_status=answer.status, redactor=self._redactor
        )
        response.raise_for_failures(path)
        raise ResponseFormatError(
            f"Mimecast's response on {path} was JSON without a file or a failure.", path=path
        )

    def _request_sent(self, error: MimecastError) -> bool:
        # A failure on the OAuth token endpoint happened before the API request was sent.
        return self._token_path is None or error.path != self._token_path

    async def _send_once(self, path: str, body: bytes) -> MimecastResponse:
        answer = await self._exchange(path, body, None)
        return parse_envelope(
            answer.body, path=path, http_status=answer.status, redactor=self._redactor
        )

    async def _exchange(self, path: str, body: bytes, sink: FileSink | None) -> Answer:
        """One signed exchange on `path`; a non-2xx answer raises its typed error."""
        url = f"{self._base_url}{path}"
        # A file is asked for uncoded: it streams to disk as it comes, nothing to decode.
        extra = {} if sink is None else {"Accept-Encoding": "identity"}
        if self._oauth is None:
            assert self._signer is not None
            # API 1.0: signed while building; the signature covers any base path prefix too.
            signed = self._signer.signed_headers(self._base_path + path)
            answer = await self._post(url, body, {**signed, **extra}, path, sink)
        else:
            oauth = self._oauth

            async def send_with(token: str) -> Answer:
                headers = {"Authorization": f"Bearer {token}", **extra}
                return await self._post(url, body, headers, path, sink)

            async def fetch_token() -> Answer:
                form = oauth.token_form()
                headers = {"Content-Type": TOKEN_FORM_TYPE}
                return await self._post(oauth.token_url, form, headers, oauth.token_path)

            answer = await oauth.send(send_with, fetch_token)
        self._note_rate_headers(answer, path)
        error = error_for_status(
            answer, path=path, redactor=self._redactor, credentials_hint=self._credentials_hint
        )
        if error is not None:
            raise error
        return answer

    async def _post(
        self,
        url: str,
        body: bytes | str,
        headers: Mapping[str, str],
        path: str,
        sink: FileSink | None = None,
    ) -> Answer:
        """One HTTP exchange; its failures become typed errors naming `path` (the token
        endpoint's path when that is what failed: then the API request was not sent)."""
        try:
            return await self._http.post(url, body, headers, path=path, sink=sink)
        except self._failures as exc:
            raise error_for_exception(
                exc, path=path, host=self._host, redactor=self._redactor
            ) from None

    def _note_rate_headers(self, response: Answer, path: str) -> None:
        """Tell the shared gate the quota this answer reports, so calls pace themselves to it.

        Every answer counts, not only exhausted ones: ``X-RateLimit-Remaining`` is how many more
        calls the gate may let through (see `RateGate`). Called while this call still holds its
        permit. A 429 is reported here even when the retry loop will give up, so the other calls
        still wait for the reset.
        """
        reset_ms = reset_ms_of(response)
        if response.status == 429:
            if reset_ms is not None:
                self._gate.observe_rate_limited(reset_ms)
            return
        remaining = response.headers.get("X-RateLimit-Remaining")
        pause_seconds = self._gate.observe(remaining, reset_ms)
        if pause_seconds is not None:
            self._notice(
                f"rate limit quota used up (on {self._base_path}{path}), "
                f"pausing calls for {pause_seconds:.1f} s"
            )
