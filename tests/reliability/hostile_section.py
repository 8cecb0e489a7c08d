"""The "hostile server" section of the reliability campaign: each case run, what the client did.

    python -m tests.reliability.hostile_section     # this section alone, printed as Markdown

Every case sends the bytes that `tests.support.hostile_cases` builds (the same bytes the tests
in tests/api/test_hostile_server.py send) from a raw loopback server, once as a read call and,
where it means something, once as a state-changing call. The report quotes what the client did
at run time (the answer or typed error, the requests and connections the server counted, the
child's peak RSS for the memory cases) and judges it against the decided behaviour.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.reliability.hostile_judges import (
    bounded,
    client_error,
    continued,
    headers_bounded,
    not_followed,
    refused,
    refused_not_reused,
    timed_out,
)
from tests.support.hostile_cases import (
    MIB,
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

Run = Callable[[bool], Awaitable[Observation]]
Judge = Callable[[Observation, bool], str | None]


@dataclass(frozen=True)
class HostileCase:
    """One hostile answer: what is sent, what must happen, how to run and judge it."""

    name: str
    sent: str
    expected: str
    run: Run
    judge: Judge
    #: Also run as a state-changing call (False for cases about memory or decoding only).
    mutating_too: bool = True


def _replying(reply: bytes, **options: object) -> Run:
    return lambda mutating: observe(send(reply), mutating=mutating, options=dict(options))


_CAP = {"max_body_bytes": SMALL_CAP}
_FOLD = (b"X-Note: first line", b"  folded continuation")
_SMUGGLE = answer(chunked(envelope("Framed")), headers=(b"Transfer-Encoding: chunked",)) + answer(
    envelope("Smuggled")
)
_REFUSED = "ResponseFormatError; a read retried at most once, a change sent once (outcome unknown)"

CASES: tuple[HostileCase, ...] = (
    HostileCase(
        "NUL in a header value",
        "`X-Note: before\\x00after` in a 200 with a valid envelope",
        _REFUSED,
        _replying(answer(envelope(), headers=(b"X-Note: before\x00after",))),
        refused,
    ),
    HostileCase(
        "bare LF in a header value",
        "`X-Note: first\\nX-Injected: second` (a lax parser sees two headers)",
        _REFUSED,
        _replying(answer(envelope(), headers=(b"X-Note: first\nX-Injected: second",))),
        refused,
    ),
    HostileCase(
        "whitespace in a chunk size",
        "`Transfer-Encoding: chunked`, size line `44  ` (trailing spaces)",
        _REFUSED,
        _replying(
            answer(
                chunked(envelope(), size_suffix=b"  "),
                headers=(b"Transfer-Encoding: chunked",),
                length=False,
            )
        ),
        refused,
    ),
    HostileCase(
        "Content-Length with chunked",
        "both framings on one answer, a second complete 200 smuggled behind it; then a 2nd call",
        _REFUSED + "; the connection is not reused",
        lambda mutating: observe_then_next(
            send(_SMUGGLE, answer(envelope("Second call")), keep_alive=True), mutating=mutating
        ),
        refused_not_reused,
    ),
    HostileCase(
        "obs-fold continuation",
        "`X-Note: first line` then `  folded continuation` on the next line",
        _REFUSED,
        _replying(answer(envelope(), headers=_FOLD)),
        refused,
    ),
    HostileCase(
        "two different Content-Lengths",
        f"`Content-Length: {len(envelope())}` and `Content-Length: {len(envelope()) + 7}`",
        _REFUSED,
        _replying(answer(envelope(), headers=(b"Content-Length: %d" % (len(envelope()) + 7),))),
        refused,
    ),
    HostileCase(
        "101 then 200",
        "`101 Switching Protocols` followed by a 200 with a valid envelope",
        _REFUSED + "; never the 200's data",
        _replying(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + answer(envelope())),
        refused,
    ),
    HostileCase(
        "100 then 200",
        "`100 Continue` followed by a 200 with a valid envelope",
        "the 200's answer (an interim 1xx before a final answer is HTTP)",
        _replying(b"HTTP/1.1 100 Continue\r\n\r\n" + answer(envelope("After continue"))),
        continued,
    ),
    HostileCase(
        "307 redirect",
        "`307` with `Location:` a second loopback server",
        "an error; no request reaches the Location",
        lambda mutating: observe_redirect(307, mutating=mutating),
        not_followed,
    ),
    HostileCase(
        "gzip bomb",
        f"`Content-Encoding: gzip`, {len(gzip_bomb()) / 1e6:.1f} MB decoding to 1 GiB; "
        "cap 8 MiB; client in a child process",
        "ResponseFormatError; peak RSS < cap + 150 MiB",
        _replying(
            answer(gzip_bomb(), headers=(b"Content-Encoding: gzip",)),
            in_child=True,
            timeout_seconds=60.0,
            **_CAP,
        ),
        bounded,
        mutating_too=False,
    ),
    HostileCase(
        "double gzip bomb",
        f"`Content-Encoding: gzip, gzip`, {len(double_gzip_bomb()):,} bytes decoding to 1 GiB; "
        "cap 8 MiB; client in a child process",
        "ResponseFormatError; peak RSS < cap + 150 MiB",
        _replying(
            answer(double_gzip_bomb(), headers=(b"Content-Encoding: gzip, gzip",)),
            in_child=True,
            timeout_seconds=60.0,
            **_CAP,
        ),
        bounded,
        mutating_too=False,
    ),
    HostileCase(
        "Content-Length above the cap",
        "`Content-Length: 1073741824` (cap 8 MiB), then no body at all",
        _REFUSED + " at once, not a timeout",
        lambda mutating: observe(
            stall_after(answer(b"", headers=(b"Content-Length: %d" % (1024 * MIB),), length=False)),
            mutating=mutating,
            options={**_CAP, "timeout_seconds": 30.0},
        ),
        refused,
    ),
    HostileCase(
        "Content-Encoding: br",
        "plain JSON envelope labelled `Content-Encoding: br`",
        _REFUSED,
        _replying(answer(envelope(), headers=(b"Content-Encoding: br",))),
        refused,
    ),
    HostileCase(
        "unknown Content-Encoding",
        "plain JSON envelope labelled `Content-Encoding: x-hostile`",
        _REFUSED,
        _replying(answer(envelope(), headers=(b"Content-Encoding: x-hostile",))),
        refused,
    ),
    HostileCase(
        "body stalls",
        "headers with `Content-Length: 1000`, 8 bytes of body, then nothing; timeout 1 s",
        "TimeoutError_ within 20 s",
        lambda mutating: observe(
            stall_after(
                answer(b"", headers=(b"Content-Length: 1000",), length=False) + b'{"meta":'
            ),
            mutating=mutating,
            options={"timeout_seconds": 1.0},
        ),
        timed_out,
    ),
    HostileCase(
        "1 MB header",
        "one header line `X-Huge:` of 1 MiB",
        "a typed error",
        _replying(answer(envelope(), headers=(b"X-Huge: " + b"h" * MIB,))),
        client_error,
    ),
    HostileCase(
        "endless header block",
        "a 200 status line, then 100-byte header lines until the client hangs up (up to 256 MiB)",
        "a typed error; peak RSS < 150 MiB",
        lambda mutating: observe(endless_headers(), mutating=mutating, options={"in_child": True}),
        headers_bounded,
        mutating_too=False,
    ),
    HostileCase(
        "invalid status line",
        "`HTTP/1.1 2OO OK` (letters in the code)",
        "a typed error",
        _replying(answer(envelope(), status=b"HTTP/1.1 2OO OK")),
        client_error,
    ),
)


@dataclass
class HostileResult:
    """A case and what the client did as a read and as a state-changing call."""

    case: HostileCase
    read: Observation
    change: Observation | None
    problems: list[str]


async def run_cases(cases: tuple[HostileCase, ...] = CASES) -> list[HostileResult]:
    """Run every case, one at a time; each row's problems are broken promises."""
    results = []
    for case in cases:
        read = await _guarded(case.run, False)
        change = await _guarded(case.run, True) if case.mutating_too else None
        problems = []
        for label, seen, mutating in (("read", read, False), ("change", change, True)):
            if seen is not None and (problem := case.judge(seen, mutating)):
                problems.append(f"{label}: {problem}")
        results.append(HostileResult(case, read, change, problems))
    return results


