"""Search File Hash (issue 14): calls of at most 20 hashes, one row per hash, over loopback HTTP."""

from __future__ import annotations

import pytest
from integration_support import assert_error_row, ok, run

from mimecast_soar.actions import BatchWindow
from mimecast_soar.actions.file_hash import _rows
from mimecast_soar.api.envelope import parse_envelope
from mimecast_soar.runtime.connection import Connection
from mimecast_soar.sim.content import attachment_sha256
from support.simadmin import SimAdmin

pytestmark = pytest.mark.anyio

HASH = "/api/ttp/remediation/search-hash"
SETTINGS = {"hashes": "{{ h }}"}


def _known(sim: SimAdmin) -> str:
    message = next(m for m in sim.sim.world.messages.values() if m.attachments)
    name, _, size = message.attachments[0]
    return attachment_sha256(sim.sim.config.seed, message.id, name, size)


async def test_known_and_unknown_hashes_give_one_row_each_and_bad_ones_are_not_sent(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    known = _known(sim)
    given = f"{known.upper()}, {'0' * 32} ,not-a-hash,,{'1' * 40},{known}"

    output = await run(
        "search_file_hash",
        [{"lhub_id": 9, "h": given}],
        connection=connection,
        window=window,
        settings=SETTINGS,
    )

    assert sim.bodies(HASH) == [{"data": [{"hashes": [known, "0" * 32, "1" * 40]}]}]
    assert [lhub_id for lhub_id, _ in output] == [9] * 4
    rows = [row for _, row in output]
    assert rows[0] == ok(hash=known, detected=True)
    assert rows[1] == ok(hash="0" * 32, detected=False)
    assert_error_row(rows[2], "'not-a-hash' is not a file hash", "not searched")
    assert rows[2]["hash"] == "not-a-hash"
    assert rows[3] == ok(hash="1" * 40, detected=False)


async def test_101_hashes_are_sent_in_six_calls_of_at_most_20(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    hashes = [f"{n:064x}" for n in range(101)]

    output = await run(
        "search_file_hash",
        [{"h": ",".join(hashes)}],
        connection=connection,
        window=window,
        settings=SETTINGS,
    )

    sent = [body["data"][0]["hashes"] for body in sim.bodies(HASH)]
    assert [len(chunk) for chunk in sent] == [20, 20, 20, 20, 20, 1]
    assert sorted(h for chunk in sent for h in chunk) == hashes
    assert [row["hash"] for _, row in output] == hashes
    assert all(row["has_error"] is False for _, row in output)


async def test_a_failed_call_gives_an_error_row_naming_each_of_its_hashes_and_others_go_on(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    sim.faults(
        [{"kind": "fail", "path": HASH, "code": "err_hash_search", "message": "Busy", "count": 1}]
    )
    hashes = [f"{n:032x}" for n in range(25)]

    output = await run(
        "search_file_hash",
        [{"h": ",".join(hashes)}],
        connection=connection,
        window=window,
        settings=SETTINGS,
    )

    rows = [row for _, row in output]
    assert len(rows) == 25
    for value, row in zip(hashes, rows, strict=True):
        assert row["hash"] == value
    failed = [row for row in rows if row["has_error"]]
    assert len(failed) == 20  # the fault fires once: the first call of 20
    for row in failed:
        assert_error_row(row, row["hash"], "err_hash_search")
    assert len(sim.requests(HASH)) == 2


async def test_empty_or_all_invalid_hashes_are_error_rows_without_a_call(
    sim: SimAdmin, connection: Connection, window: BatchWindow
) -> None:
    output = await run(
        "search_file_hash",
        [{"lhub_id": 1, "h": " , "}, {"lhub_id": 2, "h": ""}, {"lhub_id": 3, "h": "xyz"}],
        connection=connection,
        window=window,
        settings=SETTINGS,
    )
    assert_error_row(output[0][1], "Hashes has no hash in it")
    assert_error_row(output[1][1], "Hashes is required")
    assert_error_row(output[2][1], "'xyz' is not a file hash")
    assert sim.requests(HASH) == []


def test_a_hash_mimecast_lists_as_failed_is_an_error_row_that_names_it() -> None:
    # Mimecast's `failedHashes` and a `fail[]` entry keyed by the hash (the two readings of §12.1).
    body = (
        b'{"meta": {"status": 200}, "data": [{"hashStatus": [{"hash": "'
        + b"a" * 32
        + b'", "detected": true}], "failedHashes": ["'
        + b"b" * 32
        + b'"]}], "fail": [{"key": {"hash": "'
        + b"c" * 32
        + b'"}, "errors": [{"code": "err_bad_hash", "message": "Bad"}]}]}'
    )
    response = parse_envelope(body, path=HASH, http_status=200)
    rows = _rows(["a" * 32, "b" * 32, "c" * 32, "d" * 32], response)
    assert rows[0] == ok(hash="a" * 32, detected=True)
    assert_error_row(rows[1], "b" * 32, "could not search")
    assert_error_row(rows[2], "c" * 32, "err_bad_hash")
    assert_error_row(rows[3], "d" * 32, "did not mention")


async def test_search_file_hash_over_api2(
    sim: SimAdmin, oauth_connection: Connection, window: BatchWindow
) -> None:
    output = await run(
        "search_file_hash",
        [{"h": _known(sim)}],
        connection=oauth_connection,
        window=window,
        settings=SETTINGS,
    )
    assert [row["detected"] for _, row in output] == [True]
