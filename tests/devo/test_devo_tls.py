"""`__lh_ssl_verify`: only the exact text `False` turns TLS verification off, under both entries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from devo_support import Platform

from mimecast_soar.sim import SimConfig, SimServer


@pytest.fixture(scope="module")
def tls_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimServer]:
    """A simulator serving HTTPS with a certificate from a CA nobody trusts."""
    folder = tmp_path_factory.mktemp("tls")
    cert = trustme.CA().issue_cert("127.0.0.1", "localhost")
    cert.cert_chain_pems[0].write_to_path(str(folder / "cert.pem"))
    cert.private_key_pem.write_to_path(str(folder / "key.pem"))
    server = SimServer(
        SimConfig(seed=5),
        ssl_certfile=str(folder / "cert.pem"),
        ssl_keyfile=str(folder / "key.pem"),
    )
    with server:
        yield server


@pytest.mark.lhub
@pytest.mark.parametrize("entry", ["shim", "native"])
def test_tls_verification_is_off_only_for_the_exact_text_false(
    lhub_python: Path, bundle_dir: Path, tls_sim: SimServer, tmp_path: Path, entry: str
) -> None:
    platform = Platform(bundle_dir, tls_sim, tmp_path)
    run = getattr(platform, entry)
    rows = [{"lhub_id": 1, "q": ""}]
    settings = {"___query": "{{ q }}", "___page_size": "1"}
    verified = run("find_groups", rows, {**settings, "__lh_ssl_verify": "True"})
    [(lhub_id, row)] = verified.rows
    assert lhub_id == 1
    assert row["has_error"] is True
    assert "certificate" in row["error"].lower() or "tls" in row["error"].lower()
    unverified = run("find_groups", rows, {**settings, "__lh_ssl_verify": "False"})
    [(lhub_id, row)] = unverified.rows
    assert (lhub_id, row["has_error"]) == (1, False)
