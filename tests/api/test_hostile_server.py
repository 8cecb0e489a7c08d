"""The client against a hostile server on raw loopback sockets (`tests.support.hostile`).

Each test sends the exact bytes of one misbehaving answer and asserts what the client must do,
through its public API only:
- lax framing is refused (`ResponseFormatError`), never taken as an answer; a read retries it at
  most once, a state-changing call is sent once and says its outcome is unknown;
- only a final 2xx is success: no 101, no redirect (and a redirect is never followed);
- bodies are bounded: decoding stops at `max_body_bytes`, whatever the coding layers, and the
  memory of the process stays within the cap plus a margin;
- a server that stalls meets the client's timeout; oversized headers and a broken status line
  are errors.
The memory cases run the client in a child process and read its own peak RSS (`VmHWM`).
"""

from __future__ import annotations

import pytest
from tests.support.hostile_cases import (
    MIB,
    RSS_MARGIN,
    SMALL_CAP,
    Observation,
    answer,
    chunked,
    double_gzip_bomb,
    endless_headers,
    envelope,
    gzip_bomb,
    observe,
    observe_redirect,
    observe_then_next,
    send,
    stall_after,
)

from mimecast_soar.errors import ResponseFormatError, TimeoutError_

pytestmark = pytest.mark.anyio

BOTH = pytest.mark.parametrize("mutating", [False, True], ids=["read", "mutating"])


def assert_refused_as_format_error(seen: Observation, *, mutating: bool) -> None:
    """Refused as a malformed response; a read retried it at most once, a change never."""
    assert seen.error_type == ResponseFormatError.__name__, seen.summary()
    assert seen.data is None
    if mutating:
        assert seen.requests == 1, seen.summary()
        assert seen.outcome_unknown, seen.summary()
    else:
        assert 1 <= seen.requests <= 2, seen.summary()


@BOTH
async def test_nul_byte_in_a_header_value_is_refused(mutating: bool) -> None:
    reply = answer(envelope(), headers=(b"X-Note: before\x00after",))
    seen = await observe(send(reply), mutating=mutating)
    assert_refused_as_format_error(seen, mutating=mutating)


@BOTH
async def test_bare_lf_inside_a_header_value_is_refused(mutating: bool) -> None:
    # A lax parser splits this into two headers, letting the server smuggle one in.
    reply = answer(envelope(), headers=(b"X-Note: first\nX-Injected: second",))
    seen = await observe(send(reply), mutating=mutating)
    assert_refused_as_format_error(seen, mutating=mutating)


@BOTH
async def test_whitespace_after_a_chunk_size_is_refused(mutating: bool) -> None:
    body = chunked(envelope(), size_suffix=b"  ")
    reply = answer(body, headers=(b"Transfer-Encoding: chunked",), length=False)
    seen = await observe(send(reply), mutating=mutating)
    assert_refused_as_format_error(seen, mutating=mutating)


@BOTH
async def test_two_different_content_lengths_are_refused(mutating: bool) -> None:
    body = envelope()
    reply = answer(body, headers=(b"Content-Length: %d" % (len(body) + 7),))
    seen = await observe(send(reply), mutating=mutating)
    assert_refused_as_format_error(seen, mutating=mutating)


@BOTH
async def test_obs_fold_header_continuation_is_refused(mutating: bool) -> None:
    reply = answer(envelope(), headers=(b"X-Note: first line", b"  folded continuation"))
    seen = await observe(send(reply), mutating=mutating)
    assert_refused_as_format_error(seen, mutating=mutating)


async def test_content_length_with_chunked_is_refused_and_its_connection_not_reused() -> None:
    # Both framings end at the same byte; a smuggled answer waits behind them. A client that
    # reused the connection would read it as the answer to its next request.
    body = chunked(envelope("Framed"))
    smuggled = answer(envelope("Smuggled"))
    ambiguous = answer(body, headers=(b"Transfer-Encoding: chunked",)) + smuggled
    script = send(ambiguous, answer(envelope("Second call")), keep_alive=True)
    seen = await observe_then_next(script, mutating=True)
    assert seen.error_type == ResponseFormatError.__name__, seen.summary()
    assert seen.outcome_unknown, seen.summary()
    assert seen.requests == 2, seen.summary()  # one per call: the first was not resent
    assert seen.connection_of[0] != seen.connection_of[1], seen.summary()
    assert seen.next_call is not None
    assert seen.next_call.data == [{"accountName": "Second call"}], seen.summary()


