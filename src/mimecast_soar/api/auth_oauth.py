"""API 2.0 authentication: OAuth 2 client credentials, our token manager (docs/mimecast-api.md §3).

The token comes from ``POST {base}/oauth/token`` with the form fields ``client_id``,
``client_secret`` and ``grant_type=client_credentials``; the answer is
``{"access_token": "...", "token_type": "Bearer", "expires_in": 1799}`` (about 30 minutes).
API calls then carry ``Authorization: Bearer <token>``.

- The token is cached and refreshed before it runs out: `refresh_margin_seconds` =
  min(60 s, 10 % of its lifetime) early, on the injected clock.
- Only one fetch runs at a time: concurrent calls wait on an `anyio.Lock` and reuse the fresh
  token instead of each fetching their own.
- A 401 on an API call refetches the token once (unless another call already did) and repeats
  that request once; a second 401 is returned to the client, which raises
  `AuthenticationError`.
- A refused token request raises `AuthenticationError` naming the client id, never the secret;
  a 429 or 5xx from the token endpoint raises `RateLimitedError`/`ServerError` for the token
  path, so the retry loop knows the API request itself was never sent.

The client hands `send` two functions: one posts the API request with a given token, the other
posts the token form; both go through the client's one HTTP session (proxy, TLS settings), so
there is no second HTTP client.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

import anyio
import orjson

from mimecast_soar.api.answer import Answer
from mimecast_soar.api.credentials import Api2Credentials
from mimecast_soar.api.envelope import excerpt
from mimecast_soar.api.http_errors import error_for_status, mimecast_code_and_message
from mimecast_soar.errors import AuthenticationError
from mimecast_soar.safetext import safe_text
from mimecast_soar.secret import Redactor

__all__ = ["DEFAULT_TOKEN_TTL_SECONDS", "TOKEN_FORM_TYPE", "OAuthAuth", "refresh_margin_seconds"]

#: The content type of the token request's body.
TOKEN_FORM_TYPE = "application/x-www-form-urlencoded"

#: Lifetime assumed when the token response has no usable ``expires_in``.
DEFAULT_TOKEN_TTL_SECONDS = 1800.0


def refresh_margin_seconds(ttl_seconds: float) -> float:
    """How long before expiry a token is replaced: min(60 s, 10 % of its lifetime)."""
    return min(60.0, 0.1 * ttl_seconds)


class OAuthAuth:
    """Bearer-token auth with a cached, shared, early-refreshed client-credentials token.

    `token_url` is the full URL of the token endpoint (``{base_url}/oauth/token``). `clock`
    returns monotonic seconds. Every token obtained is registered with `redactor`.
    """

    def __init__(
        self,
        credentials: Api2Credentials,
        token_url: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        redactor: Redactor | None = None,
    ) -> None:
        self._credentials = credentials
        self._token_url = token_url
        self.token_path = urlsplit(token_url).path
        self._clock = clock
        self._redactor = redactor if redactor is not None else Redactor()
        self._redactor.add(credentials.client_secret)
        self._lock = anyio.Lock()
        self._token: str | None = None
        self._refresh_at = float("-inf")

    def __repr__(self) -> str:
        return (
            f"OAuthAuth(client_id={self._credentials.client_id!r}, token_url={self._token_url!r})"
        )

    @property
    def token_url(self) -> str:
        """The full URL of the token endpoint."""
        return self._token_url

    def token_form(self) -> str:
        """The token request's body: the client credentials, form-encoded."""
        return urlencode(
            {
                "client_id": self._credentials.client_id,
                "client_secret": self._credentials.client_secret.get(),
                "grant_type": "client_credentials",
            }
        )

    async def send(
        self,
        send_with: Callable[[str], Awaitable[Answer]],
        fetch_token: Callable[[], Awaitable[Answer]],
    ) -> Answer:
        """Send a request with a valid token; on a 401, refetch once and repeat it once.

        `send_with(token)` posts the API request with ``Authorization: Bearer <token>``;
        `fetch_token()` posts `token_form()` to the token endpoint. Returns the last answer.
        """
        rejected: str | None = None
        for try_number in (1, 2):
            token = self._usable_token(rejected)
            if token is None:
                async with self._lock:
                    # Another call may have fetched while this one waited for the lock.
                    token = self._usable_token(rejected)
                    if token is None:
                        token = self._accept_token(await fetch_token())
            answer = await send_with(token)
            if answer.status != 401 or try_number == 2:
                return answer
            rejected = token
        raise AssertionError("unreachable")  # pragma: no cover

    def _usable_token(self, rejected: str | None) -> str | None:
        token = self._token
        if token is None or token == rejected or self._clock() >= self._refresh_at:
            return None
        return token

    def _accept_token(self, response: Answer) -> str:
        path = self.token_path
        status = response.status
        if status == 429 or status >= 500 or status < 200 or 300 <= status < 400:
            error = error_for_status(response, path=path, redactor=self._redactor)
            assert error is not None
            raise error
        client_id = self._credentials.client_id
        if response.status != 200:
            code, detail = (
                safe_text(self._redactor(text)) if text else None
                for text in mimecast_code_and_message(response.body)
            )
            said = ": ".join(p for p in (code, detail) if p)
            status_text = f"HTTP {response.status}, {said}" if said else (f"HTTP {response.status}")
            message = (
                f"Mimecast refused the OAuth token request on {path} for client id "
                f"{client_id!r} ({status_text}). Check the client id and client secret of the "
                "API 2.0 application."
            )
            raise AuthenticationError(
                self._redactor(message),
                path=path,
                http_status=response.status,
                code=code,
                detail=detail,
            )
        token, ttl_seconds = self._parse_token(response.body)
        if token is None:
            message = (
                f"The OAuth token response on {path} for client id {client_id!r} has no "
                f"access_token: {excerpt(response.body, self._redactor)}"
            )
            raise AuthenticationError(self._redactor(message), path=path, http_status=200)
        self._redactor.add(token)
        self._token = token
        self._refresh_at = self._clock() + ttl_seconds - refresh_margin_seconds(ttl_seconds)
        return token

    @staticmethod
    def _parse_token(content: bytes | bytearray) -> tuple[str | None, float]:
        try:
            body: Any = orjson.loads(content)
        except orjson.JSONDecodeError:
            return None, DEFAULT_TOKEN_TTL_SECONDS
        if not isinstance(body, dict):
            return None, DEFAULT_TOKEN_TTL_SECONDS
        token = body.get("access_token")
        ttl: Any = body.get("expires_in")
        try:
            ttl_seconds = float(ttl)
        except (TypeError, ValueError):
            ttl_seconds = DEFAULT_TOKEN_TTL_SECONDS
        if not ttl_seconds > 0:  # also rejects NaN
            ttl_seconds = DEFAULT_TOKEN_TTL_SECONDS
        if not isinstance(token, str) or not token:
            return None, ttl_seconds
        return token, ttl_seconds
