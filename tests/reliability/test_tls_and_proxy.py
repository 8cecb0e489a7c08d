"""TLS and the SOCKS5 path against the simulator over real sockets.

The simulator serves HTTPS with a certificate from a private CA (`trustme`): verification on
(the default) refuses it with a clear error row for every input row; the connection's
`ca_bundle` makes it trusted; only `verify_ssl = false` in the connection turns verification
off. The SOCKS5 proxy on loopback sees every connection, with the host name left for it to
resolve.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import trustme
from tests.reliability.harness import ListSink
from tests.support.secret_scan import SCAN
from tests.support.socks5 import Socks5Server

from mimecast_soar.actions import BatchWindow, get_action
from mimecast_soar.runtime import Connection, InputRow
from mimecast_soar.runtime.session import run_to_sink
from mimecast_soar.sim import SimConfig, SimServer


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_server(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    folder = tmp_path_factory.mktemp("tls")
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    with SimServer(
        SimConfig(seed=41), ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)
    ) as server:
        for name in ("application_key", "access_key", "secret_key"):
            SCAN.secret(getattr(server.config, name), f"TLS simulator {name}")
        yield server


def _run(connection: Connection, rows: int = 3) -> list[tuple[Any, dict[str, Any]]]:
    sink = ListSink()
    anyio.run(
        lambda: run_to_sink(
            get_action("get_policy"),
            [InputRow(i, {}) for i in range(1, rows + 1)],
            sink,
            connection=connection,
            settings={},
            window=BatchWindow.last_hours(1),
        )
    )
    return sink.rows


def test_untrusted_certificate_is_refused_with_a_clear_error_row(tls_server: SimServer) -> None:
    rows = _run(Connection.from_mapping(tls_server.connection()))
    assert [lhub_id for lhub_id, _ in rows] == [1, 2, 3]
    assert all(row["has_error"] for _, row in rows)
    first = rows[0][1]["error"]
    assert "TLS verification failed for host 127.0.0.1" in first
    assert "ca_bundle" in first
    assert all("TLS verification failed" in row["error"] for _, row in rows)


def test_ca_bundle_in_the_connection_makes_the_certificate_trusted(
    tls_server: SimServer, ca: trustme.CA, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    connection = Connection.from_mapping({**tls_server.connection(), "ca_bundle": str(bundle)})
    rows = _run(connection)
    assert [row["has_error"] for _, row in rows] == [False, False, False]


def test_ca_bundle_does_not_turn_verification_off_for_another_ca(
    tls_server: SimServer, tmp_path: Path
) -> None:
    other = trustme.CA()
    bundle = tmp_path / "other-ca.pem"
    other.cert_pem.write_to_path(str(bundle))
    connection = Connection.from_mapping({**tls_server.connection(), "ca_bundle": str(bundle)})
    assert all(row["has_error"] for _, row in _run(connection, rows=1))


@pytest.mark.parametrize(
    ("verify", "refused"), [(None, True), ("true", True), ("false", False), (False, False)]
)
def test_verification_is_off_only_when_the_connection_says_so(
    tls_server: SimServer, verify: Any, refused: bool
) -> None:
    data: dict[str, Any] = dict(tls_server.connection())
    if verify is not None:
        data["verify_ssl"] = verify
    rows = _run(Connection.from_mapping(data), rows=1)
    assert rows[0][1]["has_error"] is refused


def test_socks5_proxy_carries_every_call_with_the_name_resolved_at_the_proxy(
    sim_server: SimServer,
) -> None:
    port = sim_server.base_url.rsplit(":", 1)[1]
    with Socks5Server() as proxy:
        connection = Connection.from_mapping(
            {
                **sim_server.connection(),
                "base_url": f"http://localhost:{port}",
                "socks_proxy": proxy.url,
            }
        )
        rows = _run(connection)
        assert [row["has_error"] for _, row in rows] == [False, False, False]
        assert proxy.connections >= 1
        assert set(proxy.hosts) == {"localhost"}
