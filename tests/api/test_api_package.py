"""The curated public surface of `mimecast_soar.api`."""

from __future__ import annotations

import json
import subprocess
import sys

import mimecast_soar.api as api


def test_all_is_curated_and_importable() -> None:
    assert set(api.__all__) == {
        "API1_REGIONS",
        "Api1Credentials",
        "Api2Credentials",
        "ClientSettings",
        "Credentials",
        "HmacAuth",
        "MimecastClient",
        "MimecastResponse",
        "OAuthAuth",
        "Pagination",
        "RateGate",
        "RetryPolicy",
        "resolve_base_url",
    }
    for name in api.__all__:
        assert getattr(api, name) is not None


def test_public_names_have_docstrings() -> None:
    for name in api.__all__:
        value = getattr(api, name)
        if callable(value) and not isinstance(value, type(api.Credentials)):
            assert value.__doc__, name


PROBE = """
import contextlib, io, json, sys
from mimecast_soar.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main(["--version"])
    main(["actions"])
seen = {"cli": "aiohttp" in sys.modules}
import mimecast_soar.api
seen["api"] = "aiohttp" in sys.modules
from mimecast_soar.api import Api1Credentials, ClientSettings, MimecastClient
MimecastClient(ClientSettings(Api1Credentials("a", "kkkk", "kkkk", "a2V5a2V5"), region="eu"))
seen["client"] = "aiohttp" in sys.modules
print(json.dumps(seen))
"""


def test_aiohttp_is_imported_only_when_a_client_is_built() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {
        "cli": False,
        "api": False,
        "client": True,
    }