async def _guarded(run: Run, mutating: bool) -> Observation:
    """Run a case; a crash of the client or the harness is an outcome to report, not the end."""
    try:
        return await run(mutating)
    except Exception as exc:  # reported in the row and judged as broken
        return Observation(error_type=f"uncaught {type(exc).__name__}", message=str(exc))


def report_lines(results: list[HostileResult]) -> list[str]:
    """The Markdown section for docs/reliability.md."""
    lines = [
        "## Hostile server",
        "",
        "A raw socket server on loopback (`tests/support/hostile.py`) answers the client's call "
        "with exactly the bytes below; the client runs with its production code through "
        "`MimecastClient.call`, retries on (3 attempts, no waits), timeout 5 s unless said. "
        "*Read* is a read call; *Change* a state-changing call (`mutating=True`). What the "
        "client did is observed at run time: the answer or typed error, the requests and "
        "connections the server counted, and for the memory cases the peak resident set "
        "(`VmHWM`, its own memory map's peak) of the child process that ran the client.",
        "",
        "| Case | Sent | Expected | Read: what the client did | "
        "Change: what the client did | Result |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        change = _cell(r.change.summary()) if r.change is not None else "(not run)"
        verdict = "kept" if not r.problems else "**BROKEN**: " + _cell("; ".join(r.problems))
        lines.append(
            f"| {r.case.name} | {_cell(r.case.sent)} | {_cell(r.case.expected)} | "
            f"{_cell(r.read.summary())} | {change} | {verdict} |"
        )
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> int:
    """Run the section alone and print it; exit 1 when a promise was broken."""
    results = asyncio.run(run_cases())
    print("\n".join(report_lines(results)))
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
