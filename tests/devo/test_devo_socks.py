"""The Remote Agent (`socks_proxy`) under the SDK's shim, and connection reuse across rows.

A loopback SOCKS5 proxy (tests/support/socks5.py) stands in for the Remote Agent; it counts the
TCP connections it carried and records the host each one asked for, so one test proves both that
names are resolved at the proxy and that the shim's 50 per-row calls share one connection.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from devo_support import LHUB_PYTHON, Platform, base_env, run_sdk, sdk_result

from mimecast_soar.devo.sockets import restore_sockets, sockets_patched
from support.socks5 import Socks5Server

REPRO = """
import asyncio, json, os, sys
import aiohttp
from aiohttp_socks import ProxyConnector
import lhub_integ  # patches the socket module when socks_proxy is set
from lhub_integ.common.override_default_socket_with_proxy import remove_socket_override
from mimecast_soar.devo.sockets import restore_sockets, sockets_patched

async def fetch(proxy):
    connector = ProxyConnector.from_url(proxy, rdns=True) if proxy else aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as client:
        async with client.get(sys.argv[1]) as response:
            return response.status

def attempt(proxy=None):
    try:
        return asyncio.run(fetch(proxy))
    except Exception as error:
        while isinstance(error, BaseExceptionGroup):
            error = error.exceptions[0]
        return f"{type(error).__name__}: {error}"

out = {"patched": sockets_patched(), "direct": attempt()}
out["restored"] = restore_sockets(remove_socket_override)
out["patched_after"] = sockets_patched()
out["via_proxy"] = attempt(os.environ["socks_proxy"])
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def proxy() -> Iterator[Socks5Server]:
    with Socks5Server() as server:
        yield server


@pytest.fixture
def agent(proxy: Socks5Server, platform: Platform) -> Socks5Server:
    """The proxy, counters reset, with the simulator addressed by name (`localhost`)."""
    proxy.reset()
    return proxy


def _by_name(platform: Platform) -> str:
    return platform.sim.base_url.replace("127.0.0.1", "localhost")


@pytest.mark.lhub
def test_after_the_sdk_patch_is_undone_the_async_stack_reaches_the_agent_by_name(
    agent: Socks5Server, platform: Platform, tmp_path: Path
) -> None:
    script = tmp_path / "repro.py"
    script.write_text(REPRO)
    completed = subprocess.run(
        [str(LHUB_PYTHON), str(script), f"{_by_name(platform)}/_sim/state"],
        env={**base_env(), "socks_proxy": agent.url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    out = json.loads(completed.stdout)
    assert out["patched"] is True
    # The patched module is not asserted to fail (aiohttp's connector may limp through PySocks'
    # blocking socket); what matters is that it is undone before our client runs.
    assert out["direct"] is not None
    assert out["restored"] is True
    assert out["patched_after"] is False
    assert out["via_proxy"] == 200
    assert agent.hosts[-1] == "localhost"
    assert set(agent.hosts) == {"localhost"}


@pytest.mark.lhub
def test_the_shim_reuses_one_connection_through_the_remote_agent_for_50_rows(
    agent: Socks5Server, platform: Platform
) -> None:
    rows = [{"lhub_id": n, "id": f"missing-{n}"} for n in range(1, 51)]
    variables = {
        "___message_id_column": "id",
        "socks_proxy": agent.url,
        "base_url": _by_name(platform),
    }
    run = platform.shim("get_message_details", rows, variables)
    assert run.returncode == 0, run.stderr
    assert [lhub_id for lhub_id, _row in run.rows] == list(range(1, 51))
    assert all(row["has_error"] is True for _lhub_id, row in run.rows)
    assert len(platform.requests("/api/message-finder/get-message-info")) == 50
    assert agent.connections == 1
    assert agent.hosts == ["localhost"]  # the name went to the proxy, unresolved


@pytest.mark.lhub
def test_shim_validate_works_through_the_remote_agent(
    agent: Socks5Server, platform: Platform
) -> None:
    env = {**platform.connection_env(base_url=_by_name(platform)), "socks_proxy": agent.url}
    run = run_sdk(
        ["lhub_integ.shim_validate", "--validate-connections"], platform.bundle, env, None
    )
    assert (run.returncode, sdk_result(run.stdout)) == (0, {})
    assert agent.hosts == ["localhost"]


@pytest.mark.lhub
def test_devo_exec_goes_through_the_remote_agent_too(
    agent: Socks5Server, platform: Platform
) -> None:
    rows = [{"lhub_id": n, "id": "missing"} for n in range(1, 21)]
    variables = {
        "___message_id_column": "id",
        "socks_proxy": agent.url,
        "base_url": _by_name(platform),
        "__lh_multithread_count": "4",
    }
    run = platform.native("get_message_details", rows, variables)
    assert [lhub_id for lhub_id, _row in run.rows] == list(range(1, 21))
    assert 1 <= agent.connections <= 4
    assert set(agent.hosts) == {"localhost"}


def test_restoring_an_unpatched_socket_module_changes_nothing() -> None:
    assert sockets_patched() is False
    assert restore_sockets() is False
