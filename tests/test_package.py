"""`import mimecast_soar`: the curated public API."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mimecast_soar


def test_all_names_resolve_and_are_sorted() -> None:
    assert mimecast_soar.__all__ == sorted(mimecast_soar.__all__)
    for name in mimecast_soar.__all__:
        assert getattr(mimecast_soar, name) is not None, name
    assert len(mimecast_soar.ACTIONS) >= 12
    assert mimecast_soar.get_action("release_message").mutating is True


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="nothing_here"):
        _ = mimecast_soar.nothing_here  # type: ignore[attr-defined]


def test_importing_the_package_stays_light() -> None:
    """The CLI starts fast: importing the package pulls in neither httpx nor jinja2."""
    code = (
        "import sys, mimecast_soar, mimecast_soar.cli; "
        "print(sorted(m for m in ('httpx', 'jinja2', 'starlette', 'rich') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_package_version_is_the_distribution_version() -> None:
    from importlib import metadata

    import mimecast_soar
    from mimecast_soar.api.transport import user_agent

    assert metadata.version("mimecast-soar") == mimecast_soar.__version__
    assert user_agent() == f"mimecast-soar/{mimecast_soar.__version__}"