@BOTH
async def test_switching_protocols_before_a_200_is_not_success(mutating: bool) -> None:
    reply = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + answer(envelope())
    seen = await observe(send(reply), mutating=mutating)
    assert_refused_as_format_error(seen, mutating=mutating)


async def test_continue_then_200_is_the_200s_answer() -> None:
    reply = b"HTTP/1.1 100 Continue\r\n\r\n" + answer(envelope("After continue"))
    seen = await observe(send(reply), mutating=True)
    assert seen.error_type is None, seen.summary()
    assert seen.data == [{"accountName": "After continue"}]
    assert seen.requests == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_redirect_is_an_error_and_is_not_followed(status: int) -> None:
    seen = await observe_redirect(status, mutating=True)
    assert seen.client_error(), seen.summary()
    assert seen.data is None
    assert seen.bystander_requests == 0
    assert seen.requests == 1
    assert f"HTTP {status}" in seen.message


@pytest.mark.parametrize("layers", [1, 2], ids=["gzip-1GiB-1MB", "gzip-gzip-1GiB-1.8KB"])
async def test_decompression_bomb_is_refused_within_the_body_cap(layers: int) -> None:
    body, coding = (gzip_bomb(), b"gzip") if layers == 1 else (double_gzip_bomb(), b"gzip, gzip")
    reply = answer(body, headers=(b"Content-Encoding: " + coding,))
    options = {"in_child": True, "max_body_bytes": SMALL_CAP, "timeout_seconds": 60.0}
    seen = await observe(send(reply), mutating=False, options=options)
    assert seen.error_type == ResponseFormatError.__name__, seen.summary()
    assert seen.requests <= 2
    assert seen.peak_rss_bytes is not None
    assert seen.peak_rss_bytes < SMALL_CAP + RSS_MARGIN, seen.summary()


async def test_content_length_above_the_cap_is_refused_without_reading_the_body() -> None:
    # The body never comes: reading it would end in a timeout, not a format error.
    head = answer(b"", headers=(b"Content-Length: %d" % (1024 * MIB),), length=False)
    options = {"max_body_bytes": SMALL_CAP, "timeout_seconds": 30.0}
    seen = await observe(stall_after(head), mutating=True, options=options)
    assert seen.error_type == ResponseFormatError.__name__, seen.summary()
    assert seen.requests == 1
    assert seen.seconds < 25, seen.summary()


@pytest.mark.parametrize("coding", [b"br", b"x-hostile"])
async def test_unsupported_content_encoding_is_refused(coding: bytes) -> None:
    # The body is plain JSON: a client that ignored the label would take it as the answer.
    reply = answer(envelope(), headers=(b"Content-Encoding: " + coding,))
    seen = await observe(send(reply), mutating=True)
    assert_refused_as_format_error(seen, mutating=True)


async def test_body_that_stalls_after_the_headers_times_out() -> None:
    head = answer(b"", headers=(b"Content-Length: 1000",), length=False) + b'{"meta":'
    seen = await observe(stall_after(head), mutating=True, options={"timeout_seconds": 1.0})
    assert seen.error_type == TimeoutError_.__name__, seen.summary()
    assert seen.outcome_unknown
    assert seen.requests == 1
    assert seen.seconds < 20, seen.summary()


async def test_one_megabyte_header_is_an_error() -> None:
    reply = answer(envelope(), headers=(b"X-Huge: " + b"h" * MIB,))
    seen = await observe(send(reply), mutating=True)
    assert seen.client_error(), seen.summary()
    assert seen.data is None
    assert seen.requests == 1


async def test_endless_header_block_is_an_error_without_memory_growth() -> None:
    seen = await observe(endless_headers(), mutating=False, options={"in_child": True})
    assert seen.client_error(), seen.summary()
    assert seen.peak_rss_bytes is not None
    assert seen.peak_rss_bytes < RSS_MARGIN, seen.summary()


@pytest.mark.parametrize(
    "status_line",
    [b"HTTP/1.1 2OO OK", b"HTTP/1.1 OK 200", b"SSH-2.0-OpenSSH_9.6"],
    ids=["letters-in-code", "swapped", "not-http"],
)
async def test_invalid_status_line_is_an_error(status_line: bytes) -> None:
    seen = await observe(send(answer(envelope(), status=status_line)), mutating=True)
    assert seen.client_error(), seen.summary()
    assert seen.data is None
    assert seen.requests == 1
