"""Cost of one redaction, before and after: a typical error message and a 10 KB raw result row.

    .venv/bin/python benchmarks/bench_redaction.py [REV]

The redactor holds what a run's holds: the API 1.0 keys, an OAuth token, a secret reference
value (five secrets; one is base64 text with ``+ / =``, so its URL forms differ). The message
is about 200 characters with no secret in it (the common case); the row is a raw record of
about 10 KB scrubbed with `redact_row(deep=True)`'s walk, as the runner does for raw and single
result rows. The `Redactor` of git revision REV (default ``main``) is loaded beside the
working tree's and both are timed in the same process, interleaved, so the machine's load
weighs on both alike. Prints microseconds per call, best of 7 rounds.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import timeit
import types
from collections.abc import Callable
from typing import Any

from mimecast_soar.runtime.runner import _scrub
from mimecast_soar.secret import Redactor, Secret

SECRETS = [
    "a1b2c3d4-app-key-e5f6a7b8c9d0",
    "mYAcCeSsKeY-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ_0123456789",
    base64.b64encode(bytes(range(48))).decode(),
    "ref-secret-7f3a9c",
    "tok-bearer-0123456789abcdef0123456789abcdef",
]
MESSAGE = (
    "Mimecast refused the request to /api/policy/blockedsenders/get-policy (HTTP 400, "
    "err_validation_invalid_value: The value of policy id 'eNo1kE1PwzAMhv9LzytKXMfJtNuAI"
    "A') on row 17; check the input."
)


def _row() -> dict[str, object]:
    records = [
        {
            "id": f"eNo1kE1PwzAMhv9LzytKXMfJtNuAIAFE{n:04d}",
            "fromAddress": f"sender{n}@example.com",
            "subject": f"Quarterly report {n} - please review the attached figures",
            "route": "inbound",
            "info": "Released by administrator",
            "size": 1234 + n,
            "attachments": [{"name": f"report-{n}.pdf", "sha256": "ab" * 32}],
        }
        for n in range(30)
    ]
    return {"lhub_id": 1, "has_error": False, "error": None, "records": records}


def _old_redactor(rev: str) -> Any:
    source = subprocess.run(
        ["git", "show", f"{rev}:src/mimecast_soar/secret.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("old_secret")
    exec(compile(source, "old_secret.py", "exec"), module.__dict__)
    return module.Redactor([module.Secret(s) for s in SECRETS])


def main() -> None:
    rev = sys.argv[1] if len(sys.argv) > 1 else "main"
    redactors = {rev: _old_redactor(rev), "now": Redactor(Secret(s) for s in SECRETS)}
    row = _row()
    cases: dict[str, Callable[[Any], object]] = {
        f"message ({len(MESSAGE)} chars)": lambda redact: redact(MESSAGE),
        "row (10 KB, deep)": lambda redact: _scrub(row, redact),
        "10 KB text in one string": lambda redact: redact(MESSAGE * 51),
    }
    for label, case in cases.items():
        best = {name: float("inf") for name in redactors}
        for _ in range(7):
            for name, redact in redactors.items():
                took = timeit.timeit(lambda r=redact, c=case: c(r), number=500) / 500
                best[name] = min(best[name], took)
        shown = "  ".join(f"{name} {seconds * 1e6:8.2f} us" for name, seconds in best.items())
        print(f"{label:28s} {shown}")
    took = timeit.timeit(lambda: Redactor(Secret(s) for s in SECRETS), number=200) / 200
    print(f"{'building it (5 secrets)':28s} now {took * 1e6:8.2f} us")


if __name__ == "__main__":
    main()
