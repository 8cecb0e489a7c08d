"""Run one client call in this process and print what happened and the peak RSS, as JSON.

    python -m tests.support.hostile_child '{"url": ..., "mutating": false, "options": {...}}'

Used by `hostile_cases.call_in_child` for the cases whose point is a memory bound: the child's
peak resident set (`peak_rss_bytes`) covers only the client, not the test runner. The address
space is limited (`CHILD_ADDRESS_SPACE`) so that a client which inflates a bomb whole fails here
with MemoryError rather than taking gigabytes from a shared machine; that failure is printed as
the outcome.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys

from tests.support.hostile_cases import CHILD_ADDRESS_SPACE, call_once


def main(argument: str) -> None:
    """Parse the JSON `argument`, make the call, print one JSON line for `Observation`."""
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE, CHILD_ADDRESS_SPACE))
    request = json.loads(argument)
    result: dict[str, object]
    try:
        seen = asyncio.run(
            call_once(request["url"], mutating=request["mutating"], options=request["options"])
        )
    except BaseException as exc:  # the outcome to report, whatever it is (MemoryError too)
        result = {"error_type": f"uncaught {type(exc).__name__}", "message": str(exc)[:500]}
    else:
        result = {
            "data": seen.data,
            "error_type": seen.error_type,
            "message": seen.message,
            "outcome_unknown": seen.outcome_unknown,
        }
    result["peak_rss_bytes"] = peak_rss_bytes()
    print(json.dumps(result))


def peak_rss_bytes() -> int:
    """This process's own peak resident set: ``VmHWM`` of its memory map. (``ru_maxrss`` keeps
    the peak from before ``exec``, i.e. the forked test runner's, which can be 200 MB.)"""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


if __name__ == "__main__":
    main(sys.argv[1])
