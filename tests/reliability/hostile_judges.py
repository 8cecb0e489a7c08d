"""Judging what the client did against a hostile answer (`hostile_section`).

Each judge takes the `Observation` of one call and whether it was state-changing, and returns
the broken promise as a short phrase, or None when the decided behaviour held. They say in code
what tests/api/test_hostile_server.py asserts, for the campaign's report.
"""

from __future__ import annotations

from tests.support.hostile_cases import MIB, RSS_MARGIN, SMALL_CAP, Observation

FORMAT = "ResponseFormatError"


def refused(seen: Observation, mutating: bool) -> str | None:
    """A malformed response: a read retries at most once; a change is sent once, outcome unknown."""
    if seen.error_type != FORMAT:
        return f"expected {FORMAT}, got {seen.error_type or 'success'}"
    if mutating and (seen.requests != 1 or not seen.outcome_unknown):
        return "a state-changing call must be sent once and say its outcome is unknown"
    if not mutating and seen.requests > 2:
        return "a read may retry a malformed response only once"
    return None


def refused_not_reused(seen: Observation, mutating: bool) -> str | None:
    """Refused, and the next call does not read from the same connection.

    A read may retry the refused answer once; the server answers that retry with the second
    call's envelope on a new connection, so a read that ends with that answer (never the
    smuggled one) kept the promise too.
    """
    if not mutating and seen.data is not None:
        if seen.data != [{"accountName": "Second call"}]:
            return f"took a smuggled or ambiguous answer as success: {seen.data}"
    else:
        first = Observation(**{**seen.__dict__, "requests": seen.requests - 1, "next_call": None})
        problem = refused(first, mutating)
        if problem:
            return problem
    if seen.connection_of and seen.connection_of[0] in seen.connection_of[1:]:
        return "the connection was reused after an ambiguous framing"
    if seen.next_call is None or seen.next_call.data != [{"accountName": "Second call"}]:
        return "the next call did not get its own answer"
    return None


def client_error(seen: Observation, mutating: bool) -> str | None:
    """Any typed error of the client, the request sent once when state-changing."""
    if not seen.client_error():
        return f"expected a typed error, got {seen.error_type or 'success'}"
    if mutating and seen.requests != 1:
        return "a state-changing call was sent more than once"
    return None


def not_followed(seen: Observation, mutating: bool) -> str | None:
    """An error, and the redirect target never reached."""
    if seen.bystander_requests:
        return "the redirect was followed"
    return client_error(seen, mutating)


def continued(seen: Observation, mutating: bool) -> str | None:
    """The final 200 after a 100 Continue is the answer."""
    if seen.data != [{"accountName": "After continue"}] or seen.requests != 1:
        return "expected the final 200's answer, sent once"
    return None


def bounded(seen: Observation, mutating: bool) -> str | None:
    """Refused as malformed with the child's peak RSS under the cap plus the margin."""
    problem = refused(seen, mutating)
    if problem:
        return problem
    if seen.peak_rss_bytes is None or seen.peak_rss_bytes >= SMALL_CAP + RSS_MARGIN:
        return f"peak RSS not under {(SMALL_CAP + RSS_MARGIN) // MIB} MiB"
    return None


def headers_bounded(seen: Observation, mutating: bool) -> str | None:
    """A typed error with the child's peak RSS under the margin."""
    if seen.peak_rss_bytes is None or seen.peak_rss_bytes >= RSS_MARGIN:
        return f"peak RSS not under {RSS_MARGIN // MIB} MiB"
    return client_error(seen, mutating)


def timed_out(seen: Observation, mutating: bool) -> str | None:
    """A timeout within a generous bound."""
    if seen.error_type != "TimeoutError_":
        return f"expected TimeoutError_, got {seen.error_type or 'success'}"
    if seen.seconds > 20:
        return f"took {seen.seconds:.0f} s"
    return client_error(seen, mutating)
